#include "diagnosis/log_reader.hpp"
#include "diagnosis/text.hpp"

#include "taxonomy/classify.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace relaylab::diag {

namespace {

using smtp::NetError;
using smtp::Stage;

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        auto line = text.substr(start, std::min(nl - start, max_line_octets));
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(line);
        start = nl + 1;
    }
    return out;
}

// The text between `open` and the next `close` after it.
std::optional<std::string> between(std::string_view s, std::string_view open, std::string_view close) {
    const auto a = s.find(open);
    if (a == std::string_view::npos) return std::nullopt;
    const auto b = s.find(close, a + open.size());
    if (b == std::string_view::npos) return std::nullopt;
    return std::string(s.substr(a + open.size(), b - a - open.size()));
}

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : lower(address.substr(at + 1));
}

// Postfix's words for the activity after " while ".
std::optional<Stage> stage_from_activity(std::string_view a) {
    if (a.compare(0, 21, "receiving the initial") == 0) return Stage::Greeting;
    if (contains(a, "EHLO")) return Stage::Ehlo;
    if (contains(a, "HELO")) return Stage::Helo;
    if (contains(a, "message body") || contains(a, "end of data")) return Stage::Dot;
    if (a.compare(0, 8, "sending ") == 0) return stage_from_command(a.substr(8));
    if (a.compare(0, 10, "connecting") == 0) return Stage::Connect;
    return std::nullopt;
}

std::optional<NetError> connect_error(std::string_view words) {
    if (contains(words, "refused")) return NetError::ConnectRefused;
    if (contains(words, "timed out")) return NetError::ConnectTimeout;
    if (contains(words, "No route") || contains(words, "unreachable")) return NetError::Unreachable;
    if (contains(words, "reset")) return NetError::Reset;
    return std::nullopt;
}

// Postfix's dns_strerror() words (log/logline.cpp writes the same ones).
dns::Status dns_status_from_words(std::string_view words) {
    if (contains(words, "try again")) return dns::Status::ServFail;
    if (contains(words, "no data record")) return dns::Status::NoData;
    if (contains(words, "Host not found")) return dns::Status::NxDomain;
    if (contains(words, "Non-recoverable")) return dns::Status::Refused;
    return dns::Status::Error;
}

}  // namespace

void split_peer(std::string_view peer, std::string& host, std::string& ip) {
    const auto open = peer.find('[');
    const auto close = peer.find(']', open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
        host = trim(peer);
        if (!host.empty() && host.back() == '.') host.pop_back();  // "mx1.isp.example." (Sendmail)
        return;
    }
    host = trim(peer.substr(0, open));
    ip = std::string(peer.substr(open + 1, close - open - 1));
    if (!host.empty() && host.back() == '.') host.pop_back();
}

