#include "gateway/policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace relaylab::gw {

namespace {

constexpr std::array<std::pair<Claim, std::string_view>, 18> coarse_claim_names{{
    {Claim::Delivered, "delivered"},
    {Claim::HostUnknown, "host_unknown"},
    {Claim::UserUnknown, "user_unknown"},
    {Claim::RecipientRejected, "recipient_rejected"},
    {Claim::SenderRejected, "sender_rejected"},
    {Claim::MessageRejected, "message_rejected"},
    {Claim::MessageTooLarge, "message_too_large"},
    {Claim::NoMailService, "no_mail_service"},
    {Claim::DnsTemporary, "dns_temporary"},
    {Claim::ConnectionFailed, "connection_failed"},
    {Claim::GreetingRejected, "greeting_rejected"},
    {Claim::HeloRejected, "helo_rejected"},
    {Claim::ProtocolError, "protocol_error"},
    {Claim::TemporaryFailure, "temporary_failure"},
    {Claim::Expired, "expired"},
    {Claim::MailLoop, "mail_loop"},
    {Claim::LocalError, "local_error"},
    {Claim::Undeliverable, "undeliverable"},
}};

// The finer claims name their class.
constexpr std::array<std::pair<Claim, FailureClass>, 29> class_claims{{
    {Claim::MailboxFull, FailureClass::MailboxFull},
    {Claim::MailboxDisabled, FailureClass::MailboxDisabled},
    {Claim::RecipientMoved, FailureClass::RecipientMoved},
    {Claim::RecipientFilter, FailureClass::RecipientFilter},
    {Claim::AuthFailure, FailureClass::AuthFailure},
    {Claim::IpBlocklisted, FailureClass::IpBlocklisted},
    {Claim::BadReputation, FailureClass::BadReputation},
    {Claim::PtrRequired, FailureClass::PtrRequired},
    {Claim::RateLimited, FailureClass::RateLimited},
    {Claim::TooManyConnections, FailureClass::TooManyConnections},
    {Claim::RelayingDenied, FailureClass::RelayingDenied},
    {Claim::SpamDetected, FailureClass::SpamDetected},
    {Claim::VirusDetected, FailureClass::VirusDetected},
    {Claim::ExceedsLimit, FailureClass::ExceedsLimit},
    {Claim::ContentError, FailureClass::ContentError},
    {Claim::NotRfcCompliant, FailureClass::NotRfcCompliant},
    {Claim::TlsRequired, FailureClass::TlsRequired},
    {Claim::StartTlsFailed, FailureClass::StartTlsFailed},
    {Claim::SecurityError, FailureClass::SecurityError},
    {Claim::NotAccepting, FailureClass::NotAccepting},
    {Claim::SystemError, FailureClass::SystemError},
    {Claim::SystemFull, FailureClass::SystemFull},
    {Claim::SyntaxError, FailureClass::SyntaxError},
    {Claim::MailerError, FailureClass::MailerError},
    {Claim::PolicyViolation, FailureClass::PolicyViolation},
    {Claim::Smtputf8NotOffered, FailureClass::Smtputf8NotOffered},
    {Claim::Delayed, FailureClass::Delayed},
    {Claim::AutoReply, FailureClass::AutoReply},
    {Claim::AbuseFeedback, FailureClass::AbuseFeedback},
}};

std::optional<FailureClass> class_of_claim(Claim c) {
    for (const auto& [k, f] : class_claims)
        if (k == c) return f;
    return std::nullopt;
}

constexpr std::array<std::pair<Placeholder, std::string_view>, 19> placeholder_names{{
    {Placeholder::Recipient, "recipient"},
    {Placeholder::Sender, "sender"},
    {Placeholder::Domain, "domain"},
    {Placeholder::RemoteHost, "remote_host"},
    {Placeholder::RemoteIp, "remote_ip"},
    {Placeholder::RemotePort, "remote_port"},
    {Placeholder::Reply, "reply"},
    {Placeholder::ReplyCode, "reply_code"},
    {Placeholder::Command, "command"},
    {Placeholder::Stage, "stage"},
    {Placeholder::Status, "status"},
    {Placeholder::Class, "class"},
    {Placeholder::Diagnostic, "diagnostic"},
    {Placeholder::DnsName, "dns_name"},
    {Placeholder::DnsStatus, "dns_status"},
    {Placeholder::Attempts, "attempts"},
    {Placeholder::QuotedSender, "quoted_sender"},
    {Placeholder::LocalPartProblemEn, "local_part_problem_en"},
    {Placeholder::LocalPartProblemJa, "local_part_problem_ja"},
}};

// Does the cause `c` describe failure class `f` truthfully? `permanent`: the outcome's own permanence
// (a full mailbox is 452 or 552). The coarse claims cover the finer classes they still describe truly:
// "the recipient was refused" is true of a full mailbox; "the message was refused" is true of spam, not
// of the carrier's broken SPF or the recipient's reception filter, where it sends the user the wrong way.
bool claim_fits(Claim c, FailureClass f, bool permanent) {
    using FC = FailureClass;
    if (const auto exact = class_of_claim(c)) return *exact == f;
    switch (c) {
    case Claim::Delivered: return f == FC::Delivered;
    case Claim::HostUnknown: return f == FC::DnsNxdomain || f == FC::DnsNodata || f == FC::BadDomain || f == FC::MxNoAddress;
    case Claim::UserUnknown: return f == FC::RecipientUnknown;
    case Claim::RecipientRejected:
        return f == FC::RecipientUnknown || f == FC::RecipientRejected || f == FC::MailboxFull || f == FC::MailboxDisabled ||
               f == FC::RecipientMoved || f == FC::RecipientFilter || f == FC::RelayingDenied || f == FC::ExceedsLimit;
    case Claim::SenderRejected: return f == FC::SenderRejected;
    case Claim::MessageRejected:
        return f == FC::DataRejected || f == FC::MessageRejected || f == FC::MessageTooLarge || f == FC::SpamDetected ||
               f == FC::VirusDetected || f == FC::ContentError || f == FC::NotRfcCompliant || f == FC::ExceedsLimit ||
               f == FC::PolicyViolation;
    case Claim::MessageTooLarge: return f == FC::MessageTooLarge;
    case Claim::NoMailService: return f == FC::NullMx || f == FC::NotAccepting;
    case Claim::DnsTemporary: return f == FC::DnsTemporary;
    case Claim::ConnectionFailed: return f == FC::ConnectFailed;
    case Claim::GreetingRejected: return f == FC::GreetingRejected;
    case Claim::HeloRejected: return f == FC::HeloRejected;
    case Claim::ProtocolError: return f == FC::ProtocolError;
    case Claim::TemporaryFailure: return is_temporary(f) || (permanence(f) == Permanence::AsReplied && !permanent);
    case Claim::Expired: return f == FC::Expired;
    case Claim::MailLoop: return f == FC::MailLoop;
    case Claim::LocalError: return f == FC::LocalError;
    case Claim::Undeliverable: return is_permanent(f) || (permanence(f) == Permanence::AsReplied && permanent);
    default: break;
    }
    return false;
}

bool status_matches(const std::string& pattern, const DsnStatus& s) {
    const auto full = s.str();
    return full == pattern || (full.size() > pattern.size() && full.compare(0, pattern.size(), pattern) == 0 &&
                               full[pattern.size()] == '.');
}

template <class T>
bool any_of_or_empty(const std::vector<T>& list, const T& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

// Values come from the network and from handsets: keep them to one line of printable text.
std::string one_line(std::string s) {
    for (auto& ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) ch = ' ';
    }
    return s;
}

}  // namespace

