// `relaylab sim-dns`: the scenario world's scripted DNS server on its own, on real time, so that a
// gateway (or dig) can be pointed at it by hand. Zone format: docs/world-dns.md.
#include "app/command.hpp"
#include "clock/clock.hpp"
#include "scenarios/world/dns_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;
namespace asio = boost::asio;

constexpr const char* default_listen = "127.0.0.1:5354";

// "127.0.0.1:5354" or "[::1]:5354".
std::optional<asio::ip::udp::endpoint> parse_listen(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size()) return std::nullopt;
    std::string host = text.substr(0, colon), port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) return std::nullopt;
    unsigned long p = std::stoul(port);
    if (p > 65535) return std::nullopt;
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return std::nullopt;
    return asio::ip::udp::endpoint(addr, static_cast<unsigned short>(p));
}

int sim_dns_main(int argc, char** argv) {
    po::options_description opts("relaylab sim-dns options");
    opts.add_options()
        ("help,h", "show this help")
        ("zones", po::value<std::string>(), "zone data (JSON, see docs/world-dns.md); required")
        ("listen", po::value<std::string>()->default_value(default_listen), "UDP and TCP address:port")
        ("allow-non-loopback", "allow a listen address outside 127.0.0.0/8 and ::1");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab sim-dns: " << e.what() << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << "usage: relaylab sim-dns --zones FILE [--listen IP:PORT]\n\n"
                     "Serves scripted DNS zones (answers, NXDOMAIN, SERVFAIL, REFUSED, drops, truncation,\n"
                     "schedules relative to start) over UDP and TCP until SIGINT/SIGTERM, printing one\n"
                     "line per query: time transport client name type behaviour rcode.\n\n"
                  << opts;
        return exit_ok;
    }
    if (!vm.count("zones")) {
        std::cerr << "relaylab sim-dns: --zones FILE is required\n";
        return exit_usage;
    }
    auto listen = parse_listen(vm["listen"].as<std::string>());
    if (!listen) {
        std::cerr << "relaylab sim-dns: --listen wants IP:PORT, got '" << vm["listen"].as<std::string>() << "'\n";
        return exit_usage;
    }
    // A scripted server answers anything with lies by design: keep it off real networks.
    if (!listen->address().is_loopback() && !vm.count("allow-non-loopback")) {
        std::cerr << "relaylab sim-dns: " << listen->address().to_string()
                  << " is not a loopback address (use --allow-non-loopback to insist)\n";
        return exit_usage;
    }
    auto zone = world::DnsZone::load(vm["zones"].as<std::string>());
    if (auto* e = std::get_if<world::DnsZoneError>(&zone)) {
        std::cerr << "relaylab sim-dns: " << to_string(*e) << "\n";
        return exit_usage;
    }

    asio::io_context io;
    RealClock clock;
    std::optional<world::DnsServer> server;
    try {
        server.emplace(io.get_executor(), clock, std::get<world::DnsZone>(std::move(zone)), *listen);
    } catch (const boost::system::system_error& e) {
        std::cerr << "relaylab sim-dns: cannot listen on " << vm["listen"].as<std::string>() << ": "
                  << e.code().message() << "\n";
        return exit_failed;
    }
    server->on_query([](const world::DnsQueryRecord& r) { std::cout << to_string(r) << std::endl; });
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { server->stop(); });
    std::cout << "sim-dns: listening on " << server->address().to_string() << ":" << server->port()
              << " (udp+tcp)" << std::endl;
    io.run();
    return exit_ok;
}

const Registration reg{{"sim-dns", "serve scripted DNS zones on loopback (the scenario world's DNS)", &sim_dns_main, 80}};

}  // namespace
}  // namespace relaylab::app
