// The cause a notice's words claim, and whether that claim is true of a failure's classification:
// the vocabulary policies write in, audit checks, scenarios expect and the log records.
#pragma once

#include "taxonomy/classify.hpp"

#include <optional>
#include <string_view>

namespace relaylab::gw {

// The cause a notice's words claim.
enum class Claim {
    Delivered,
    HostUnknown,        // "the host / domain was not found"
    UserUnknown,        // "the mailbox does not exist"
    RecipientRejected,  // "the recipient was refused"
    SenderRejected,     // "your (sender) address was refused"
    MessageRejected,    // "the message was refused"
    MessageTooLarge,
    NoMailService,      // "the domain accepts no mail" (null MX)
    DnsTemporary,       // "DNS failed temporarily"
    ConnectionFailed,   // "could not connect"
    GreetingRejected,
    HeloRejected,
    ProtocolError,
    TemporaryFailure,
    Expired,            // "gave up after retrying"
    MailLoop,
    LocalError,
    Undeliverable,      // "could not be delivered", no cause named
    // The finer causes real bounces name: each claims exactly its failure class (same snake_case name).
    MailboxFull, MailboxDisabled, RecipientMoved, RecipientFilter, AuthFailure, IpBlocklisted, BadReputation,
    PtrRequired, RateLimited, TooManyConnections, RelayingDenied, SpamDetected, VirusDetected, ExceedsLimit,
    ContentError, NotRfcCompliant, TlsRequired, StartTlsFailed, SecurityError, NotAccepting, SystemError,
    SystemFull, SyntaxError, MailerError, PolicyViolation, Smtputf8NotOffered, TlsNotOffered, StartTlsRefused,
    TlsHandshakeFailed, TlsCertUntrusted, TlsCertExpired, TlsCertWrongName, Delayed, AutoReply, AbuseFeedback,
};
std::string_view to_string(Claim c);  // snake_case: "host_unknown", ...
std::optional<Claim> claim_from_string(std::string_view s);

// Which notice: the failure notice (a bounce) or a delay warning.
enum class NoticeKind { Failure, Delay };
constexpr std::string_view to_string(NoticeKind k) { return k == NoticeKind::Failure ? "failure" : "delay"; }
constexpr std::optional<NoticeKind> notice_kind_from_string(std::string_view s) {
    if (s == "failure") return NoticeKind::Failure;
    if (s == "delay") return NoticeKind::Delay;
    return std::nullopt;
}
// Whether words claiming `c` tell the truth about `c`'s classification. For an expiry the last
// temporary failure's cause also counts ("connection_failed" after days of refused connections).
bool claim_is_true(Claim c, const Classification& truth);

}  // namespace relaylab::gw
