// What a bounce, a log line or a JSON report says about one failed delivery, read back into typed
// values (stage, reply, DNS status, network error) so that taxonomy/classify can interpret it the
// same way the gateway does. Readers never guess silently: what they could not read stays unset.
#pragma once

#include "taxonomy/outcome.hpp"
#include "resolver/result.hpp"
#include "smtpclient/outcome.hpp"
#include "smtpclient/reply.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// Inputs bigger than this are cut before reading: a bounce worth explaining is never this long.
inline constexpr std::size_t max_input_octets = 1024 * 1024;
// Lines longer than this are cut (RFC 5322 §2.1.1 allows 998).
inline constexpr std::size_t max_line_octets = 8192;

enum class SourceKind {
    Unknown,
    RelaylabNotice,  // a relaylab handset notice (multipart/report with X-Remote-MTA-IP)
    PostfixBounce,
    EximBounce,
    SendmailBounce,
    Dsn,             // some other RFC 3464 delivery-status report
    PostfixLog,
    EximLog,
    RelaylabJson,    // a JSON line from log/logline to_json
};
std::string_view to_string(SourceKind k);  // "postfix_bounce", ...

// What kind of report a per-recipient finding comes from: most are failures, but a support
// mailbox also holds success DSNs, delay warnings (RFC 3464 Action), auto-replies (RFC 3834) and
// abuse feedback reports (RFC 5965).
enum class ReportKind { Failure, Delayed, Delivered, AutoReply, Feedback };
std::string_view to_string(ReportKind k);  // "failure", "delayed", "delivered", "auto_reply", "feedback"

struct Finding {
    SourceKind source = SourceKind::Unknown;
    std::string sender;
    std::string recipient;
    std::optional<smtp::Stage> stage;
    bool stage_inferred = false;  // from the status code, not from the text
    std::string remote_host;
    std::string remote_ip;
    std::optional<smtp::Reply> reply;
    std::optional<dns::Status> dns_status;
    std::string dns_name;
    bool mx_host_lookup = false;  // the failing lookup was an MX host's address, not the domain's MX
    std::optional<smtp::NetError> net;
    std::string reported_status;  // as the source gave it: "Status: 5.0.0", "dsn=5.0.0"
    std::string action;           // "failed", "delayed", "bounced", "deferred", "expired", "sent"
    bool expired = false;         // the source says the message gave up after retries
    std::vector<std::string> found;  // what was read, in words ("Status: 5.1.7"), for "cannot tell"
    ReportKind report = ReportKind::Failure;
    // The reporting MTA's or provider's own words about why, when they are not an SMTP reply
    // ("Host unknown (Name server: …)", "Unrouteable address", a carrier's Japanese text), in UTF-8.
    std::string diagnostic_text;
    std::string reporter;  // the format recognised: "postfix", "exim", "gmail", "docomo", ... (may be empty)
};

// Reads "553 5.1.7 text" (or several such lines) as a reply; nullopt when it is not one.
std::optional<smtp::Reply> parse_reply_text(std::string_view text);
// "MAIL FROM" / "RCPT TO" / "end of DATA" / "DATA" / "EHLO" / "HELO" (case-insensitive) as a stage.
std::optional<smtp::Stage> stage_from_command(std::string_view words);

// The typed outcome a finding describes, when it says enough: a DNS failure, a connection or
// session failure, or a reply at a known stage. Expiries wrap the last failure.
std::optional<gw::DeliveryOutcome> to_outcome(const Finding& f);

// Reads any supported input: a bounce, a Postfix/Exim log line, a relaylab JSON line, a bare reply
// line or status code. One Finding per recipient the input reports on, in the input's order; never
// empty: an input that says nothing readable gives one Finding with SourceKind::Unknown.
std::vector<Finding> read_all(std::string_view input);
// The first of read_all: for inputs about one delivery.
Finding read_any(std::string_view input);

}  // namespace relaylab::diag
