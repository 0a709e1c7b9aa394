// Which address families the gateway delivers over, as Postfix's inet_protocols: "ipv4", "ipv6" or
// "all". A family left out is not looked up at all (no A, or no AAAA, question is asked), so it can
// neither be tried nor cost a DNS round trip.
#pragma once

#include <optional>
#include <string_view>

namespace relaylab::dns {

enum class InetProtocols { Ipv4, Ipv6, All };

inline constexpr InetProtocols kDefaultInetProtocols = InetProtocols::All;  // Postfix's default

std::string_view to_string(InetProtocols p);  // "ipv4", "ipv6", "all"
std::optional<InetProtocols> inet_protocols_from_string(std::string_view s);

inline bool asks_a(InetProtocols p) { return p != InetProtocols::Ipv6; }
inline bool asks_aaaa(InetProtocols p) { return p != InetProtocols::Ipv4; }

}  // namespace relaylab::dns
