#include "resolver/mx_resolution.hpp"

#include "resolver/name.hpp"

#include <algorithm>
#include <limits>

namespace relaylab::dns {

namespace {

std::uint32_t min_ttl(const std::vector<Record>& records, std::uint32_t ttl) {
    for (const auto& r : records) ttl = std::min(ttl, r.ttl);
    return ttl;
}

void add_address_questions(std::vector<Question>& qs, const std::string& host, InetProtocols p) {
    if (asks_a(p)) qs.push_back({host, RecordType::A});
    if (asks_aaaa(p)) qs.push_back({host, RecordType::Aaaa});
}

std::size_t questions_per_host(InetProtocols p) { return (asks_a(p) ? 1 : 0) + (asks_aaaa(p) ? 1 : 0); }

// The addresses of the host whose questions start at lookups[first] (A before AAAA, as asked).
AddressResult addresses_at(std::string host, const std::vector<Lookup>& lookups, std::size_t first, InetProtocols p) {
    const Lookup* a = asks_a(p) ? &lookups[first] : nullptr;
    const Lookup* aaaa = asks_aaaa(p) ? &lookups[first + (a ? 1 : 0)] : nullptr;
    return addresses_of(std::move(host), a, aaaa);
}

// The distinct addresses of one lookup, in the order of the answer.
std::vector<std::string> distinct_addresses(const Lookup* l) {
    std::vector<std::string> out;
    if (!l || l->status != Status::Found) return out;
    for (const auto& rec : l->records)
        if (std::find(out.begin(), out.end(), rec.data) == out.end()) out.push_back(rec.data);
    return out;
}

DnsAction ask(const LookupBatch& batch) { return {DnsAction::Kind::Ask, batch.asking()}; }

}  // namespace

AddressResult addresses_of(std::string host, const Lookup* a, const Lookup* aaaa) {
    AddressResult r;
    r.host = std::move(host);
    const auto v4 = distinct_addresses(a);
    const auto v6 = distinct_addresses(aaaa);
    // IPv6 first, then alternating, so that both families are tried before the address limit runs
    // out (as Postfix's smtp_balance_inet_protocols); a host's A and AAAA never share an address.
    for (std::size_t i = 0; i < std::max(v4.size(), v6.size()) && r.addresses.size() < kMaxAddressesPerHost; ++i) {
        if (i < v6.size()) r.addresses.push_back(v6[i]);
        if (i < v4.size() && r.addresses.size() < kMaxAddressesPerHost) r.addresses.push_back(v4[i]);
    }
    if (!r.addresses.empty()) {
        std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
        for (const Lookup* l : {a, aaaa})
            if (l && l->status == Status::Found) ttl = min_ttl(l->records, ttl);
        r.status = Status::Found;
        r.ttl = ttl;
    } else if (a && aaaa) {
        r.status = combine_address_status(a->status, aaaa->status);
    } else {
        r.status = (a ? a : aaaa)->status;
    }
    return r;
}

// --- MxResolution ---

MxResolution::MxResolution(std::string_view domain, Rng& rng, InetProtocols protocols)
    : rng_(rng), protocols_(protocols) { result_.domain = normalise_name(domain); }

DnsAction MxResolution::start() {
    if (phase_ != Phase::Start) return done() ? DnsAction{} : ask(*batch_);
    if (!is_queryable_name(result_.domain)) {
        result_.status = Status::BadName;
        phase_ = Phase::Done;
        return {};
    }
    phase_ = Phase::Mx;
    batch_.emplace(std::vector<Question>{{result_.domain, RecordType::Mx}});
    return ask_or_finish();
}

DnsAction MxResolution::resume(const std::vector<RawAnswer>& answers) {
    if (phase_ == Phase::Start || done()) return {};
    batch_->feed(answers);
    return ask_or_finish();
}

// Asks the current batch's next round, or, when it is done, moves to the next step.
DnsAction MxResolution::ask_or_finish() {
    while (!done() && batch_->done()) {
        switch (phase_) {
            case Phase::Mx: after_mx(); break;
            case Phase::Implicit: after_implicit(); break;
            case Phase::Hosts: after_hosts(); break;
            case Phase::Start:
            case Phase::Done: phase_ = Phase::Done; break;
        }
    }
    return done() ? DnsAction{} : ask(*batch_);
}

void MxResolution::after_mx() {
    const Lookup& answer = batch_->lookups()[0];
    if (answer.status == Status::NoData) {
        // RFC 5321 §5.1: no MX records — the domain itself is the one host, preference 0.
        std::vector<Question> qs;
        add_address_questions(qs, result_.domain, protocols_);
        batch_.emplace(std::move(qs));
        phase_ = Phase::Implicit;
        return;
    }
    if (answer.status != Status::Found) {
        result_.status = answer.status;
        phase_ = Phase::Done;
        return;
    }
    std::vector<MxRecord> records;
    for (const auto& rec : answer.records) records.push_back({rec.preference, rec.data});
    result_.ttl = min_ttl(answer.records, std::numeric_limits<std::uint32_t>::max());
    if (is_null_mx(records)) {  // RFC 7505 §3
        result_.status = Status::NullMx;
        phase_ = Phase::Done;
        return;
    }
    result_.hosts = order_mx_hosts(std::move(records), rng_);
    std::vector<Question> qs;
    for (const auto& h : result_.hosts) add_address_questions(qs, h.name, protocols_);
    batch_.emplace(std::move(qs));
    phase_ = Phase::Hosts;
}

void MxResolution::after_implicit() {
    const auto& l = batch_->lookups();
    auto self = addresses_at(result_.domain, l, 0, protocols_);
    result_.status = self.status;
    if (self.status == Status::Found) {
        MxHost h;
        h.name = result_.domain;
        h.implicit = true;
        h.addresses = std::move(self.addresses);
        result_.hosts.push_back(std::move(h));
        result_.ttl = self.ttl;
    }
    phase_ = Phase::Done;
}

void MxResolution::after_hosts() {
    const auto& l = batch_->lookups();
    const std::size_t per_host = questions_per_host(protocols_);
    for (std::size_t i = 0; i < result_.hosts.size(); ++i) {
        // A host without addresses stays in the list: the walk reports it (RFC 5321 §5.1 walks on).
        auto a = addresses_at(result_.hosts[i].name, l, per_host * i, protocols_);
        result_.hosts[i].address_status = a.status;
        result_.hosts[i].addresses = std::move(a.addresses);
    }
    result_.status = Status::Found;
    phase_ = Phase::Done;
}

// --- AddressResolution ---

AddressResolution::AddressResolution(std::string_view host, InetProtocols protocols) : protocols_(protocols) { result_.host = normalise_name(host); }

DnsAction AddressResolution::start() {
    if (batch_ || done_) return done_ ? DnsAction{} : ask(*batch_);
    if (!is_queryable_name(result_.host)) {
        result_.status = Status::BadName;
        done_ = true;
        return {};
    }
    std::vector<Question> qs;
    add_address_questions(qs, result_.host, protocols_);
    batch_.emplace(std::move(qs));
    return ask_or_finish();
}

DnsAction AddressResolution::resume(const std::vector<RawAnswer>& answers) {
    if (!batch_ || done_) return {};
    batch_->feed(answers);
    return ask_or_finish();
}

DnsAction AddressResolution::ask_or_finish() {
    if (!batch_->done()) return ask(*batch_);
    const auto& l = batch_->lookups();
    result_ = addresses_at(std::move(result_.host), l, 0, protocols_);
    done_ = true;
    return {};
}

}  // namespace relaylab::dns