std::string_view to_string(Claim c) {
    for (const auto& [k, n] : coarse_claim_names)
        if (k == c) return n;
    if (const auto f = class_of_claim(c)) return to_string(*f);
    return "undeliverable";
}

std::optional<Claim> claim_from_string(std::string_view s) {
    for (const auto& [k, n] : coarse_claim_names)
        if (n == s) return k;
    for (const auto& [k, f] : class_claims)
        if (to_string(f) == s) return k;
    return std::nullopt;
}

bool claim_is_true(Claim c, const Classification& truth) {
    if (claim_fits(c, truth.failure, truth.permanent)) return true;
    // An expiry's last temporary failure was, by definition, not permanent.
    return truth.expired && truth.last_temporary && c != Claim::TemporaryFailure && claim_fits(c, *truth.last_temporary, false);
}

std::string_view to_string(Placeholder p) {
    for (const auto& [k, n] : placeholder_names)
        if (k == p) return n;
    return "recipient";
}

std::optional<Placeholder> placeholder_from_string(std::string_view s) {
    for (const auto& [k, n] : placeholder_names)
        if (n == s) return k;
    return std::nullopt;
}

bool rule_matches(const RuleMatch& m, const ClassifiedOutcome& truth) {
    const auto& c = truth.classification;
    if (!any_of_or_empty(m.classes, c.failure)) return false;
    if (!m.last_classes.empty() && (!c.last_temporary || !any_of_or_empty(m.last_classes, *c.last_temporary)))
        return false;
    if (!any_of_or_empty(m.stages, c.stage)) return false;
    if (!m.codes.empty() && (!c.reply || !any_of_or_empty(m.codes, c.reply->code))) return false;
    if (!m.code_classes.empty() && (!c.reply || !any_of_or_empty(m.code_classes, c.reply->code / 100))) return false;
    if (!m.statuses.empty() && std::none_of(m.statuses.begin(), m.statuses.end(),
                                            [&](const std::string& p) { return status_matches(p, c.status); }))
        return false;
    if (!m.sender_address.empty() && !any_of_or_empty(m.sender_address, check_address(truth.outcome.sender).verdict))
        return false;
    if (m.expired && *m.expired != c.expired) return false;
    if (m.permanent && *m.permanent != c.permanent) return false;
    return true;
}

