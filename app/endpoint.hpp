// "127.0.0.1:2525" and "[::1]:2525" on the command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relaylab::app {

struct Endpoint {
    std::string host;  // numeric address, without brackets
    unsigned short port = 0;
};

// A numeric IPv4/IPv6 address and a port 1..65535; nullopt for anything else.
std::optional<Endpoint> parse_endpoint(std::string_view text);
// Whether the address is in 127.0.0.0/8 or is ::1.
bool is_loopback(const std::string& host);

}  // namespace relaylab::app
