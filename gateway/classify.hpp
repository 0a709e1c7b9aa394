// Outcome → failure class and RFC 3463 status (design.md "Truth vs. label"). The remote's enhanced
// code is kept where it is specific; where it is absent or generic the stage decides (X.1.7 at
// MAIL FROM, X.1.1 / X.1.0 at RCPT TO...). No words for people here: policy.hpp chooses those.
#pragma once

#include "gateway/outcome.hpp"
#include "smtpclient/reply.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace relaylab::gw {

enum class FailureClass {
    Delivered,
    DnsNxdomain,        // the recipient domain does not exist (5.1.2)
    DnsNodata,          // the domain exists but has no MX and no A/AAAA (5.4.4)
    BadDomain,          // the domain is not a valid name (5.1.2)
    NullMx,             // RFC 7505 "MX 0 ." (5.1.10)
    MxNoAddress,        // the MX host does not resolve (5.4.4)
    DnsTemporary,       // SERVFAIL, timeout, refused... (4.4.3)
    ConnectFailed,      // TCP connect refused / timed out / unreachable (4.4.1, 4.4.2)
    GreetingRejected,   // 5xx greeting
    HeloRejected,       // 5xx to EHLO and HELO
    SenderRejected,     // 5xx to MAIL FROM — the 2009 case
    RecipientUnknown,   // 5xx to RCPT TO saying the mailbox does not exist (5.1.1)
    RecipientRejected,  // any other 5xx to RCPT TO (policy 5.7.x, mailbox full 5.2.2...)
    DataRejected,       // 5xx to the DATA command
    MessageRejected,    // 5xx after the final dot
    MessageTooLarge,    // over the remote's SIZE, or 552 / X.3.4 for the message (5.3.4)
    ProtocolError,      // the remote's bytes were not SMTP (4.5.0)
    TemporaryFailure,   // any 4xx, or a network error after connect (before expiry)
    MailLoop,           // the route leads back to the gateway (5.4.6)
    LocalError,         // the gateway itself failed (4.3.0)
    Expired,            // the queue lifetime ran out after temporary failures
};
std::string_view to_string(FailureClass c);  // snake_case: "sender_rejected", "dns_nxdomain", ...
std::optional<FailureClass> failure_class_from_string(std::string_view s);
// Permanent: no retry will change it (every 5xx class, and expired). Delivered is neither.
bool is_permanent(FailureClass c);
bool is_temporary(FailureClass c);

// The bounce reason in the names of the Sisimai bounce analyser (docs/taxonomy.md), so that results
// compare with the analyser many Japanese operators already run. Several classes share a reason.
enum class Reason {
    Undefined, Delivered, Vacation, Feedback, OnHold,
    UserUnknown, MailboxFull, Filtered, Rejected, Blocked, HostUnknown, Expired, AuthFailure,
    RequirePtr, BadReputation, TooManyConn, Speeding, SpamDetected, VirusDetected, MesgTooBig,
    ExceedLimit, ContentError, Suspend, HasMoved, NoRelaying, SecurityError, FailedStartTls,
    NotAccept, NetworkError, SystemError, SystemFull, MailerError, PolicyViolation, NotCompliantRfc,
    SyntaxError,
};
std::string_view to_string(Reason r);  // Sisimai's spelling: "userunknown", "requireptr", ...
std::optional<Reason> reason_from_string(std::string_view s);
// The reason a class stands for (docs/taxonomy.md has the table).
Reason reason_of(FailureClass c);

// RFC 3463 status as class.subject.detail.
struct DsnStatus {
    int klass = 0, subject = 0, detail = 0;
    std::string str() const;  // "5.1.7"
    friend bool operator==(const DsnStatus&, const DsnStatus&) = default;
};

struct Classification {
    FailureClass failure = FailureClass::Delivered;
    Reason reason = Reason::Delivered;  // reason_of(failure), or of the last temporary for expiries
    bool permanent = false;             // is_permanent(failure)
    DsnStatus status;                    // for the DSN's Status: field (RFC 3464 §2.3.4)
    std::optional<smtp::Stage> stage;   // the SMTP stage that decided (for expired: the last one's)
    std::optional<smtp::Reply> reply;   // the remote's reply, verbatim (for expired: the last one's)
    std::string diagnostic_code;        // "smtp; 553 malformed address"; empty without a reply
    bool expired = false;
    std::optional<FailureClass> last_temporary;  // for expired: the class of the last temporary outcome
};

Classification classify(const DeliveryOutcome& outcome);

// The truth and its classification together: what policy rendering takes.
struct ClassifiedOutcome {
    DeliveryOutcome outcome;
    Classification classification;
};
ClassifiedOutcome classified(DeliveryOutcome outcome);

// The reply as MTAs quote it: "553 malformed address", lines joined by a space (RFC 3464 §2.3.6).
std::string reply_one_line(const smtp::Reply& r);
// The words after "in reply to" / the command a stage sends: "MAIL FROM", "RCPT TO", "end of DATA".
std::string_view command_words(smtp::Stage s);
std::string_view stage_name(smtp::Stage s);  // "connect", "greeting", "ehlo", "helo", "mail", ...
std::optional<smtp::Stage> stage_from_name(std::string_view s);
std::string_view dns_status_name(dns::Status s);  // "nxdomain", "servfail", ...
// Replies whose text says the mailbox does not exist ("User unknown", "No such user", ...).
bool says_user_unknown(std::string_view reply_text);

}  // namespace relaylab::gw
