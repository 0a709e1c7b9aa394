// What the resolver needs to know from its operator: which DNS servers to ask and how long to wait.
#pragma once

#include "clock/clock.hpp"
#include "resolver/inet_protocols.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::dns {

using namespace std::chrono_literals;

inline constexpr Duration kDefaultTryTimeout = 2s;   // c-ares' wait for one try (it doubles per round)
inline constexpr int kDefaultTries = 2;              // c-ares' tries per server
inline constexpr Duration kDefaultDeadline = 10s;    // the whole lookup, on the caller's Clock
inline constexpr int kMaxTries = 16;
inline constexpr std::size_t kMaxServers = 16;
inline constexpr std::uint16_t kDefaultDnsPort = 53;

struct ResolverConfig {
    // "127.0.0.1:5354", "[::1]:53", or a bare address (port 53). Never read from /etc/resolv.conf.
    std::vector<std::string> servers;
    Duration timeout = kDefaultTryTimeout;
    int tries = kDefaultTries;
    Duration deadline = kDefaultDeadline;
    // The families whose addresses resolve_mx and resolve_addresses look up (inet_protocols.hpp).
    InetProtocols inet_protocols = kDefaultInetProtocols;
};

// The c-ares server list ("ip:port,[ip6]:port") for `servers`. Throws std::invalid_argument naming
// the offending value for anything that is not a numeric address with an optional port 1..65535,
// for an empty list, and for timeouts/tries out of range.
std::string validated_servers_csv(const ResolverConfig& cfg);

}  // namespace relaylab::dns
