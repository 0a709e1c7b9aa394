#include "scenarios/world/dns_zone.hpp"

namespace relaylab::world {

namespace {

struct NamedBehaviour {
    DnsBehaviour behaviour;
    std::string_view name;
};
constexpr NamedBehaviour behaviour_names[] = {
    {DnsBehaviour::Answer, "answer"},     {DnsBehaviour::NxDomain, "nxdomain"},
    {DnsBehaviour::NoData, "nodata"},     {DnsBehaviour::ServFail, "servfail"},
    {DnsBehaviour::Refused, "refused"},   {DnsBehaviour::Drop, "drop"},
    {DnsBehaviour::Truncate, "truncate"},
};

bool is_under(const std::string& name, const std::string& zone) {
    if (zone.empty() || name == zone) return true;
    return name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

}  // namespace

std::string_view to_string(DnsBehaviour b) {
    for (const auto& nb : behaviour_names)
        if (nb.behaviour == b) return nb.name;
    return "answer";
}

std::optional<DnsBehaviour> dns_behaviour_from_string(std::string_view s) {
    for (const auto& nb : behaviour_names)
        if (nb.name == s) return nb.behaviour;
    return std::nullopt;
}

std::string_view to_string(DnsTransport t) { return t == DnsTransport::Udp ? "udp" : "tcp"; }

DnsBehaviour DnsZoneName::behaviour_at(Duration elapsed) const {
    for (const auto& w : schedule)
        if (elapsed >= w.from && (!w.until || elapsed < *w.until)) return w.behaviour;
    return behaviour;
}

const DnsZoneName* DnsZone::find(const std::string& key) const {
    auto it = names_.find(key);
    return it == names_.end() ? nullptr : &it->second;
}

void DnsZone::add(DnsZoneName name) {
    auto key = name.name.key();
    names_.insert_or_assign(std::move(key), std::move(name));
}

DnsReply DnsZone::answer(std::span<const std::uint8_t> query, Duration elapsed,
                         DnsTransport transport) const {
    DnsReply reply;
    auto parsed = parse_query(query);
    if (auto* bad = std::get_if<QueryRejection>(&parsed)) {
        reply.malformed = bad->error;
        if (!bad->id) {
            reply.behaviour = DnsBehaviour::Drop;
            return reply;
        }
        DnsResponse resp;
        resp.id = *bad->id;
        resp.opcode = bad->opcode;
        resp.rd = bad->rd;
        resp.aa = false;
        resp.rcode = Rcode::FormErr;  // RFC 1035 §4.1.1: "unable to interpret the query"
        reply.rcode = resp.rcode;
        reply.bytes = encode_response(resp);
        return reply;
    }
    const auto& q = std::get<DnsQuery>(parsed);
    reply.name = q.question.name.key();
    reply.qtype = q.question.qtype;
    DnsBehaviour applied = DnsBehaviour::Answer;
    DnsResponse resp = answer_query(q, elapsed, transport, applied);
    reply.behaviour = applied;
    if (applied == DnsBehaviour::Drop) return reply;
    auto bytes = encode_response(resp);
    // RFC 1035 §4.2.1: over UDP at most 512 octets; a longer answer goes out truncated (TC) and
    // the client asks again over TCP.
    if (transport == DnsTransport::Udp && bytes.size() > max_udp_message_octets) {
        resp.tc = true;
        resp.answers.clear();
        resp.authority.clear();
        bytes = encode_response(resp);
    }
    reply.truncated = resp.tc;
    reply.rcode = resp.rcode;
    reply.bytes = std::move(bytes);
    return reply;
}

DnsResponse DnsZone::answer_query(const DnsQuery& q, Duration elapsed, DnsTransport transport,
                                  DnsBehaviour& applied) const {
    DnsResponse resp;
    resp.id = q.id;
    resp.opcode = q.opcode;
    resp.rd = q.rd;
    resp.question = q.question;
    if (q.opcode != 0) {  // only standard QUERY (RFC 1035 §4.1.1)
        resp.aa = false;
        resp.rcode = Rcode::NotImp;
        return resp;
    }
    if (q.question.qclass != class_in && q.question.qclass != class_any) {
        resp.aa = false;
        resp.rcode = Rcode::Refused;  // not authoritative for other classes
        return resp;
    }
    const DnsZoneName* n = find(q.question.name.key());
    applied = n ? n->behaviour_at(elapsed) : DnsBehaviour::Answer;
    switch (applied) {
        case DnsBehaviour::Drop:
            return resp;
        case DnsBehaviour::NxDomain:
            resp.rcode = Rcode::NxDomain;
            add_soa(resp, q.question.name);
            return resp;
        case DnsBehaviour::NoData:
            add_soa(resp, q.question.name);
            return resp;
        case DnsBehaviour::ServFail:
            resp.aa = false;
            resp.rcode = Rcode::ServFail;
            return resp;
        case DnsBehaviour::Refused:
            resp.aa = false;
            resp.rcode = Rcode::Refused;
            return resp;
        case DnsBehaviour::Truncate:
            if (transport == DnsTransport::Udp) {
                resp.tc = true;
                return resp;
            }
            break;
        case DnsBehaviour::Answer:
            break;
    }
    if (!n) {
        resp.rcode = Rcode::NxDomain;
        add_soa(resp, q.question.name);
        return resp;
    }
    // A CNAME answers for every type; like an authoritative server, follow it through the names
    // this zone knows and add the target's records (RFC 1034 §4.3.2 step 3a).
    const auto qtype = q.question.qtype;
    DomainName owner = q.question.name;
    const DnsZoneName* at = n;
    for (int hop = 0; at && hop < max_cname_chain; ++hop) {
        if (!at->cname) {
            add_records(resp, *at, owner, qtype);
            break;
        }
        resp.answers.push_back({owner, at->ttl.value_or(ttl), *at->cname});
        if (qtype == static_cast<std::uint16_t>(RrType::CNAME)) break;
        owner = *at->cname;
        at = find(owner.key());
        if (at) {
            auto b = at->behaviour_at(elapsed);
            if (b != DnsBehaviour::Answer && b != DnsBehaviour::Truncate) break;
        }
    }
    if (resp.answers.empty()) add_soa(resp, q.question.name);  // NODATA (RFC 2308 §2.2)
    return resp;
}

void DnsZone::add_records(DnsResponse& resp, const DnsZoneName& n, const DomainName& owner,
                          std::uint16_t qtype) const {
    const auto t = n.ttl.value_or(ttl);
    const bool any = qtype == static_cast<std::uint16_t>(RrType::ANY);
    if (any || qtype == static_cast<std::uint16_t>(RrType::MX))
        for (const auto& mx : n.mx) resp.answers.push_back({owner, t, mx});
    if (any || qtype == static_cast<std::uint16_t>(RrType::A))
        for (const auto& a : n.a) resp.answers.push_back({owner, t, a});
    if (any || qtype == static_cast<std::uint16_t>(RrType::AAAA))
        for (const auto& a : n.aaaa) resp.answers.push_back({owner, t, a});
}

void DnsZone::add_soa(DnsResponse& resp, const DomainName& qname) const {
    if (!soa || !is_under(qname.key(), soa->zone.key())) return;
    resp.authority.push_back({soa->zone, soa->data.minimum, soa->data});
}

}  // namespace relaylab::world