bool read_postfix_reason(std::string_view text, Finding& f) {
    std::string_view t = text;
    constexpr std::string_view suspended = "delivery temporarily suspended: ";
    if (t.compare(0, suspended.size(), suspended) == 0) t.remove_prefix(suspended.size());
    auto peer_until = [&](std::size_t from, std::size_t to) { split_peer(t.substr(from, to - from), f.remote_host, f.remote_ip); };

    if (t.compare(0, 5, "host ") == 0) {
        const auto said = t.find(" said: ");
        const auto refused = t.find(" refused to talk to me: ");
        const auto malformed = t.find(" sent a malformed reply");
        if (said != std::string_view::npos) {
            peer_until(5, said);
            auto rest = t.substr(said + 7);
            const auto in_reply = rest.rfind(" (in reply to ");
            if (in_reply != std::string_view::npos) {
                const auto cmd = rest.substr(in_reply + 14);
                f.stage = stage_from_command(cmd.substr(0, cmd.find(" command)")));
                rest = rest.substr(0, in_reply);
            }
            f.reply = parse_reply_text(rest);
            f.found.push_back("remote reply: " + trim(rest));
            return true;
        }
        if (refused != std::string_view::npos) {
            peer_until(5, refused);
            f.reply = parse_reply_text(t.substr(refused + 24));
            // Postfix words a refused HELO/EHLO the same way as a refused greeting; the reply tells them apart.
            f.stage = f.reply && contains(lower(f.reply->text()), "helo") ? Stage::Helo : Stage::Greeting;
            f.found.push_back("greeting: " + trim(t.substr(refused + 24)));
            return true;
        }
        if (malformed != std::string_view::npos) {
            peer_until(5, malformed);
            f.net = NetError::Protocol;
            const auto w = t.find(" while ");
            f.stage = w == std::string_view::npos ? Stage::Greeting : stage_from_activity(t.substr(w + 7)).value_or(Stage::Greeting);
            return true;
        }
    }
    if (t.compare(0, 11, "connect to ") == 0) {
        const auto colon = t.find("]:");
        const auto words_at = t.find(": ", colon == std::string_view::npos ? 11 : colon + 2);
        if (words_at == std::string_view::npos) return false;
        peer_until(11, colon == std::string_view::npos ? words_at : colon + 1);
        f.stage = Stage::Connect;
        f.net = connect_error(t.substr(words_at + 2)).value_or(NetError::ConnectRefused);
        f.found.push_back("connection: " + trim(t.substr(words_at + 2)));
        return true;
    }
    for (const std::string_view head : {std::string_view("conversation with "), std::string_view("lost connection with ")}) {
        if (t.compare(0, head.size(), head) != 0) continue;
        const auto w = t.find(" while ");
        const auto timed = t.find(" timed out");
        const auto peer_end = head.front() == 'c' && timed != std::string_view::npos ? timed : w;
        if (peer_end == std::string_view::npos) return false;
        peer_until(head.size(), peer_end);
        f.net = head.front() == 'c' ? NetError::Timeout : NetError::Closed;
        f.stage = w == std::string_view::npos ? std::nullopt : stage_from_activity(t.substr(w + 7));
        f.found.push_back(trim(t));
        return true;
    }
    if (contains(t, "Name service error for name=")) {
        auto name = between(t, "name=", " ");
        auto type = between(t, "type=", ":");
        f.dns_name = name ? *name : "";
        const auto colon = t.rfind(": ");
        f.dns_status = dns_status_from_words(colon == std::string_view::npos ? t : t.substr(colon + 2));
        const auto rdomain = domain_of(f.recipient);
        f.mx_host_lookup = type && *type != "MX" && !rdomain.empty() && lower(f.dns_name) != rdomain;
        // Postfix gives "Host or domain name not found … Host not found" the status 5.4.4 (its DSN
        // and log say dsn=5.4.4): the words carry it where a bounce has no DSN of its own.
        const bool implied = f.reported_status.empty() && f.dns_status == dns::Status::NxDomain &&
                             contains(t, "Host or domain name not found");
        if (implied) f.reported_status = "5.4.4";
        f.found.push_back("DNS: " + trim(t));
        if (implied) f.found.push_back("status 5.4.4, as Postfix reports these words");
        return true;
    }
    if (contains(t, "does not accept mail (nullMX)")) {
        f.dns_name = between(t, "Domain ", " ").value_or(domain_of(f.recipient));
        f.dns_status = dns::Status::NullMx;
        f.found.push_back("null MX: " + trim(t));
        return true;
    }
    if (contains(t, "exceeds size limit")) {
        const auto server = t.find("of server ");
        if (server != std::string_view::npos) split_peer(t.substr(server + 10), f.remote_host, f.remote_ip);
        f.stage = Stage::Mail;
        f.net = NetError::TooLarge;
        return true;
    }
    if (contains(t, "SMTPUTF8 is required, but was not offered")) {  // Postfix, dsn=5.6.7
        const auto host = t.find("by host ");
        if (host != std::string_view::npos) split_peer(t.substr(host + 8), f.remote_host, f.remote_ip);
        f.stage = Stage::Mail;
        f.net = NetError::Smtputf8NotOffered;
        return true;
    }
    // Postfix's deferrals by its TLS security level (smtp_proto.c, tls_verify), which relaylab's own
    // log writes in the same words: the peer follows "by host " or sits in parentheses.
    struct TlsWords {
        std::string_view words;
        NetError net;
    };
    for (const auto& w : {TlsWords{"TLS is required, but was not offered by host ", NetError::TlsNotOffered},
                          TlsWords{"Cannot start TLS: handshake failure", NetError::TlsHandshake},
                          TlsWords{"Server certificate not trusted", NetError::TlsUntrusted},
                          TlsWords{"Server certificate not verified", NetError::TlsWrongName}}) {
        const auto at = t.find(w.words);
        if (at == std::string_view::npos) continue;
        auto rest = t.substr(at + w.words.size());
        if (const auto open = rest.find_first_not_of(" (with"); open != std::string_view::npos) rest = rest.substr(open);
        if (const auto close = rest.find(')'); close != std::string_view::npos) rest = rest.substr(0, close);
        if (rest.find('[') != std::string_view::npos) split_peer(rest, f.remote_host, f.remote_ip);
        f.stage = Stage::StartTls;
        f.net = w.net;
        f.found.push_back("TLS: " + trim(t));
        return true;
    }
    if (auto r = parse_reply_text(t)) {  // status=sent (250 2.0.0 Ok: queued as …)
        f.reply = r;
        f.stage = r->positive() ? Stage::Done : f.stage;
        return true;
    }
    return false;
}

