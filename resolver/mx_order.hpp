// RFC 5321 §5.1 ordering of mail exchangers, and how a host's two address lookups combine into one
// status. Pure logic: no I/O, randomness injected.
#pragma once

#include "resolver/result.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace relaylab::dns {

// The injected generator. Its algorithm is fixed by the standard, so a seed means the same order
// on every platform; only `rng() % (i + 1)` is used (Fisher–Yates), never library distributions.
using Rng = std::mt19937_64;

inline constexpr std::size_t kMaxMxHosts = 16;           // hosts kept after ordering
inline constexpr std::size_t kMaxAddressesPerHost = 16;  // IPv6 first, then alternating

struct MxRecord {
    unsigned preference = 0;
    std::string host;  // normalised; "" is the root (RFC 7505 null MX)
};

// RFC 7505 §3: a null MX is the only MX record of its domain and names the root.
// Several records that all name the root are treated the same way.
bool is_null_mx(const std::vector<MxRecord>& records);

// Lowest preference first (RFC 5321 §5.1); hosts of equal preference shuffled with `rng`
// (Fisher–Yates, after sorting by name so the wire order does not matter); the same host listed
// twice keeps its lowest preference; root entries dropped; at most kMaxMxHosts kept.
std::vector<MxHost> order_mx_hosts(std::vector<MxRecord> records, Rng& rng);

// Shuffles [first, last) in place: for i = n-1 .. 1, swap(a[i], a[rng() % (i + 1)]).
void shuffle_with(std::vector<MxHost>& hosts, std::size_t first, std::size_t last, Rng& rng);

// One status for a host from its A and AAAA lookups, when neither gave an address.
// NXDOMAIN is definite; otherwise a temporary failure wins over NODATA, since the missing family
// might have had an address.
Status combine_address_status(Status a, Status aaaa);

}  // namespace relaylab::dns
