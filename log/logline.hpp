// One delivery event as a Postfix-shaped log line (postfix/smtp's "to=<…>, relay=…, delay=…,
// dsn=…, status=… (reason)") and as a JSON line. The reason arrives typed (stage, reply, DNS
// status, network error) and is worded here, at the edge, in Postfix's words.
#pragma once

#include "clock/clock.hpp"
#include "resolver/result.hpp"
#include "smtpclient/outcome.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace relaylab::gw {

enum class DeliveryStatus { Sent, Deferred, Bounced, Expired };
std::string_view to_string(DeliveryStatus s);  // "sent", "deferred", "bounced", "expired"

// relay=host[ip]:port
struct LogRelay {
    std::string host;
    std::string ip;
    unsigned short port = 25;
};

// The remote accepted: its reply, "250 2.0.0 Ok: queued as 4F1A2B".
struct AcceptedReason {
    std::string reply;
};
// The remote answered with an error: "host H[IP] said: 553 malformed address (in reply to MAIL
// FROM command)"; at the greeting Postfix says "refused to talk to me".
struct RemoteReplyReason {
    smtp::Stage stage = smtp::Stage::Mail;
    std::string host;
    std::string ip;
    std::string reply;  // one line as MTAs quote it (multi-line replies joined by spaces)
};
// Name service failure for `name` and record `type` ("MX", "A", "AAAA"); null MX has its own wording.
struct DnsReason {
    std::string name;
    std::string type = "MX";
    dns::Status status = dns::Status::NxDomain;
};
// The TCP connection never came up: "connect to H[IP]:25: Connection refused".
struct ConnectReason {
    std::string host;
    std::string ip;
    unsigned short port = 25;
    smtp::NetError error = smtp::NetError::ConnectRefused;
};
// The session broke without a reply to blame: "conversation with H[IP] timed out while
// receiving the initial server greeting", "lost connection with H[IP] while sending RCPT TO".
struct SessionReason {
    std::string host;
    std::string ip;
    smtp::Stage stage = smtp::Stage::Greeting;
    smtp::NetError error = smtp::NetError::Timeout;
};
using DeliveryReason = std::variant<AcceptedReason, RemoteReplyReason, DnsReason, ConnectReason, SessionReason>;

struct DeliveryEvent {
    std::optional<TimePoint> time;  // JSON only; the log writer adds its own timestamp
    std::string queue_id;           // "4F1A2B: " prefix when not empty
    std::string recipient;
    std::optional<LogRelay> relay;  // relay=none when absent (DNS and connection failures)
    double delay = 0;               // seconds since arrival
    // before queue manager / in queue manager / connection set-up / transmission (Postfix's delays=)
    std::optional<std::array<double, 4>> delays;
    std::string dsn;                // "5.1.7"
    DeliveryStatus status = DeliveryStatus::Bounced;
    DeliveryReason reason;
};

// Postfix's delay form: two significant digits, at most two decimals, whole seconds from 10 on:
// 0.123 → "0.12", 4.34 → "4.3", 0.001 → "0", 123.4 → "123".
std::string format_delay(double seconds);
// The text in parentheses after status=.
std::string reason_text(const DeliveryReason& reason);
// "to=<…>, relay=…, delay=…, [delays=…, ]dsn=…, status=… (…)"; no newline.
std::string format_log_line(const DeliveryEvent& event);
// The same event as an object: to, relay {host, ip, port} or null, delay, delays, dsn, status,
// reason {kind, …typed pieces…}, text (the Postfix wording), time and queue_id when present.
nlohmann::json to_json(const DeliveryEvent& event);
// to_json dumped on one line (no newline), for JSON-lines logs.
std::string format_json_line(const DeliveryEvent& event);

}  // namespace relaylab::gw
