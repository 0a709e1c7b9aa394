#include "resolver/resolver.hpp"

#include "resolver/ares_channel.hpp"
#include "resolver/lookup.hpp"
#include "resolver/name.hpp"

#include <algorithm>
#include <limits>

namespace relaylab::dns {

namespace {

std::uint32_t min_ttl(const std::vector<Record>& records, std::uint32_t ttl) {
    for (const auto& r : records) ttl = std::min(ttl, r.ttl);
    return ttl;
}

// A host's addresses from its A and AAAA lookups: IPv4 first, then IPv6, no repeats, bounded.
AddressResult addresses_of(std::string host, const Lookup& a, const Lookup& aaaa) {
    AddressResult r;
    r.host = std::move(host);
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
    for (const Lookup* l : {&a, &aaaa}) {
        if (l->status != Status::Found) continue;
        ttl = min_ttl(l->records, ttl);
        for (const auto& rec : l->records) {
            if (r.addresses.size() == kMaxAddressesPerHost) break;
            if (std::find(r.addresses.begin(), r.addresses.end(), rec.data) == r.addresses.end())
                r.addresses.push_back(rec.data);
        }
    }
    if (!r.addresses.empty()) {
        r.status = Status::Found;
        r.ttl = ttl;
    } else {
        r.status = combine_address_status(a.status, aaaa.status);
    }
    return r;
}

std::vector<Question> address_questions(const std::string& host) {
    return {{host, RecordType::A}, {host, RecordType::Aaaa}};
}

boost::asio::awaitable<AddressResult> addresses_until(std::shared_ptr<AresChannel> channel, std::string host,
                                                      TimePoint deadline) {
    if (!is_queryable_name(host)) {
        AddressResult r;
        r.host = std::move(host);
        r.status = Status::BadName;
        co_return r;
    }
    auto found = co_await look_up(channel, address_questions(host), deadline);
    co_return addresses_of(std::move(host), found[0], found[1]);
}

boost::asio::awaitable<AddressResult> resolve_addresses_on(std::shared_ptr<AresChannel> channel, Duration budget,
                                                           std::string host) {
    const TimePoint deadline = channel->clock().now() + budget;
    co_return co_await addresses_until(channel, normalise_name(host), deadline);
}

boost::asio::awaitable<MxResult> resolve_mx_on(std::shared_ptr<AresChannel> channel, Duration budget,
                                               std::string domain, Rng& rng) {
    MxResult r;
    r.domain = normalise_name(domain);
    if (!is_queryable_name(r.domain)) {
        r.status = Status::BadName;
        co_return r;
    }
    const TimePoint deadline = channel->clock().now() + budget;
    std::vector<Question> ask_mx(1);  // (a braced list here trips g++ 12's coroutine lowering)
    ask_mx[0] = Question{r.domain, RecordType::Mx};
    auto mx = co_await look_up(channel, std::move(ask_mx), deadline);
    const Lookup& answer = mx[0];

    if (answer.status == Status::NoData) {
        // RFC 5321 §5.1: no MX records — the domain itself is the one host, preference 0.
        auto self = co_await addresses_until(channel, r.domain, deadline);
        r.status = self.status;
        if (self.status == Status::Found) {
            MxHost h;
            h.name = r.domain;
            h.implicit = true;
            h.addresses = std::move(self.addresses);
            r.hosts.push_back(std::move(h));
            r.ttl = self.ttl;
        }
        co_return r;
    }
    if (answer.status != Status::Found) {
        r.status = answer.status;
        co_return r;
    }

    std::vector<MxRecord> records;
    for (const auto& rec : answer.records) records.push_back({rec.preference, rec.data});
    r.ttl = min_ttl(answer.records, std::numeric_limits<std::uint32_t>::max());
    if (is_null_mx(records)) {  // RFC 7505 §3
        r.status = Status::NullMx;
        co_return r;
    }
    r.hosts = order_mx_hosts(std::move(records), rng);
    std::vector<Question> questions;
    for (const auto& h : r.hosts)
        for (auto& q : address_questions(h.name)) questions.push_back(std::move(q));
    auto found = co_await look_up(channel, std::move(questions), deadline);
    for (std::size_t i = 0; i < r.hosts.size(); ++i) {
        // A host without addresses stays in the list: the caller reports it (RFC 5321 §5.1 walks on).
        auto a = addresses_of(r.hosts[i].name, found[2 * i], found[2 * i + 1]);
        r.hosts[i].address_status = a.status;
        r.hosts[i].addresses = std::move(a.addresses);
    }
    r.status = Status::Found;
    co_return r;
}

}  // namespace

Resolver::Resolver(boost::asio::any_io_executor ex, Clock& clock, ResolverConfig cfg)
    : cfg_(std::move(cfg)), channel_(AresChannel::open(std::move(ex), clock, cfg_)) {}

Resolver::~Resolver() { channel_->close(); }

boost::asio::awaitable<MxResult> Resolver::resolve_mx(std::string domain, Rng& rng) {
    // The coroutine holds the channel, not `this`: destroying the Resolver mid-lookup is safe.
    return resolve_mx_on(channel_, cfg_.deadline, std::move(domain), rng);
}

boost::asio::awaitable<AddressResult> Resolver::resolve_addresses(std::string host) {
    return resolve_addresses_on(channel_, cfg_.deadline, std::move(host));
}

}  // namespace relaylab::dns