bool read_exim_reason(std::string_view text, Finding& f) {
    const auto t = text;
    if (auto h = t.find("H="); h != std::string_view::npos) {
        const auto end = t.find(']', h);
        if (end != std::string_view::npos) split_peer(t.substr(h + 2, end + 1 - h - 2), f.remote_host, f.remote_ip);
    }
    if (auto a = t.find("SMTP error from remote mail server after "); a != std::string_view::npos) {
        auto cmd = t.substr(a + 41);
        if (cmd.starts_with("pipelined ")) cmd.remove_prefix(10);  // Exim's words for a pipelined command
        f.stage = stage_from_command(cmd);
        if (!f.stage && lower(cmd.substr(0, 18)) == "initial connection") f.stage = Stage::Greeting;
        // The reply follows the first ": " that is followed by a reply code.
        for (std::size_t p = cmd.find(": "); p != std::string_view::npos; p = cmd.find(": ", p + 1)) {
            if (auto r = parse_reply_text(cmd.substr(p + 2))) {
                f.reply = r;
                f.found.push_back("remote reply: " + trim(cmd.substr(p + 2)));
                break;
            }
        }
        return f.reply.has_value();
    }
    const auto rdomain = domain_of(f.recipient);
    if (contains(t, "Unrouteable address")) {
        f.dns_status = dns::Status::NxDomain;
        f.dns_name = rdomain;
        f.found.push_back("Unrouteable address");
        return true;
    }
    if (contains(t, "indicated no SMTP service")) {
        f.dns_status = dns::Status::NullMx;
        f.dns_name = rdomain;
        return true;
    }
    if (contains(t, "point to non-existent hosts") || contains(t, "all relevant MX records point")) {
        f.dns_status = dns::Status::NxDomain;
        f.mx_host_lookup = true;
        return true;
    }
    if (contains(t, "host lookup did not complete")) {
        f.dns_status = dns::Status::ServFail;
        f.dns_name = rdomain;
        return true;
    }
    if (auto a = t.find("SMTP timeout after "); a != std::string_view::npos) {
        f.net = NetError::Timeout;
        f.stage = stage_from_command(t.substr(a + 19)).value_or(Stage::Greeting);
        return true;
    }
    if (auto a = t.find("closed connection in response to "); a != std::string_view::npos) {
        f.net = NetError::Closed;
        f.stage = stage_from_command(t.substr(a + 33));
        if (!f.stage && contains(t.substr(a), "initial connection")) f.stage = Stage::Greeting;
        return f.stage.has_value();
    }
    if (auto e = connect_error(t); e && (contains(t, "Connection refused") || contains(t, "Connection timed out") ||
                                         contains(t, "No route to host"))) {
        f.stage = Stage::Connect;
        f.net = *e;
        return true;
    }
    return false;
}

