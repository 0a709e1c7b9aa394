#include "resolver/mx_order.hpp"

#include <algorithm>
#include <unordered_map>

namespace relaylab::dns {

bool is_null_mx(const std::vector<MxRecord>& records) {
    return !records.empty() &&
           std::all_of(records.begin(), records.end(), [](const MxRecord& r) { return r.host.empty(); });
}

void shuffle_with(std::vector<MxHost>& hosts, std::size_t first, std::size_t last, Rng& rng) {
    if (last - first < 2) return;
    for (std::size_t i = last - first - 1; i > 0; --i) {
        auto j = static_cast<std::size_t>(rng() % (i + 1));
        std::swap(hosts[first + i], hosts[first + j]);
    }
}

std::vector<MxHost> order_mx_hosts(std::vector<MxRecord> records, Rng& rng) {
    // Root entries beside real ones violate RFC 7505 §3; they name no host to try.
    std::erase_if(records, [](const MxRecord& r) { return r.host.empty(); });
    std::sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
        return a.preference != b.preference ? a.preference < b.preference : a.host < b.host;
    });
    std::vector<MxHost> hosts;
    std::unordered_map<std::string, bool> seen;
    for (auto& r : records) {
        if (!seen.emplace(r.host, true).second) continue;  // sorted: the first is the lowest preference
        MxHost h;
        h.name = std::move(r.host);
        h.preference = r.preference;
        hosts.push_back(std::move(h));
    }
    for (std::size_t first = 0; first < hosts.size();) {
        std::size_t last = first;
        while (last < hosts.size() && hosts[last].preference == hosts[first].preference) ++last;
        shuffle_with(hosts, first, last, rng);
        first = last;
    }
    if (hosts.size() > kMaxMxHosts) hosts.resize(kMaxMxHosts);
    return hosts;
}

namespace {
int weight(Status s) {
    switch (s) {
        case Status::NxDomain: return 5;
        case Status::ServFail:
        case Status::Refused:
        case Status::Timeout:
        case Status::ConnRefused:
        case Status::Error: return 4;
        case Status::BadAnswer: return 3;
        case Status::BadName: return 2;
        case Status::NoData:
        case Status::NullMx: return 1;
        case Status::Found: return 0;
    }
    return 4;
}
}  // namespace

Status combine_address_status(Status a, Status aaaa) {
    if (a == aaaa) return a;
    return weight(a) >= weight(aaaa) ? a : aaaa;
}

}  // namespace relaylab::dns
