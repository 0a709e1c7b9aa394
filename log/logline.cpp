#include "log/logline.hpp"

#include "clock/duration.hpp"
#include "jsonsource/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace relaylab::gw {

namespace {

using smtp::NetError;
using smtp::Stage;

// "host[ip]", the way Postfix names a peer.
std::string peer(const std::string& host, const std::string& ip) {
    if (ip.empty()) return host.empty() ? "unknown" : host;
    return (host.empty() ? ip : host) + "[" + ip + "]";
}

// Postfix smtp_proto.c's words after "(in reply to ": smtpclient names the commands; the greeting
// and the end of a delivered message are not "in reply to" anything.
std::string in_reply_to_words(Stage s) {
    if (s == Stage::Connect || s == Stage::Greeting || s == Stage::Done) return "";
    return smtp::command_name(s);
}

// Postfix's words after "timed out while " / "lost connection with H while ".
std::string_view activity_words(Stage s) {
    switch (s) {
    case Stage::Connect: return "connecting";
    case Stage::Greeting: return "receiving the initial server greeting";
    case Stage::Ehlo: return "performing the EHLO handshake";
    case Stage::Helo: return "performing the HELO handshake";
    case Stage::StartTls: return "performing the STARTTLS handshake";
    case Stage::Mail: return "sending MAIL FROM";
    case Stage::Rcpt: return "sending RCPT TO";
    case Stage::Data: return "sending DATA command";
    case Stage::Dot: return "sending end of data -- message may be sent more than once";
    case Stage::Rset: return "sending RSET";
    case Stage::Quit: return "sending QUIT";
    case Stage::Done: return "closing the session";
    }
    return "";
}


std::string_view dns_key(dns::Status s) {
    switch (s) {
    case dns::Status::Found: return "found";
    case dns::Status::NullMx: return "null_mx";
    case dns::Status::NxDomain: return "nxdomain";
    case dns::Status::NoData: return "nodata";
    case dns::Status::ServFail: return "servfail";
    case dns::Status::Refused: return "refused";
    case dns::Status::Timeout: return "timeout";
    case dns::Status::BadName: return "bad_name";
    case dns::Status::BadAnswer: return "bad_answer";
    case dns::Status::ConnRefused: return "conn_refused";
    case dns::Status::Error: return "error";
    }
    return "";
}

// Postfix's dns_strerror() words for the resolver's h_errno: HOST_NOT_FOUND, TRY_AGAIN,
// NO_RECOVERY, NO_DATA. SERVFAIL and timeouts are TRY_AGAIN (deferred); REFUSED is NO_RECOVERY.
std::string_view dns_words(dns::Status s) {
    switch (s) {
    case dns::Status::NxDomain: return "Host not found";
    case dns::Status::NoData:
    case dns::Status::Found: return "Host found but no data record of requested type";
    case dns::Status::ServFail:
    case dns::Status::Timeout:
    case dns::Status::ConnRefused:
    case dns::Status::Error: return "Host not found, try again";
    case dns::Status::Refused:
    case dns::Status::BadName:
    case dns::Status::BadAnswer:
    case dns::Status::NullMx: return "Non-recoverable error";
    }
    return "Host not found, try again";
}

std::string_view connect_words(NetError e) {
    switch (e) {
    case NetError::ConnectRefused: return "Connection refused";
    case NetError::ConnectTimeout:
    case NetError::Timeout: return "Connection timed out";
    case NetError::Unreachable: return "No route to host";
    case NetError::Reset: return "Connection reset by peer";
    case NetError::Closed: return "Connection closed by peer";
    case NetError::None:
    case NetError::Protocol:
    case NetError::TooLarge:
    case NetError::Smtputf8NotOffered:
    case NetError::TlsNotOffered:
    case NetError::TlsHandshake:
    case NetError::TlsUntrusted:
    case NetError::TlsExpired:
    case NetError::TlsWrongName:
    case NetError::Local: return "Local error";
    }
    return "Local error";
}

struct ReasonWords {
    std::string operator()(const AcceptedReason& r) const { return r.reply; }
    std::string operator()(const RemoteReplyReason& r) const {
        const std::string who = "host " + peer(r.host, r.ip);
        // Postfix smtp_proto.c: a 5xx/4xx greeting is "refused to talk to me".
        if (r.stage == Stage::Greeting) return who + " refused to talk to me: " + r.reply;
        const std::string cmd = in_reply_to_words(r.stage);
        if (cmd.empty()) return who + " said: " + r.reply;
        return who + " said: " + r.reply + " (in reply to " + cmd + ")";
    }
    std::string operator()(const DnsReason& r) const {
        if (r.status == dns::Status::NullMx) return "Domain " + r.name + " does not accept mail (nullMX)";
        return "Host or domain name not found. Name service error for name=" + r.name + " type=" + r.type + ": " +
               std::string(dns_words(r.status));
    }
    std::string operator()(const ConnectReason& r) const {
        return "connect to " + peer(r.host, r.ip) + ":" + std::to_string(r.port) + ": " +
               std::string(connect_words(r.error));
    }
    std::string operator()(const SessionReason& r) const {
        const std::string who = peer(r.host, r.ip);
        const std::string while_ = " while " + std::string(activity_words(r.stage));
        switch (r.error) {
        case NetError::Timeout:
        case NetError::ConnectTimeout: return "conversation with " + who + " timed out" + while_;
        case NetError::Protocol: return "host " + who + " sent a malformed reply" + while_;
        case NetError::TooLarge: return "message exceeds the size limit of server " + who;
        // Postfix's words (smtp_proto.c), with dsn=5.6.7.
        case NetError::Smtputf8NotOffered: return "SMTPUTF8 is required, but was not offered by host " + who;
        // Postfix's words for a session deferred by its TLS security level (smtp_proto.c, tls_verify).
        case NetError::TlsNotOffered: return "TLS is required, but was not offered by host " + who;
        case NetError::TlsHandshake: return "Cannot start TLS: handshake failure with " + who;
        case NetError::TlsUntrusted:
        case NetError::TlsExpired: return "Server certificate not trusted (" + who + ")";
        case NetError::TlsWrongName: return "Server certificate not verified (" + who + ")";
        case NetError::ConnectRefused:
        case NetError::Unreachable: return "connect to " + who + ": " + std::string(connect_words(r.error));
        case NetError::None:
        case NetError::Reset:
        case NetError::Closed:
        case NetError::Local: return "lost connection with " + who + while_;
        }
        return "lost connection with " + who + while_;
    }
};

struct ReasonJson {
    nlohmann::json operator()(const AcceptedReason& r) const { return {{"kind", "accepted"}, {"reply", r.reply}}; }
    nlohmann::json operator()(const RemoteReplyReason& r) const {
        return {{"kind", "remote_reply"}, {"stage", smtp::to_string(r.stage)}, {"host", r.host}, {"ip", r.ip}, {"reply", r.reply}};
    }
    nlohmann::json operator()(const DnsReason& r) const {
        return {{"kind", "dns"}, {"name", r.name}, {"type", r.type}, {"status", dns_key(r.status)}};
    }
    nlohmann::json operator()(const ConnectReason& r) const {
        return {{"kind", "connect"}, {"host", r.host}, {"ip", r.ip}, {"port", r.port}, {"error", smtp::to_string(r.error)}};
    }
    nlohmann::json operator()(const SessionReason& r) const {
        return {{"kind", "session"}, {"stage", smtp::to_string(r.stage)}, {"host", r.host}, {"ip", r.ip}, {"error", smtp::to_string(r.error)}};
    }
};

}  // namespace

