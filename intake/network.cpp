#include "intake/network.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace relaylab::gw {

namespace {
// IPv4 in 16 bytes as an IPv4-mapped IPv6 address would not match a v4 network; keep them apart,
// but read "::ffff:127.0.0.1" (how a dual-stack socket reports IPv4 peers) as IPv4.
bool parse_ip(std::string_view text, bool& v6, std::array<unsigned char, 16>& out) {
    std::string s(text);
    if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos) s = s.substr(7);
    out.fill(0);
    if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
        v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
        v6 = true;
        return true;
    }
    return false;
}
}  // namespace

bool Network::contains(std::string_view ip) const {
    bool ip_v6 = false;
    std::array<unsigned char, 16> a{};
    if (!parse_ip(ip, ip_v6, a) || ip_v6 != v6) return false;
    unsigned bits = prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
        unsigned char mask = bits >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - bits));
        if ((a[i] & mask) != (address[i] & mask)) return false;
    }
    return true;
}

std::optional<Network> parse_network(std::string_view text) {
    Network n;
    auto slash = text.find('/');
    std::string_view ip = text.substr(0, slash);
    if (!parse_ip(ip, n.v6, n.address)) return std::nullopt;
    unsigned max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (slash != std::string_view::npos) {
        std::string_view p = text.substr(slash + 1);
        if (p.empty() || p.size() > 3) return std::nullopt;
        unsigned v = 0;
        for (char c : p) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v > max) return std::nullopt;
        n.prefix = v;
    }
    return n;
}

std::vector<Network> loopback_networks() { return {*parse_network("127.0.0.0/8"), *parse_network("::1/128")}; }

bool is_loopback_address(std::string_view ip) { return allowed(loopback_networks(), ip); }

bool allowed(const std::vector<Network>& networks, std::string_view ip) {
    for (const auto& n : networks)
        if (n.contains(ip)) return true;
    return false;
}

}  // namespace relaylab::gw
