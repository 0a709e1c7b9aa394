#include "bounce/policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace relaylab::gw {

namespace {

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
