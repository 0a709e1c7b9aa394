#include "gateway/classify.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace relaylab::gw {

namespace {

using smtp::Stage;
using FC = FailureClass;

constexpr std::array<std::pair<FailureClass, std::string_view>, 21> class_names{{
    {FC::Delivered, "delivered"},
    {FC::DnsNxdomain, "dns_nxdomain"},
    {FC::DnsNodata, "dns_nodata"},
    {FC::BadDomain, "bad_domain"},
    {FC::NullMx, "null_mx"},
    {FC::MxNoAddress, "mx_no_address"},
    {FC::DnsTemporary, "dns_temporary"},
    {FC::ConnectFailed, "connect_failed"},
    {FC::GreetingRejected, "greeting_rejected"},
    {FC::HeloRejected, "helo_rejected"},
    {FC::SenderRejected, "sender_rejected"},
    {FC::RecipientUnknown, "recipient_unknown"},
    {FC::RecipientRejected, "recipient_rejected"},
    {FC::DataRejected, "data_rejected"},
    {FC::MessageRejected, "message_rejected"},
    {FC::MessageTooLarge, "message_too_large"},
    {FC::ProtocolError, "protocol_error"},
    {FC::TemporaryFailure, "temporary_failure"},
    {FC::MailLoop, "mail_loop"},
    {FC::LocalError, "local_error"},
    {FC::Expired, "expired"},
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

Classification make(FailureClass f, DsnStatus s) {
    Classification c;
    c.failure = f;
    c.reason = reason_of(f);
    c.permanent = is_permanent(f);
    c.status = s;
    return c;
}

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
    case N::Local: return make(FC::LocalError, status(4, 3, 0));
    case N::ConnectRefused:
    case N::Unreachable: return make(FC::TemporaryFailure, status(4, 4, 1));
    default: break;
    }
    if (r.protocol != smtp::ProtocolError::None) return make(FC::ProtocolError, status(4, 5, 0));
    // Timeout, reset, closed: RFC 3463 X.4.2 "bad connection".
    return make(FC::TemporaryFailure, status(4, 4, 2));
}

Classification classify_reply(const smtp::RecipientOutcome& r, const smtp::Reply& reply) {
    const int k = reply.permanent() ? 5 : 4;
    const auto remote = reply.enhanced;
    const bool specific = remote && !generic(*remote);
    // Keep the remote's subject.detail; the class always follows the reply code (RFC 3463 §2).
    const DsnStatus kept = specific ? status(k, remote->subject, remote->detail) : DsnStatus{};
    if (!reply.permanent()) {
        // 4xx: the remote's code if specific, else "undefined": expiry then falls back to 4.4.7.
        Classification c = make(FC::TemporaryFailure, specific ? kept : status(4, 0, 0));
        return c;
    }
    const bool too_large = reply.code == 552 || (specific && remote->subject == 3 && remote->detail == 4);
    switch (r.stage) {
    case Stage::Connect:
    case Stage::Greeting: return make(FC::GreetingRejected, specific ? kept : status(5, 3, 2));
    case Stage::Ehlo:
    case Stage::Helo: return make(FC::HeloRejected, specific ? kept : status(5, 5, 0));
    case Stage::Mail:
        if (too_large && (!specific || (remote->subject == 3 && remote->detail == 4)))
            return make(FC::MessageTooLarge, status(5, 3, 4));
        return make(FC::SenderRejected, specific ? kept : status(5, 1, 7));  // X.1.7: the 2009 case
    case Stage::Rcpt: {
        const bool unknown_text = says_user_unknown(reply_one_line(reply));
        if (specific) {
            if (remote->subject == 1 && remote->detail == 1) return make(FC::RecipientUnknown, kept);
            return make(FC::RecipientRejected, kept);
        }
        if (unknown_text) return make(FC::RecipientUnknown, status(5, 1, 1));
        if (reply.code == 552) return make(FC::RecipientRejected, status(5, 2, 2));  // RFC 5321 §4.2.3 storage
        return make(FC::RecipientRejected, status(5, 1, 0));
    }
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

Classification classify_smtp(const smtp::RecipientOutcome& r) {
    if (r.delivered()) {
        auto c = make(FC::Delivered, status(2, 0, 0));
        if (r.reply && r.reply->enhanced && r.reply->enhanced->klass == 2)
            c.status = status(2, r.reply->enhanced->subject, r.reply->enhanced->detail);
        return c;
    }
    if (!r.reply) return classify_net(r);
    return classify_reply(r, *r.reply);
}

Classification classify_once(const DeliveryOutcome& o) {
    switch (o.kind) {
    case OutcomeKind::DomainDns:
    case OutcomeKind::MxHostDns: return classify_dns(o);
    case OutcomeKind::Smtp: {
        auto c = classify_smtp(o.smtp);
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

std::string_view to_string(FailureClass c) {
    for (const auto& [k, name] : class_names)
        if (k == c) return name;
    return "local_error";
}

std::optional<FailureClass> failure_class_from_string(std::string_view s) {
    for (const auto& [k, name] : class_names)
        if (name == s) return k;
    return std::nullopt;
}

bool is_permanent(FailureClass c) {
    return c != FC::Delivered && !is_temporary(c);
}

bool is_temporary(FailureClass c) {
    return c == FC::DnsTemporary || c == FC::ConnectFailed || c == FC::ProtocolError || c == FC::TemporaryFailure ||
           c == FC::LocalError;
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

Reason reason_of(FailureClass c) {
    switch (c) {
    case FC::Delivered: return Reason::Delivered;
    case FC::DnsNxdomain:
    case FC::DnsNodata:
    case FC::BadDomain:
    case FC::MxNoAddress: return Reason::HostUnknown;
    case FC::NullMx: return Reason::NotAccept;
    case FC::DnsTemporary:
    case FC::ConnectFailed:
    case FC::MailLoop: return Reason::NetworkError;
    case FC::GreetingRejected:
    case FC::HeloRejected: return Reason::Blocked;
    case FC::SenderRejected: return Reason::Rejected;
    case FC::RecipientUnknown: return Reason::UserUnknown;
    case FC::RecipientRejected: return Reason::Filtered;
    case FC::DataRejected:
    case FC::MessageRejected: return Reason::ContentError;
    case FC::MessageTooLarge: return Reason::MesgTooBig;
    case FC::ProtocolError: return Reason::SyntaxError;
    case FC::TemporaryFailure: return Reason::OnHold;
    case FC::LocalError: return Reason::SystemError;
    case FC::Expired: return Reason::Expired;
    }
    return Reason::Undefined;
}

std::string DsnStatus::str() const {
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
        // Sisimai names a bounce after its cause where the last attempt gave one, else "expired".
        c.reason = last.failure == FC::TemporaryFailure ? Reason::Expired : last.reason;
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

std::string_view command_words(smtp::Stage s) {
    switch (s) {
    case Stage::Connect: return "connect";
    case Stage::Greeting: return "initial greeting";
    case Stage::Ehlo: return "EHLO";
    case Stage::Helo: return "HELO";
    case Stage::Mail: return "MAIL FROM";
    case Stage::Rcpt: return "RCPT TO";
    case Stage::Data: return "DATA";
    case Stage::Dot: return "end of DATA";
    case Stage::Rset: return "RSET";
    case Stage::Quit: return "QUIT";
    case Stage::Done: return "end of DATA";
    }
    return "";
}

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
