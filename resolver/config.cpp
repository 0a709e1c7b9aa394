#include "resolver/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <stdexcept>

namespace relaylab::dns {

namespace {

[[noreturn]] void bad_server(std::string_view value, std::string_view why) {
    throw std::invalid_argument("resolver: bad DNS server \"" + std::string(value) + "\": " + std::string(why) +
                                " (want IP:PORT, e.g. 127.0.0.1:5354 or [::1]:53)");
}

std::uint16_t parse_port(std::string_view value, std::string_view text) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
        bad_server(value, "port must be 1..65535");
    return static_cast<std::uint16_t>(port);
}

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// One entry in c-ares' csv form.
std::string server_entry(std::string_view value) {
    if (value.empty()) bad_server(value, "empty");
    if (value.front() == '[') {
        auto close = value.find(']');
        if (close == std::string_view::npos) bad_server(value, "missing ']'");
        std::string ip(value.substr(1, close - 1));
        if (!is_ipv6(ip)) bad_server(value, "not an IPv6 address");
        auto rest = value.substr(close + 1);
        std::uint16_t port = kDefaultDnsPort;
        if (!rest.empty()) {
            if (rest.front() != ':') bad_server(value, "expected ':' after ']'");
            port = parse_port(value, rest.substr(1));
        }
        return "[" + ip + "]:" + std::to_string(port);
    }
    if (value.find(':') != value.rfind(':')) {  // bare IPv6, no port
        std::string ip(value);
        if (!is_ipv6(ip)) bad_server(value, "not an IP address");
        return "[" + ip + "]:" + std::to_string(kDefaultDnsPort);
    }
    auto colon = value.find(':');
    std::string ip(value.substr(0, colon));
    if (!is_ipv4(ip)) bad_server(value, "not an IPv4 address (host names are not resolved)");
    std::uint16_t port = colon == std::string_view::npos ? kDefaultDnsPort : parse_port(value, value.substr(colon + 1));
    return ip + ":" + std::to_string(port);
}

}  // namespace

std::string validated_servers_csv(const ResolverConfig& cfg) {
    if (cfg.servers.empty()) throw std::invalid_argument("resolver: no DNS servers configured");
    if (cfg.servers.size() > kMaxServers)
        throw std::invalid_argument("resolver: " + std::to_string(cfg.servers.size()) + " DNS servers (at most " +
                                    std::to_string(kMaxServers) + ")");
    if (cfg.timeout < 1ms || cfg.timeout > 5min)
        throw std::invalid_argument("resolver: DNS timeout must be between 1ms and 5m");
    if (cfg.tries < 1 || cfg.tries > kMaxTries)
        throw std::invalid_argument("resolver: DNS tries " + std::to_string(cfg.tries) + " out of range 1.." +
                                    std::to_string(kMaxTries));
    if (cfg.deadline <= Duration::zero())
        throw std::invalid_argument("resolver: DNS lookup deadline must be positive");
    std::string csv;
    for (const auto& s : cfg.servers) {
        if (!csv.empty()) csv += ',';
        csv += server_entry(s);
    }
    return csv;
}

}  // namespace relaylab::dns
