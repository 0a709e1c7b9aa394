#include "taxonomy/classify.hpp"

#include "taxonomy/reply_rules.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace relaylab::gw {

namespace {

using smtp::Stage;
using FC = FailureClass;

// One row per class: its name in files, Sisimai's reason, who acts, permanence, and the RFC 3463 /
// RFC 7372 subject.detail it stands for when the remote gives none (docs/taxonomy.md).
struct ClassRow {
    FailureClass failure;
    std::string_view name;
    Reason reason;
    Actor actor;
    Permanence permanence;
    int subject, detail;
};
using A = Actor;
using P = Permanence;
using R = Reason;
constexpr ClassRow class_rows[] = {
    {FC::Delivered, "delivered", R::Delivered, A::Nobody, P::NotAFailure, 0, 0},
    {FC::DnsNxdomain, "dns_nxdomain", R::HostUnknown, A::HandsetUser, P::Permanent, 1, 2},
    {FC::DnsNodata, "dns_nodata", R::HostUnknown, A::RemoteAdmin, P::Permanent, 4, 4},
    {FC::BadDomain, "bad_domain", R::HostUnknown, A::HandsetUser, P::Permanent, 1, 2},
    {FC::NullMx, "null_mx", R::NotAccept, A::HandsetUser, P::Permanent, 1, 10},
    {FC::MxNoAddress, "mx_no_address", R::HostUnknown, A::RemoteAdmin, P::Permanent, 4, 4},
    {FC::DnsTemporary, "dns_temporary", R::NetworkError, A::RemoteAdmin, P::Temporary, 4, 3},
    {FC::ConnectFailed, "connect_failed", R::NetworkError, A::RemoteAdmin, P::Temporary, 4, 1},
    {FC::GreetingRejected, "greeting_rejected", R::Blocked, A::Carrier, P::AsReplied, 3, 2},
    {FC::HeloRejected, "helo_rejected", R::Blocked, A::Carrier, P::AsReplied, 5, 0},
    {FC::SenderRejected, "sender_rejected", R::Rejected, A::HandsetUser, P::AsReplied, 1, 7},
    {FC::RecipientUnknown, "recipient_unknown", R::UserUnknown, A::HandsetUser, P::AsReplied, 1, 1},
    {FC::RecipientRejected, "recipient_rejected", R::Filtered, A::RemoteAdmin, P::AsReplied, 1, 0},
    {FC::DataRejected, "data_rejected", R::ContentError, A::RemoteAdmin, P::AsReplied, 0, 0},
    {FC::MessageRejected, "message_rejected", R::ContentError, A::RemoteAdmin, P::AsReplied, 0, 0},
    {FC::MessageTooLarge, "message_too_large", R::MesgTooBig, A::HandsetUser, P::AsReplied, 3, 4},
    {FC::ProtocolError, "protocol_error", R::SyntaxError, A::RemoteAdmin, P::Temporary, 5, 0},
    {FC::TemporaryFailure, "temporary_failure", R::OnHold, A::Nobody, P::Temporary, 0, 0},
    {FC::MailLoop, "mail_loop", R::NetworkError, A::Carrier, P::Permanent, 4, 6},
    {FC::LocalError, "local_error", R::SystemError, A::Carrier, P::Temporary, 3, 0},
    {FC::Expired, "expired", R::Expired, A::RemoteAdmin, P::Permanent, 4, 7},
    {FC::MailboxFull, "mailbox_full", R::MailboxFull, A::Recipient, P::AsReplied, 2, 2},
    {FC::MailboxDisabled, "mailbox_disabled", R::Suspend, A::Recipient, P::AsReplied, 2, 1},
    {FC::RecipientMoved, "recipient_moved", R::HasMoved, A::HandsetUser, P::AsReplied, 1, 6},
    {FC::RecipientFilter, "recipient_filter", R::Filtered, A::Recipient, P::AsReplied, 7, 1},
    {FC::AuthFailure, "auth_failure", R::AuthFailure, A::Carrier, P::AsReplied, 7, 26},
    {FC::IpBlocklisted, "ip_blocklisted", R::Blocked, A::Carrier, P::AsReplied, 7, 1},
    {FC::BadReputation, "bad_reputation", R::BadReputation, A::Carrier, P::AsReplied, 7, 1},
    {FC::PtrRequired, "ptr_required", R::RequirePtr, A::Carrier, P::AsReplied, 7, 25},
    {FC::RateLimited, "rate_limited", R::Speeding, A::Carrier, P::AsReplied, 7, 0},
    {FC::TooManyConnections, "too_many_connections", R::TooManyConn, A::Carrier, P::AsReplied, 4, 5},
    {FC::RelayingDenied, "relaying_denied", R::NoRelaying, A::RemoteAdmin, P::AsReplied, 7, 1},
    {FC::SpamDetected, "spam_detected", R::SpamDetected, A::HandsetUser, P::AsReplied, 7, 1},
    {FC::VirusDetected, "virus_detected", R::VirusDetected, A::HandsetUser, P::AsReplied, 7, 1},
    {FC::ExceedsLimit, "exceeds_limit", R::ExceedLimit, A::HandsetUser, P::AsReplied, 2, 3},
    {FC::ContentError, "content_error", R::ContentError, A::HandsetUser, P::AsReplied, 6, 0},
    {FC::NotRfcCompliant, "not_rfc_compliant", R::NotCompliantRfc, A::Carrier, P::AsReplied, 6, 0},
    {FC::TlsRequired, "tls_required", R::SecurityError, A::Carrier, P::AsReplied, 7, 10},
    {FC::StartTlsFailed, "starttls_failed", R::FailedStartTls, A::Carrier, P::AsReplied, 7, 5},
    {FC::SecurityError, "security_error", R::SecurityError, A::Carrier, P::AsReplied, 7, 0},
    {FC::NotAccepting, "not_accepting", R::NotAccept, A::HandsetUser, P::AsReplied, 3, 2},
    {FC::SystemError, "system_error", R::SystemError, A::RemoteAdmin, P::AsReplied, 3, 0},
    {FC::SystemFull, "system_full", R::SystemFull, A::RemoteAdmin, P::AsReplied, 3, 1},
    {FC::SyntaxError, "syntax_error", R::SyntaxError, A::Carrier, P::AsReplied, 5, 2},
    {FC::MailerError, "mailer_error", R::MailerError, A::RemoteAdmin, P::AsReplied, 3, 0},
    {FC::PolicyViolation, "policy_violation", R::PolicyViolation, A::RemoteAdmin, P::AsReplied, 7, 1},
    // Only the remote can lift it (offer SMTPUTF8); the handset's user can write from an ASCII address.
    {FC::Smtputf8NotOffered, "smtputf8_not_offered", R::ContentError, A::RemoteAdmin, P::Permanent, 6, 7},
    // The remote's TLS falls short of what the carrier's policy for it requires: its admin fixes the
    // server (or the carrier lowers the destination's level); nothing for the handset's user.
    {FC::TlsNotOffered, "tls_not_offered", R::FailedStartTls, A::RemoteAdmin, P::Temporary, 7, 4},
    {FC::StartTlsRefused, "starttls_refused", R::FailedStartTls, A::RemoteAdmin, P::AsReplied, 7, 0},
    {FC::TlsHandshakeFailed, "tls_handshake_failed", R::FailedStartTls, A::RemoteAdmin, P::Temporary, 7, 5},
    {FC::TlsCertUntrusted, "tls_cert_untrusted", R::SecurityError, A::RemoteAdmin, P::Temporary, 7, 5},
    {FC::TlsCertExpired, "tls_cert_expired", R::SecurityError, A::RemoteAdmin, P::Temporary, 7, 5},
    {FC::TlsCertWrongName, "tls_cert_wrong_name", R::SecurityError, A::RemoteAdmin, P::Temporary, 7, 5},
    {FC::Delayed, "delayed", R::OnHold, A::Nobody, P::Temporary, 0, 0},
    {FC::AutoReply, "auto_reply", R::Vacation, A::Nobody, P::NotAFailure, 0, 0},
    {FC::AbuseFeedback, "abuse_feedback", R::Feedback, A::Carrier, P::NotAFailure, 0, 0},
};

const ClassRow& row(FailureClass c) {
    for (const auto& r : class_rows)
        if (r.failure == c) return r;
    return class_rows[0];
}

constexpr std::array<std::pair<Actor, std::string_view>, 5> actor_names{{
    {A::HandsetUser, "handset_user"},
    {A::Carrier, "carrier"},
    {A::Recipient, "recipient"},
    {A::RemoteAdmin, "remote_admin"},
    {A::Nobody, "nobody"},
}};

// Texts that say the mailbox does not exist, as the common MTAs word it (lower case).
constexpr std::array<std::string_view, 12> user_unknown_phrases{
    "user unknown",       "unknown user",       "no such user",        "no such mailbox",
    "unknown recipient",  "recipient unknown",  "recipient not found", "mailbox not found",
    "user not found",     "does not exist",     "invalid recipient",   "no mailbox here",
};

DsnStatus status(int k, int s, int d) { return DsnStatus{k, s, d}; }

// RFC 3463: X.0.0 says nothing; X.1.0 says only "something about an address".
bool generic(const smtp::EnhancedCode& e) { return (e.subject == 0 && e.detail == 0) || (e.subject == 1 && e.detail == 0); }

Classification make(FailureClass f, DsnStatus s) { return classification_of(f, s); }

Classification classify_dns(const DeliveryOutcome& o) {
    using S = dns::Status;
    const bool mx_host = o.kind == OutcomeKind::MxHostDns;
    switch (o.dns_status) {
    case S::NxDomain: return mx_host ? make(FC::MxNoAddress, status(5, 4, 4)) : make(FC::DnsNxdomain, status(5, 1, 2));
    case S::NoData: return mx_host ? make(FC::MxNoAddress, status(5, 4, 4)) : make(FC::DnsNodata, status(5, 4, 4));
    case S::NullMx: return make(FC::NullMx, status(5, 1, 10));  // RFC 7505 §4.2
    case S::BadName: return mx_host ? make(FC::MxNoAddress, status(5, 4, 4)) : make(FC::BadDomain, status(5, 1, 2));
    case S::ServFail:
    case S::Refused:
    case S::Timeout:
    case S::BadAnswer:
    case S::ConnRefused:
    case S::Error:
    case S::Found:  // a DNS outcome that found the name is a caller bug; retrying is the safe reading
        return make(FC::DnsTemporary, status(4, 4, 3));
    }
    return make(FC::DnsTemporary, status(4, 4, 3));
}

Classification classify_net(const smtp::RecipientOutcome& r) {
    using N = smtp::NetError;
    if (r.stage == Stage::Connect) {
        return make(FC::ConnectFailed, r.net == N::ConnectTimeout || r.net == N::Timeout ? status(4, 4, 2) : status(4, 4, 1));
    }
    switch (r.net) {
    case N::Protocol: return make(FC::ProtocolError, status(4, 5, 0));
    case N::TooLarge: return make(FC::MessageTooLarge, status(5, 3, 4));
    // RFC 6531 §3.2 / RFC 5248: X.6.7 "Non-ASCII addresses not permitted for that sender/recipient".
    case N::Smtputf8NotOffered: return make(FC::Smtputf8NotOffered, status(5, 6, 7));
    case N::Local: return make(FC::LocalError, status(4, 3, 0));
    // RFC 3463 X.7.4 "security features not supported"; X.7.5 "cryptographic failure" (Postfix's
    // dsn for each of these deferrals).
    case N::TlsNotOffered: return make(FC::TlsNotOffered, status(4, 7, 4));
    case N::TlsHandshake: return make(FC::TlsHandshakeFailed, status(4, 7, 5));
    case N::TlsUntrusted: return make(FC::TlsCertUntrusted, status(4, 7, 5));
    case N::TlsExpired: return make(FC::TlsCertExpired, status(4, 7, 5));
    case N::TlsWrongName: return make(FC::TlsCertWrongName, status(4, 7, 5));
    case N::ConnectRefused:
    case N::Unreachable: return make(FC::TemporaryFailure, status(4, 4, 1));
    // Named, not defaulted: a new NetError must be placed here by whoever adds it (-Wswitch).
    case N::None:
    case N::ConnectTimeout:
    case N::Timeout:
    case N::Reset:
    case N::Closed: break;
    }
    if (r.protocol != smtp::ProtocolError::None) return make(FC::ProtocolError, status(4, 5, 0));
    // Timeout, reset, closed: RFC 3463 X.4.2 "bad connection".
    return make(FC::TemporaryFailure, status(4, 4, 2));
}

// The stage's own reading of a 5xx that no reply rule names (design.md "Truth vs. label").
Classification classify_by_stage(const smtp::RecipientOutcome& r, const smtp::Reply& reply) {
    const int k = reply.permanent() ? 5 : 4;
    const auto remote = reply.enhanced;
    const bool specific = remote && !generic(*remote);
    // Keep the remote's subject.detail; the class always follows the reply code (RFC 3463 §2).
    const DsnStatus kept = specific ? status(k, remote->subject, remote->detail) : DsnStatus{};
    if (r.stage == Stage::StartTls) {
        // Only a level that requires TLS fails on a refused STARTTLS ("may" goes on in plain text).
        auto c = make(FC::StartTlsRefused, specific ? kept : status(k, 7, 0));
        c.permanent = reply.permanent();
        return c;
    }
    if (!reply.permanent()) {
        // 4xx: the remote's code if specific, else "undefined": expiry then falls back to 4.4.7.
        return make(FC::TemporaryFailure, specific ? kept : status(4, 0, 0));
    }
    const bool too_large = reply.code == 552 || (specific && remote->subject == 3 && remote->detail == 4);
    // RFC 6531 §3.5: the remote refused a non-ASCII address (X.6.7, RFC 5248).
    if (specific && remote->subject == 6 && remote->detail == 7 && (r.stage == Stage::Mail || r.stage == Stage::Rcpt))
        return make(FC::Smtputf8NotOffered, kept);
    switch (r.stage) {
    case Stage::Connect:
    case Stage::Greeting: return make(FC::GreetingRejected, specific ? kept : status(5, 3, 2));
    case Stage::Ehlo:
    case Stage::Helo: return make(FC::HeloRejected, specific ? kept : status(5, 5, 0));
    case Stage::StartTls: return make(FC::StartTlsRefused, specific ? kept : status(5, 7, 0));
    case Stage::Mail:
        if (too_large && (!specific || (remote->subject == 3 && remote->detail == 4)))
            return make(FC::MessageTooLarge, status(5, 3, 4));
        return make(FC::SenderRejected, specific ? kept : status(5, 1, 7));  // X.1.7: the 2009 case
    case Stage::Rcpt:
        if (specific && remote->subject == 1 && remote->detail == 1) return make(FC::RecipientUnknown, kept);
        if (specific) return make(FC::RecipientRejected, kept);
        if (says_user_unknown(reply_one_line(reply))) return make(FC::RecipientUnknown, status(5, 1, 1));
        if (reply.code == 552) return make(FC::MailboxFull, status(5, 2, 2));  // RFC 5321 §4.2.3 storage
        return make(FC::RecipientRejected, status(5, 1, 0));
    case Stage::Data:
        if (too_large && !specific) return make(FC::MessageTooLarge, status(5, 3, 4));
        if (specific && remote->subject == 3 && remote->detail == 4) return make(FC::MessageTooLarge, kept);
        return make(FC::DataRejected, specific ? kept : status(5, 0, 0));
    case Stage::Dot:
        if (too_large && !specific) return make(FC::MessageTooLarge, status(5, 3, 4));
        if (specific && remote->subject == 3 && remote->detail == 4) return make(FC::MessageTooLarge, kept);
        return make(FC::MessageRejected, specific ? kept : status(5, 0, 0));
    case Stage::Rset:
    case Stage::Quit:
    case Stage::Done: break;
    }
    // A 5xx to RSET/QUIT says nothing about this message: try again on a fresh session.
    return make(FC::TemporaryFailure, status(4, 0, 0));
}

std::string_view domain_part(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

// A reply: the reply rules first (policies/replies), then the stage's reading.
Classification classify_reply(const smtp::RecipientOutcome& r, const smtp::Reply& reply, std::string_view remote_host,
                              std::string_view recipient) {
    const int k = reply.permanent() ? 5 : 4;
    // A 5xx to RSET/QUIT says nothing about this message, whatever its words.
    // A refused STARTTLS is the gateway's TLS policy meeting the remote's: its own class, whatever
    // the words (the reply rules would read "454 4.7.0 TLS not available" as a rate limit or policy).
    if (r.stage == Stage::Rset || r.stage == Stage::Quit || r.stage == Stage::Done || r.stage == Stage::StartTls)
        return classify_by_stage(r, reply);
    const auto text = reply_words(reply);
    ReplyFacts facts;
    facts.stage = r.stage;
    facts.code = reply.code;
    if (reply.enhanced) facts.status = DsnStatus{reply.enhanced->klass, reply.enhanced->subject, reply.enhanced->detail};
    facts.text = text;
    facts.remote_host = remote_host;
    facts.recipient_domain = domain_part(recipient);
    const auto m = match_reply(facts);
    if (!m) return classify_by_stage(r, reply);
    auto c = make(m->failure, verdict_status(*m, facts.status, k));
    c.permanent = reply.permanent();
    c.rule = m->rule->id;
    return c;
}

Classification classify_smtp(const smtp::RecipientOutcome& r, std::string_view remote_host, std::string_view recipient) {
    if (r.delivered()) {
        auto c = make(FC::Delivered, status(2, 0, 0));
        if (r.reply && r.reply->enhanced && r.reply->enhanced->klass == 2)
            c.status = status(2, r.reply->enhanced->subject, r.reply->enhanced->detail);
        return c;
    }
    if (!r.reply) return classify_net(r);
    return classify_reply(r, *r.reply, remote_host, recipient);
}

Classification classify_once(const DeliveryOutcome& o) {
    switch (o.kind) {
    case OutcomeKind::DomainDns:
    case OutcomeKind::MxHostDns: return classify_dns(o);
    case OutcomeKind::Smtp: {
        auto c = classify_smtp(o.smtp, o.remote.host, o.recipient);
        if (c.failure != FC::Delivered || o.smtp.reply) c.stage = o.smtp.stage;
        if (o.smtp.reply) {
            c.reply = o.smtp.reply;
            c.diagnostic_code = "smtp; " + reply_one_line(*o.smtp.reply);
        }
        return c;
    }
    case OutcomeKind::Local:
        if (o.local == LocalError::MailLoop) return make(FC::MailLoop, status(5, 4, 6));
        if (o.local == LocalError::Resource) return make(FC::LocalError, status(4, 3, 1));
        return make(FC::LocalError, status(4, 3, 0));
    case OutcomeKind::Expired: break;
    }
    return make(FC::Expired, status(4, 4, 7));
}

}  // namespace

std::string_view to_string(FailureClass c) { return row(c).name; }

std::optional<FailureClass> failure_class_from_string(std::string_view s) {
    for (const auto& r : class_rows)
        if (r.name == s) return r.failure;
    return std::nullopt;
}

const std::vector<FailureClass>& all_failure_classes() {
    static const std::vector<FailureClass> all = [] {
        std::vector<FailureClass> v;
        for (const auto& r : class_rows) v.push_back(r.failure);
        return v;
    }();
    return all;
}

Permanence permanence(FailureClass c) { return row(c).permanence; }
bool is_permanent(FailureClass c) { return permanence(c) == Permanence::Permanent; }
bool is_temporary(FailureClass c) { return permanence(c) == Permanence::Temporary; }

std::string_view to_string(Actor a) {
    for (const auto& [k, name] : actor_names)
        if (k == a) return name;
    return "nobody";
}

std::optional<Actor> actor_from_string(std::string_view s) {
    for (const auto& [k, name] : actor_names)
        if (name == s) return k;
    return std::nullopt;
}

Actor who_acts(FailureClass c) { return row(c).actor; }

Actor who_acts(const Classification& c) {
    // An expiry or a delay warning: whoever must act on the cause of the last attempt's failure.
    if ((c.expired || c.failure == FC::Delayed) && c.last_temporary && *c.last_temporary != FC::TemporaryFailure)
        return who_acts(*c.last_temporary);
    return who_acts(c.failure);
}

std::optional<DsnStatus> parse_dsn_status(std::string_view s) {
    DsnStatus out;
    int* parts[] = {&out.klass, &out.subject, &out.detail};
    std::size_t i = 0;
    for (int n = 0; n < 3; ++n) {
        if (n > 0) {
            if (i >= s.size() || s[i] != '.') return std::nullopt;
            ++i;
        }
        int v = 0, digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 3) v = v * 10 + (s[i++] - '0'), ++digits;
        if (digits == 0 || (n == 0 && digits != 1)) return std::nullopt;
        *parts[n] = v;
    }
    if (i != s.size() || (out.klass != 2 && out.klass != 4 && out.klass != 5)) return std::nullopt;
    return out;
}