const PolicyRule& select_rule(const Policy& policy, const ClassifiedOutcome& truth) {
    for (const auto& rule : policy.rules)
        if (rule_matches(rule.match, truth)) return rule;
    return policy.fallback;
}

std::string placeholder_value(Placeholder p, const ClassifiedOutcome& truth) {
    const auto& o = truth.outcome;
    const auto& c = truth.classification;
    // For an expiry the remote and the DNS name are the last attempt's.
    const DeliveryOutcome& where = (o.kind == OutcomeKind::Expired && o.last_temporary) ? *o.last_temporary : o;
    switch (p) {
    case Placeholder::Recipient: return o.recipient;
    case Placeholder::Sender: return o.sender;
    case Placeholder::Domain: return domain_of(o.recipient);
    case Placeholder::RemoteHost: return where.kind == OutcomeKind::Smtp ? where.remote.host : std::string();
    case Placeholder::RemoteIp: return where.kind == OutcomeKind::Smtp ? where.remote.ip : std::string();
    case Placeholder::RemotePort:
        return where.kind == OutcomeKind::Smtp && where.remote.port ? std::to_string(where.remote.port) : std::string();
    case Placeholder::Reply: return c.reply ? reply_one_line(*c.reply) : std::string();
    case Placeholder::ReplyCode: return c.reply ? std::to_string(c.reply->code) : std::string();
    case Placeholder::Command: return c.stage ? std::string(smtp::command_words(*c.stage)) : std::string();
    case Placeholder::Stage: return c.stage ? std::string(stage_name(*c.stage)) : std::string("none");
    case Placeholder::Status: return c.status.str();
    case Placeholder::Class: return std::string(to_string(c.failure));
    case Placeholder::Diagnostic: return c.diagnostic_code;
    case Placeholder::DnsName:
        return where.kind == OutcomeKind::DomainDns || where.kind == OutcomeKind::MxHostDns ? where.dns_name : std::string();
    case Placeholder::DnsStatus:
        return where.kind == OutcomeKind::DomainDns || where.kind == OutcomeKind::MxHostDns
                   ? std::string(dns_status_name(where.dns_status))
                   : std::string();
    case Placeholder::Attempts: return std::to_string(o.attempt);
    case Placeholder::QuotedSender: {
        const auto check = check_address(o.sender);
        return check.verdict == AddressVerdict::Invalid ? o.sender : check.quoted_form;
    }
    case Placeholder::LocalPartProblemEn: return explain_local_part(check_address(o.sender), Language::En);
    case Placeholder::LocalPartProblemJa: return explain_local_part(check_address(o.sender), Language::Ja);
    }
    return {};
}

NoticeWords render(const Policy& policy, const ClassifiedOutcome& truth, Language lang) {
    const auto& rule = select_rule(policy, truth);
    auto expand = [&](const Template& t) {
        std::string out;
        for (const auto& seg : t.segments)
            out += seg.placeholder ? one_line(placeholder_value(*seg.placeholder, truth)) : seg.literal;
        return out;
    };
    NoticeWords n;
    n.subject = one_line(expand(rule.subject.in(lang)));
    n.body = expand(rule.body.in(lang));
    n.claims = rule.claims;
    n.rule_id = rule.id;
    return n;
}

}  // namespace relaylab::gw
