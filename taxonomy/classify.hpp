// Outcome → failure class and RFC 3463 status (design.md "Truth vs. label"). The remote's enhanced
// code is kept where it is specific; where it is absent or generic the stage decides (X.1.7 at
// MAIL FROM, X.1.1 / X.1.0 at RCPT TO...). No words for people here: policy.hpp chooses those.
#pragma once

#include "taxonomy/outcome.hpp"
#include "smtpclient/reply.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    GreetingRejected,   // 5xx greeting that names no finer cause
    HeloRejected,       // 5xx to EHLO and HELO
    SenderRejected,     // 5xx to MAIL FROM — the 2009 case (5.1.7)
    RecipientUnknown,   // the mailbox does not exist (5.1.1)
    RecipientRejected,  // any other 5xx to RCPT TO that names no finer cause
    DataRejected,       // 5xx to the DATA command that names no finer cause
    MessageRejected,    // 5xx after the final dot that names no finer cause
    MessageTooLarge,    // over the remote's SIZE, or 552 / X.3.4 for the message (5.3.4)
    ProtocolError,      // the remote's bytes were not SMTP (4.5.0)
    TemporaryFailure,   // any 4xx that names no finer cause, or a network error after connect
    MailLoop,           // the route leads back to the gateway (5.4.6)
    LocalError,         // the gateway itself failed (4.3.0)
    Expired,            // the queue lifetime ran out after temporary failures
    // The finer classes real bounces name (docs/taxonomy.md). Temporary or permanent as the reply says.
    MailboxFull,        // quota (4.2.2 / 5.2.2)
    MailboxDisabled,    // disabled or suspended account (5.2.1)
    RecipientMoved,     // the mailbox has moved (5.1.6)
    RecipientFilter,    // the recipient's reception filter refused the sender (mobile "designated senders")
    AuthFailure,        // SPF / DKIM / DMARC failed (RFC 7372 5.7.20–5.7.26)
    IpBlocklisted,      // the gateway's IP is on a block list (5.7.1)
    BadReputation,      // the gateway's IP or domain has a poor reputation (5.7.1)
    PtrRequired,        // the gateway's IP has no matching reverse DNS (5.7.25)
    RateLimited,        // too many messages too fast (4.7.0)
    TooManyConnections, // too many sessions or recipients at once (4.4.5)
    RelayingDenied,     // the host is not the recipient domain's mail server (5.7.1)
    SpamDetected,       // the content was judged spam (5.7.1)
    VirusDetected,      // the content carries malware (5.7.1)
    ExceedsLimit,       // larger than this recipient's mailbox allows (5.2.3)
    ContentError,       // the content or its MIME form was refused (5.6.0)
    NotRfcCompliant,    // the header breaks RFC 5322 (5.6.0)
    TlsRequired,        // the remote requires TLS (5.7.10)
    StartTlsFailed,     // STARTTLS or the TLS handshake failed (4.7.5)
    SecurityError,      // other security refusals: authentication required, credentials (5.7.0)
    NotAccepting,       // the host or domain accepts no mail (521, 556 5.1.10) (5.3.2)
    SystemError,        // the remote system failed (4.3.0 / 5.3.0)
    SystemFull,         // the remote system is out of storage (4.3.1 / 5.3.1)
    SyntaxError,        // the remote did not understand a command (5.5.2)
    MailerError,        // the remote's local delivery program failed (5.3.0)
    PolicyViolation,    // refused by a site policy that names no finer cause (5.7.1)
    // A UTF-8 address (RFC 6531) and a remote that does not offer SMTPUTF8: never sent, bounced at
    // once (RFC 6531 §3.2), or the remote's own 553 5.6.7 (5.6.7).
    Smtputf8NotOffered,
    // The gateway's own TLS decisions at a destination's security level (Postfix's
    // smtp_tls_security_level; docs/tls.md). Always temporary: Postfix defers them.
    TlsNotOffered,      // encrypt/verify, and the remote did not offer STARTTLS (4.7.4)
    StartTlsRefused,    // encrypt/verify, and the remote answered STARTTLS with 4xx/5xx (as replied, X.7.0)
    TlsHandshakeFailed, // the TLS handshake failed (4.7.5); "may" retries in plain text first
    TlsCertUntrusted,   // verify: no chain to a trusted authority (4.7.5)
    TlsCertExpired,     // verify: the certificate is expired or not yet valid (4.7.5)
    TlsCertWrongName,   // verify: the certificate is for another name than the MX host (4.7.5)
    // Reports a support mailbox holds that are not failures.
    Delayed,            // a delay warning naming no cause (4.0.0)
    AutoReply,          // vacation / auto-reply, RFC 3834
    AbuseFeedback,      // an abuse report, ARF RFC 5965
};
std::string_view to_string(FailureClass c);  // snake_case: "sender_rejected", "dns_nxdomain", ...
std::optional<FailureClass> failure_class_from_string(std::string_view s);
// Every class, in declaration order (for tables, tests and docs).
const std::vector<FailureClass>& all_failure_classes();

