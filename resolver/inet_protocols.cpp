#include "resolver/inet_protocols.hpp"

namespace relaylab::dns {

std::string_view to_string(InetProtocols p) {
    switch (p) {
        case InetProtocols::Ipv4: return "ipv4";
        case InetProtocols::Ipv6: return "ipv6";
        case InetProtocols::All: return "all";
    }
    return "all";
}

std::optional<InetProtocols> inet_protocols_from_string(std::string_view s) {
    for (auto p : {InetProtocols::Ipv4, InetProtocols::Ipv6, InetProtocols::All})
        if (s == to_string(p)) return p;
    return std::nullopt;
}

}  // namespace relaylab::dns
