#include "scenarios/timeline_words.hpp"

#include "clock/duration.hpp"
#include "taxonomy/classify.hpp"

namespace relaylab::scn {

std::string reply_text(const smtp::Reply& r) { return r.one_line(); }

std::string disposition_name(gw::Disposition d) {
    switch (d) {
    case gw::Disposition::Delivered: return "delivered";
    case gw::Disposition::Bounced: return "bounced";
    case gw::Disposition::Expired: return "expired";
    case gw::Disposition::Deferred: return "pending";
    }
    return "pending";
}

namespace {

// The outcome that holds the truth: for an expiry, the last temporary one.
const gw::DeliveryOutcome& truth_of(const gw::DeliveryOutcome& o) {
    return o.kind == gw::OutcomeKind::Expired && o.last_temporary ? *o.last_temporary : o;
}

bool dns_kind(gw::OutcomeKind k) { return k == gw::OutcomeKind::DomainDns || k == gw::OutcomeKind::MxHostDns; }

std::string where(const gw::DeliveryOutcome& t) {
    if (dns_kind(t.kind))
        return std::string(t.dns_query == gw::DnsQuery::Mx ? "MX" : "A") + " lookup of " + t.dns_name + ": " +
               std::string(gw::dns_status_name(t.dns_status));
    if (t.kind == gw::OutcomeKind::Smtp) {
        std::string s = t.remote.host + "[" + t.remote.ip + "] at " + std::string(gw::stage_name(t.smtp.stage));
        if (t.smtp.reply) s += ": " + t.smtp.reply->one_line();
        else if (t.smtp.net != smtp::NetError::None) s += ": " + std::string(smtp::to_string(t.smtp.net));
        return s;
    }
    if (t.kind == gw::OutcomeKind::Local) return "local: " + std::string(gw::to_string(t.local));
    return "no attempt recorded";
}

}  // namespace

void fill_truth(RecipientRecord& r, const gw::ClassifiedOutcome& c) {
    const auto& cl = c.classification;
    const auto& t = truth_of(c.outcome);
    r.failure_class = std::string(gw::to_string(cl.failure));
    r.dsn = cl.status.str();
    if (cl.stage) r.stage = std::string(gw::stage_name(*cl.stage));
    else if (dns_kind(t.kind)) r.stage = "dns";
    else r.stage.reset();
    if (cl.reply) r.reply = cl.reply->one_line();
    else r.reply.reset();
    if (t.kind == gw::OutcomeKind::Smtp && !t.remote.host.empty()) r.remote = t.remote.host;
    else r.remote.reset();
}

std::string offset_text(TimePoint at, TimePoint start) {
    return at >= start ? "+" + format_duration(at - start) : "-" + format_duration(start - at);
}

std::string dns_query_line(const world::DnsQueryRecord& q) {
    std::string s = "dns: ? " + (q.name.empty() ? std::string(".") : q.name) + " " + world::type_name(q.qtype);
    if (q.transport == world::DnsTransport::Tcp) s += " (tcp)";
    s += " -> " + std::string(world::to_string(q.behaviour)) + " ";
    s += q.rcode ? std::string(world::to_string(*q.rcode)) : std::string("no reply");
    if (q.truncated) s += " TC";
    return s;
}

std::string mx_lookup_line(const dns::MxResult& r) {
    std::string s = "mx: " + r.domain + " " + std::string(dns::to_string(r.status));
    std::string sep = ": ";
    for (const auto& h : r.hosts) {
        s += sep + std::to_string(h.preference) + " " + h.name + (h.implicit ? " (implicit)" : "");
        if (h.addresses.empty()) s += " [" + std::string(dns::to_string(h.address_status)) + "]";
        for (const auto& a : h.addresses) s += " [" + a + "]";
        sep = ", ";
    }
    return s;
}

std::string attempt_line(const gw::AttemptResult& a, TimePoint start) {
    const auto& c = a.outcome;
    std::string s = "attempt " + std::to_string(c.outcome.attempt) + " for " + c.outcome.recipient + ": ";
    if (a.disposition == gw::Disposition::Delivered) return s + "delivered by " + where(c.outcome);
    s += a.disposition == gw::Disposition::Deferred ? "deferred" : disposition_name(a.disposition);
    s += ", " + std::string(gw::to_string(c.classification.failure)) + " " + c.classification.status.str();
    s += " (" + where(truth_of(c.outcome)) + ")";
    if (a.next_attempt) s += "; retry at " + offset_text(*a.next_attempt, start);
    return s;
}

std::vector<std::string> notice_lines(const NoticeRecord& n) {
    std::vector<std::string> out;
    out.push_back("notice to " + n.handset + " (" + std::string(gw::to_string(n.kind)) + ", claims " + std::string(gw::to_string(n.claims)) + "): " + n.file);
    out.push_back("  Subject: " + n.subject);
    std::size_t start = 0;
    while (start <= n.body.size()) {
        auto end = n.body.find('\n', start);
        std::string l = n.body.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        out.push_back("  | " + l);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    for (const char* f : {"Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code"})
        if (auto it = n.delivery_status.find(f); it != n.delivery_status.end())
            out.push_back("  " + std::string(f) + ": " + it->second);
    return out;
}

}  // namespace relaylab::scn
