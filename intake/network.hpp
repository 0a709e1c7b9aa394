// Who may submit: CIDR networks ("127.0.0.0/8", "::1/128"). Intake is never an open relay.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::gw {

struct Network {
    bool v6 = false;
    std::array<unsigned char, 16> address{};
    unsigned prefix = 0;
    bool contains(std::string_view ip) const;
};

// "10.0.0.0/8", "192.0.2.1" (a /32), "::1/128". nullopt when malformed.
std::optional<Network> parse_network(std::string_view text);
// 127.0.0.0/8 and ::1/128.
std::vector<Network> loopback_networks();
bool is_loopback_address(std::string_view ip);
bool allowed(const std::vector<Network>& networks, std::string_view ip);

}  // namespace relaylab::gw