DsnStatus default_status(FailureClass c, int klass) {
    const auto& r = row(c);
    if (r.permanence == Permanence::NotAFailure) return c == FC::Delivered ? status(2, 0, 0) : DsnStatus{};
    if (r.permanence == Permanence::Temporary) klass = 4;
    return status(klass, r.subject, r.detail);
}

Classification classification_of(FailureClass f, DsnStatus s) {
    Classification c;
    c.failure = f;
    c.reason = reason_of(f);
    c.status = s;
    switch (permanence(f)) {
    case Permanence::Permanent: c.permanent = true; break;
    case Permanence::Temporary:
    case Permanence::NotAFailure: c.permanent = false; break;
    case Permanence::AsReplied: c.permanent = s.klass == 5; break;
    }
    return c;
}

namespace {
constexpr std::array<std::pair<Reason, std::string_view>, 35> reason_names{{
    {Reason::Undefined, "undefined"},     {Reason::Delivered, "delivered"},       {Reason::Vacation, "vacation"},
    {Reason::Feedback, "feedback"},       {Reason::OnHold, "onhold"},             {Reason::UserUnknown, "userunknown"},
    {Reason::MailboxFull, "mailboxfull"}, {Reason::Filtered, "filtered"},         {Reason::Rejected, "rejected"},
    {Reason::Blocked, "blocked"},         {Reason::HostUnknown, "hostunknown"},   {Reason::Expired, "expired"},
    {Reason::AuthFailure, "authfailure"}, {Reason::RequirePtr, "requireptr"},     {Reason::BadReputation, "badreputation"},
    {Reason::TooManyConn, "toomanyconn"}, {Reason::Speeding, "speeding"},         {Reason::SpamDetected, "spamdetected"},
    {Reason::VirusDetected, "virusdetected"}, {Reason::MesgTooBig, "mesgtoobig"}, {Reason::ExceedLimit, "exceedlimit"},
    {Reason::ContentError, "contenterror"}, {Reason::Suspend, "suspend"},         {Reason::HasMoved, "hasmoved"},
    {Reason::NoRelaying, "norelaying"},   {Reason::SecurityError, "securityerror"}, {Reason::FailedStartTls, "failedstarttls"},
    {Reason::NotAccept, "notaccept"},     {Reason::NetworkError, "networkerror"}, {Reason::SystemError, "systemerror"},
    {Reason::SystemFull, "systemfull"},   {Reason::MailerError, "mailererror"},   {Reason::PolicyViolation, "policyviolation"},
    {Reason::NotCompliantRfc, "notcompliantrfc"}, {Reason::SyntaxError, "syntaxerror"},
}};
}  // namespace