std::optional<Finding> read_postfix_log(std::string_view text) {
    Finding f;
    f.source = SourceKind::PostfixLog;
    std::string_view chosen;
    for (const auto line : lines_of(text)) {
        if (auto from = between(line, "from=<", ">,")) f.sender = *from;
        if (!contains(line, "to=<") || !contains(line, "status=")) continue;
        const auto st = line.find("status=");
        if (line.compare(st, 14, "status=expired") == 0) {
            f.expired = true;
            if (chosen.empty()) chosen = line;
            continue;
        }
        chosen = line;  // the last delivery line wins: a log excerpt ends with the outcome
    }
    if (chosen.empty()) return std::nullopt;
    const auto line = chosen;
    if (auto to = between(line, "to=<", ">")) f.recipient = *to;
    if (auto relay = between(line, "relay=", ",")) {
        if (*relay != "none") {
            split_peer(*relay, f.remote_host, f.remote_ip);
            f.found.push_back("relay=" + *relay);
        }
    }
    if (auto dsn = between(line, "dsn=", ",")) {
        f.reported_status = *dsn;
        f.found.push_back("dsn=" + *dsn);
    }
    const auto st = line.find("status=");
    const auto open = line.find(" (", st);
    f.action = std::string(line.substr(st + 7, std::min(line.find_first_of(" ,", st), line.size()) - st - 7));
    f.found.push_back("status=" + f.action);
    if (f.action == "expired") f.expired = true;
    if (open != std::string_view::npos) {
        auto reason = line.substr(open + 2);
        if (!reason.empty() && reason.back() == ')') reason.remove_suffix(1);
        if (!read_postfix_reason(reason, f)) f.found.push_back("reason not recognised: " + trim(reason));
    }
    return f;
}

std::optional<Finding> read_exim_log(std::string_view text) {
    Finding f;
    f.source = SourceKind::EximLog;
    std::string_view chosen;
    char marker = 0;
    for (const auto line : lines_of(text)) {
        for (const std::string_view m : {" ** ", " == ", " => ", " <= "}) {
            const auto at = line.find(m);
            if (at == std::string_view::npos || at > 80) continue;  // date, time, message id come first
            if (m == " <= ") {
                auto rest = line.substr(at + 4);
                f.sender = std::string(rest.substr(0, rest.find(' ')));
                if (f.sender == "<>") f.sender.clear();
            } else {
                chosen = line.substr(at + 1);
                marker = m[1];
            }
        }
    }
    if (chosen.empty()) return std::nullopt;
    auto rest = chosen.substr(3);
    f.recipient = std::string(rest.substr(0, rest.find_first_of(" :")));
    f.action = marker == '*' ? "failed" : marker == '=' && chosen[1] == '=' ? "deferred" : "delivered";
    f.found.push_back("exim " + std::string(chosen.substr(0, 2)) + " " + f.recipient);
    if (contains(rest, "retry timeout exceeded") || contains(rest, "retry time not reached for any host after a long failure period"))
        f.expired = true;
    if (marker == '=' && chosen[1] == '>') {
        f.stage = Stage::Done;
        return f;
    }
    if (!read_exim_reason(rest, f) && !f.expired) f.found.push_back("reason not recognised: " + trim(rest));
    return f;
}