std::string_view to_string(DeliveryStatus s) {
    switch (s) {
    case DeliveryStatus::Sent: return "sent";
    case DeliveryStatus::Deferred: return "deferred";
    case DeliveryStatus::Bounced: return "bounced";
    case DeliveryStatus::Expired: return "expired";
    }
    return "deferred";
}

std::string format_delay(double seconds) {
    if (!(seconds > 0)) return "0";  // also NaN
    char buf[32];
    if (seconds >= 10) {
        auto r = std::to_chars(buf, buf + sizeof buf, std::min(seconds, 1e15), std::chars_format::fixed, 0);
        return std::string(buf, r.ptr);
    }
    // Two significant digits, never finer than 1/100 s (Postfix delay_logging_resolution_limit=2).
    int decimals = seconds >= 1 ? 1 : 2;
    auto r = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed, decimals);
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    if (s == "10.0") return "10";
    // Trailing zeros of the fraction go, and the point with them: 0.50 → 0.5, 2.0 → 2.
    while (s.back() == '0') s.remove_suffix(1);
    if (s.back() == '.') s.remove_suffix(1);
    return std::string(s);
}

std::string reason_text(const DeliveryReason& reason) { return std::visit(ReasonWords{}, reason); }

std::string format_log_line(const DeliveryEvent& e) {
    std::string line;
    if (!e.queue_id.empty()) line += e.queue_id + ": ";
    line += "to=<" + e.recipient + ">, relay=";
    line += e.relay ? peer(e.relay->host, e.relay->ip) + ":" + std::to_string(e.relay->port) : "none";
    line += ", delay=" + format_delay(e.delay);
    if (e.delays) {
        line += ", delays=";
        for (std::size_t k = 0; k < e.delays->size(); ++k) line += (k ? "/" : "") + format_delay((*e.delays)[k]);
    }
    line += ", dsn=" + e.dsn + ", status=" + std::string(to_string(e.status)) + " (" + reason_text(e.reason) + ")";
    for (char& c : line)
        if (c == '\r' || c == '\n') c = ' ';  // one event, one line, whatever the remote sent
    return line;
}

nlohmann::json to_json(const DeliveryEvent& e) {
    nlohmann::json j;
    if (e.time) j["time"] = format_time(*e.time);
    if (!e.queue_id.empty()) j["queue_id"] = e.queue_id;
    j["to"] = e.recipient;
    if (e.relay) {
        j["relay"] = {{"host", e.relay->host}, {"ip", e.relay->ip}, {"port", e.relay->port}};
    } else {
        j["relay"] = nullptr;
    }
    j["delay"] = e.delay;
    if (e.delays) j["delays"] = *e.delays;
    j["dsn"] = e.dsn;
    j["status"] = to_string(e.status);
    j["reason"] = std::visit(ReasonJson{}, e.reason);
    j["text"] = reason_text(e.reason);
    return j;
}

std::string format_json_line(const DeliveryEvent& e) {
    // Invalid UTF-8 from a remote's reply is replaced, never thrown about.
    return json_text(to_json(e));
}

}  // namespace relaylab::gw