std::string_view to_string(Reason r) {
    for (const auto& [k, name] : reason_names)
        if (k == r) return name;
    return "undefined";
}

std::optional<Reason> reason_from_string(std::string_view s) {
    for (const auto& [k, name] : reason_names)
        if (name == s) return k;
    return std::nullopt;
}

Reason reason_of(FailureClass c) { return row(c).reason; }

std::string DsnStatus::str() const {
    if (klass == 0) return {};
    return std::to_string(klass) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

Classification classify(const DeliveryOutcome& o) {
    if (o.kind != OutcomeKind::Expired) return classify_once(o);
    // RFC 3463 X.4.7: "the code for the actual problem found when delivery was attempted should be
    // returned rather than this code". Class 4 stays: a persistent transient failure (RFC 3463 §3.1)
    // that made the gateway give up; the DSN says Action: failed.
    Classification c = make(FC::Expired, status(4, 4, 7));
    c.expired = true;
    if (o.last_temporary && o.last_temporary->kind != OutcomeKind::Expired) {
        const auto last = classify_once(*o.last_temporary);
        c.last_temporary = last.failure;
        // Sisimai names a bounce after its cause where the last attempt gave one (a full mailbox, a
        // rate limit), else "expired": also when the last attempts could not connect or resolve (its
        // table maps X.4.1 / X.4.2 to expired).
        c.reason = last.reason == Reason::OnHold || last.reason == Reason::NetworkError ? Reason::Expired : last.reason;
        c.stage = last.stage;
        c.reply = last.reply;
        c.diagnostic_code = last.diagnostic_code;
        if (last.status.klass == 4 && !(last.status.subject == 0 && last.status.detail == 0)) c.status = last.status;
    }
    return c;
}

ClassifiedOutcome classified(DeliveryOutcome outcome) {
    auto c = classify(outcome);
    return ClassifiedOutcome{std::move(outcome), std::move(c)};
}

std::string reply_one_line(const smtp::Reply& r) { return r.one_line(); }


// The names live with the types they name (smtpclient, resolver); these keep the policy-side spelling.
std::string_view stage_name(smtp::Stage s) { return smtp::to_string(s); }

std::optional<smtp::Stage> stage_from_name(std::string_view s) { return smtp::stage_from_string(s); }

std::string_view dns_status_name(dns::Status s) { return dns::to_string(s); }

bool says_user_unknown(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::any_of(user_unknown_phrases.begin(), user_unknown_phrases.end(),
                       [&](std::string_view p) { return lower.find(p) != std::string::npos; });
}

}  // namespace relaylab::gw