std::optional<Finding> read_sendmail_log(std::string_view text) {
    std::string_view chosen;
    std::string sender;
    for (const auto line : lines_of(text)) {
        if (!contains(line, "sendmail[") && !contains(line, "sm-mta[")) continue;
        if (auto from = between(line, "from=<", ">")) sender = *from;
        if (contains(line, " to=") && contains(line, "stat=")) chosen = line;
    }
    if (chosen.empty()) return std::nullopt;
    Finding f;
    f.source = SourceKind::Unknown;
    f.reporter = "sendmail";
    f.sender = sender;
    const auto line = chosen;
    auto to = line.substr(line.find(" to=") + 4);
    to = to.substr(0, to.find(", "));
    f.recipient = std::string(to.starts_with("<") && to.ends_with(">") ? to.substr(1, to.size() - 2) : to);
    if (auto relay = between(line, "relay=", ", ")) split_peer(*relay, f.remote_host, f.remote_ip);
    if (auto dsn = between(line, "dsn=", ", ")) {
        f.reported_status = *dsn;
        f.found.push_back("dsn=" + *dsn);
    }
    const auto stat = trim(line.substr(line.find("stat=") + 5));
    f.found.push_back("stat=" + stat);
    if (stat.starts_with("Sent")) {
        f.action = "sent";
        f.report = ReportKind::Delivered;
        f.stage = Stage::Done;
        return f;
    }
    f.action = stat.starts_with("Deferred") ? "deferred" : "bounced";
    if (f.action == "deferred") f.report = ReportKind::Delayed;
    // "stat=Deferred: Connection refused by mx1.isp.example.", "stat=Host unknown", "stat=User unknown".
    auto words = std::string_view(stat);
    if (words.starts_with("Deferred: ")) words.remove_prefix(10);
    if (auto r = parse_reply_text(words)) f.reply = r;
    else f.diagnostic_text = std::string(words);
    if (contains(words, "Host unknown")) {
        f.dns_status = dns::Status::NxDomain;
        f.dns_name = domain_of(f.recipient);
    } else if (auto e = connect_error(words); e && !f.reply) {
        f.stage = Stage::Connect;
        f.net = *e;
    }
    return f;
}

std::optional<Finding> read_relaylab_json(std::string_view text) {
    const auto first_line = text.substr(0, text.find('\n'));
    auto j = nlohmann::json::parse(first_line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("to") || !j.contains("status")) return std::nullopt;
    Finding f;
    f.source = SourceKind::RelaylabJson;
    auto str = [](const nlohmann::json& o, const char* k) {
        return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
    };
    f.recipient = str(j, "to");
    f.sender = str(j, "from");
    f.reported_status = str(j, "dsn");
    f.action = str(j, "status");
    f.expired = f.action == "expired";
    f.found.push_back("to=" + f.recipient + " status=" + f.action + " dsn=" + f.reported_status);
    const auto& reason = j.contains("reason") ? j["reason"] : nlohmann::json();
    const auto kind = str(reason, "kind");
    f.remote_host = str(reason, "host");
    f.remote_ip = str(reason, "ip");
    if (j.contains("relay") && j["relay"].is_object() && f.remote_host.empty()) {
        f.remote_host = str(j["relay"], "host");
        f.remote_ip = str(j["relay"], "ip");
    }
    auto net_from = [](const std::string& s) -> std::optional<NetError> {
        for (int i = 0; i <= static_cast<int>(NetError::Local); ++i)
            if (smtp::to_string(static_cast<NetError>(i)) == s) return static_cast<NetError>(i);
        return std::nullopt;
    };
    if (kind == "remote_reply" || kind == "accepted") {
        f.stage = kind == "accepted" ? std::optional<Stage>(Stage::Done) : gw::stage_from_name(str(reason, "stage"));
        f.reply = parse_reply_text(str(reason, "reply"));
    } else if (kind == "dns") {
        f.dns_name = str(reason, "name");
        f.dns_status = dns::status_from_string(str(reason, "status"));
        const auto type = str(reason, "type");
        f.mx_host_lookup = type != "MX" && lower(f.dns_name) != domain_of(f.recipient);
    } else if (kind == "connect") {
        f.stage = Stage::Connect;
        f.net = net_from(str(reason, "error"));
    } else if (kind == "session") {
        f.stage = gw::stage_from_name(str(reason, "stage"));
        f.net = net_from(str(reason, "error"));
    } else {
        f.found.push_back("reason kind not recognised: " + kind);
    }
    return f;
}

}  // namespace relaylab::diag