// Whether a class is always permanent, always temporary, or as the reply code says (a full mailbox
// is 452 4.2.2 or 552 5.2.2). Classification::permanent is the truth for one outcome.
enum class Permanence { Permanent, Temporary, AsReplied, NotAFailure };
Permanence permanence(FailureClass c);
// Permanent: no retry will change it whatever the reply (every class that only 5xx reaches, and
// expired). Temporary: only a transient failure reaches it. Classes that follow the reply are neither.
bool is_permanent(FailureClass c);
bool is_temporary(FailureClass c);

// Who must act for the failure to go away: the handset's user (check the address, change the
// content), the carrier running the gateway (its IP, DNS, SPF/DKIM, TLS), the recipient (a full or
// filtered mailbox), the remote's administrator (its server, its DNS, its policy), or nobody.
enum class Actor { HandsetUser, Carrier, Recipient, RemoteAdmin, Nobody };
std::string_view to_string(Actor a);  // "handset_user", "carrier", "recipient", "remote_admin", "nobody"
std::optional<Actor> actor_from_string(std::string_view s);
Actor who_acts(FailureClass c);

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

// RFC 3463 status as class.subject.detail. klass 0: none (an auto-reply or abuse report has none).
struct DsnStatus {
    int klass = 0, subject = 0, detail = 0;
    std::string str() const;  // "5.1.7"; "" when klass is 0
    friend bool operator==(const DsnStatus&, const DsnStatus&) = default;
};
// "5.1.7" → {5,1,7}; nullopt unless class 2/4/5 and subject/detail of 1–3 digits.
std::optional<DsnStatus> parse_dsn_status(std::string_view s);
// The status a class stands for when the remote gives none, or only a generic one (X.0.0, X.1.0):
// `klass` is 4 or 5 as the reply code says (docs/taxonomy.md has the table).
DsnStatus default_status(FailureClass c, int klass);

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
    std::string rule;                    // the reply rule that decided (policies/replies), if one did
};
// Who must act for this outcome (for an expiry: for the last temporary failure's cause).
Actor who_acts(const Classification& c);
// A classification from a class and a status: reason_of(f), permanent as the class or the status says.
Classification classification_of(FailureClass f, DsnStatus status);

Classification classify(const DeliveryOutcome& outcome);

// The truth and its classification together: what policy rendering takes.
struct ClassifiedOutcome {
    DeliveryOutcome outcome;
    Classification classification;
};
ClassifiedOutcome classified(DeliveryOutcome outcome);

// The reply as MTAs quote it: "553 malformed address", lines joined by a space (RFC 3464 §2.3.6).
std::string reply_one_line(const smtp::Reply& r);
// A stage's command words ("MAIL FROM", "end of DATA") are smtp::command_words (smtpclient/outcome.hpp).
std::string_view stage_name(smtp::Stage s);  // "connect", "greeting", "ehlo", "helo", "mail", ...
std::optional<smtp::Stage> stage_from_name(std::string_view s);
std::string_view dns_status_name(dns::Status s);  // "nxdomain", "servfail", ...
// Replies whose text says the mailbox does not exist ("User unknown", "No such user", ...).
bool says_user_unknown(std::string_view reply_text);

}  // namespace relaylab::gw
