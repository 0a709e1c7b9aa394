// The script of a scripted remote MTA: per stage and per connection attempt, what it answers, after
// how long, or whether it drops the connection or never answers. Documented in docs/world-smtp.md.
#pragma once

#include "clock/clock.hpp"
#include "smtpserver/policy.hpp"
#include "smtpserver/reply.hpp"
#include "smtpserver/session.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relaylab::world {

// How many bytes of each received message a scripted MTA keeps for expectations.
inline constexpr std::size_t default_record_message_bytes = 1024 * 1024;

enum class MtaStage { Greeting, Helo, Ehlo, StartTls, Mail, Rcpt, Data, DataBody, Dot, Rset, Noop, Quit };
std::string_view to_string(MtaStage s);  // the script's key: "greeting", "data_body", ...

struct MtaWindow;

struct MtaStep {
    std::optional<smtp::ServerReply> reply;  // absent: the normal reply of an accepting MTA
    Duration delay{};
    smtp::DecisionAction action = smtp::DecisionAction::Reply;
    std::size_t after_bytes = 0;  // data_body only: raw DATA bytes read before the step applies
    // Windows of time from the run's start with a step of their own (docs/world-smtp.md "Schedules");
    // the first window that contains the time wins.
    std::vector<MtaWindow> schedule;
    // The step was written with a schedule and nothing else: outside its windows it does not apply
    // (the lookup goes on to the next rule), instead of answering like an accepting MTA.
    bool only_scheduled = false;

    smtp::Decision decision() const { return {reply, delay, action}; }
    // What this step does `elapsed` after the run's start: a window's step, else this step's own
    // answer, else nothing (only_scheduled outside every window).
    std::optional<MtaStep> at(Duration elapsed) const;
};

// A span of time, relative to the run's start (the MTA's start), as the DNS zones' schedules.
struct MtaWindow {
    Duration from{};
    std::optional<Duration> until;  // open-ended when absent
    MtaStep step;                   // has no schedule of its own
    bool contains(Duration elapsed) const { return elapsed >= from && (!until || elapsed < *until); }
};

// One layer of behaviour: the base script, or the overrides for one connection attempt.
struct MtaBehaviour {
    std::map<MtaStage, MtaStep> steps;
    std::map<std::string, MtaStep> senders;     // MAIL FROM raw path (lower-cased) → step
    std::map<std::string, MtaStep> recipients;  // RCPT TO raw path (lower-cased) → step
    std::optional<MtaStep> malformed_sender;     // MAIL FROM whose unquoted local part is no dot-atom
    std::optional<MtaStep> quoted_sender;        // MAIL FROM whose local part is a quoted string
};

// STARTTLS on a scripted remote (docs/world-smtp.md "TLS"). The certificate is made at run time for
// the MX host's name: issued by the run's own authority (which the gateway trusts in scenario mode),
// self-signed, expired at the run's start, or issued for another name; "none" presents no
// certificate at all, so every handshake fails (an aborted handshake, as a broken TLS set-up does).
enum class MtaCertificate { Valid, SelfSigned, Expired, WrongName, None };
std::string_view to_string(MtaCertificate c);  // "valid", "self_signed", "expired", "wrong_name", "none"
struct MtaTls {
    bool offer = false;  // STARTTLS in the EHLO reply; the "starttls" stage key scripts its reply
    MtaCertificate certificate = MtaCertificate::Valid;
};

struct MtaScript {
    std::string hostname = "mx.example";
    std::vector<std::string> capabilities{"PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"};
    std::size_t max_message_bytes = smtp::default_max_message_bytes;
    Duration idle_timeout = smtp::default_idle_timeout;
    std::size_t record_message_bytes = default_record_message_bytes;
    MtaTls tls;
    // Connections beyond this many open at once get `over_max_connections` at the greeting (0: no
    // limit), as Postfix's smtpd_client_connection_count_limit answers them.
    std::size_t max_connections = 0;
    MtaStep over_max_connections;  // default reply: 421 4.7.0 <hostname> Error: too many connections
    MtaBehaviour base;
    std::vector<MtaBehaviour> attempts;  // attempts[i] overrides base on the i-th connection (0-based)

    // Every lookup takes the connection `attempt` and the time `elapsed` since the run's start.
    // Precedence: the attempt's override, then the base step's schedule window, then the base step
    // (an attempt's step may carry a schedule too: its window beats its own answer).
    // The step for a stage: the attempt's override, else the base's.
    std::optional<MtaStep> step(MtaStage stage, std::size_t attempt, Duration elapsed = {}) const;
    // MAIL: senders match, then malformed_sender / quoted_sender, then "mail" — the attempt's layer before the base's.
    std::optional<MtaStep> mail_step(std::string_view raw_path, std::size_t attempt, Duration elapsed = {}) const;
    // RCPT: recipients match, then "rcpt" — the attempt's layer before the base's.
    std::optional<MtaStep> rcpt_step(std::string_view raw_path, std::size_t attempt, Duration elapsed = {}) const;
    smtp::ServerConfig server_config() const;
};

// True when a raw MAIL FROM path has an unquoted local part that breaks RFC 5321 §4.1.2 Dot-string
// (leading, trailing or consecutive dots, or characters outside atext): `q.@docomo.ne.jp`.
bool malformed_local_part(std::string_view raw_path);
// True when a raw MAIL FROM path's local part is an RFC 5321 §4.1.2 Quoted-string: `"q."@docomo.ne.jp`.
bool quoted_local_part(std::string_view raw_path);

struct MtaScriptError {
    std::string path;  // JSON path of the offending value, "attempts[0].rcpt.reply"; empty for syntax
    int line = 0;      // for syntax errors: 1-based line and column
    int column = 0;
    std::string message;
    std::string str() const;  // "3:14: syntax error ..." or "attempts[0].rcpt.reply: ..."
};

using MtaScriptResult = std::variant<MtaScript, MtaScriptError>;

MtaScriptResult parse_mta_script(std::string_view json_text);
// For scripts embedded in a bigger document (a scenario); `path` prefixes error paths.
MtaScriptResult mta_script_from_json(const nlohmann::json& j, const std::string& path = "");

}  // namespace relaylab::world
