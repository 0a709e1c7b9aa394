// `relaylab sim-smtp`: one scripted remote MTA on a loopback port, on real time, until SIGINT/SIGTERM.
// Lets people talk to a scripted MTA with swaks or a real relay before writing a scenario.
#include "app/command.hpp"
#include "clock/duration.hpp"
#include "scenarios/world/smtp_mta.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

constexpr const char* default_listen = "127.0.0.1:2525";
// Scripts are small JSON files; anything bigger is a mistake, not a script.
constexpr std::size_t max_script_bytes = 1024 * 1024;

bool loopback(const boost::asio::ip::address& a) { return a.is_loopback(); }

int sim_smtp_main(int argc, char** argv) {
    po::options_description opts("usage: relaylab sim-smtp --script FILE [--listen IP:PORT]\n\n"
                                 "Serves one scripted remote MTA (docs/world-smtp.md) on real time until\n"
                                 "SIGINT/SIGTERM, printing one line per command, reply and event.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "script", po::value<std::string>(), "the MTA script (JSON)")(
        "listen", po::value<std::string>()->default_value(default_listen), "address and port (port 0: any free port)")(
        "allow-non-loopback", po::bool_switch(), "allow listening on an address outside 127.0.0.0/8 and ::1");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab sim-smtp: " << e.what() << "\n\n" << opts << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << opts << "\n";
        return exit_ok;
    }
    if (!vm.count("script")) {
        std::cerr << "relaylab sim-smtp: --script is required\n\n" << opts << "\n";
        return exit_usage;
    }
    const std::string file = vm["script"].as<std::string>();
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::cerr << "relaylab sim-smtp: cannot read " << file << "\n";
        return exit_usage;
    }
    std::string text(max_script_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_script_bytes) {
        std::cerr << "relaylab sim-smtp: " << file << ": larger than " << max_script_bytes << " bytes\n";
        return exit_usage;
    }
    auto parsed = world::parse_mta_script(text);
    if (auto* e = std::get_if<world::MtaScriptError>(&parsed)) {
        std::cerr << file << ":" << e->str() << "\n";
        return exit_usage;
    }

    const std::string listen = vm["listen"].as<std::string>();
    auto colon = listen.rfind(':');
    boost::system::error_code ec;
    std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto address = boost::asio::ip::make_address(host, ec);
    unsigned long port = 65536;
    try {
        std::size_t used = 0;
        port = std::stoul(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) port = 65536;
    } catch (const std::exception&) {
    }
    if (colon == std::string::npos || ec || port > 65535) {
        std::cerr << "relaylab sim-smtp: --listen must be IP:PORT, got '" << listen << "'\n";
        return exit_usage;
    }
    if (!loopback(address) && !vm["allow-non-loopback"].as<bool>()) {
        std::cerr << "relaylab sim-smtp: refusing to listen on " << host
                  << " (not loopback); pass --allow-non-loopback to insist\n";
        return exit_usage;
    }

    boost::asio::io_context io;
    RealClock clock;
    auto log = [](std::size_t conn, const world::DialogueLine& l) {
        std::cout << format_time(l.at) << " #" << conn << " " << l.dir << ": " << l.text << std::endl;
    };
    std::optional<world::ScriptedMta> mta;
    try {
        mta.emplace(io.get_executor(), clock, std::get<world::MtaScript>(std::move(parsed)), address.to_string(),
                    static_cast<unsigned short>(port), log);
    } catch (const boost::system::system_error& e) {
        std::cerr << "relaylab sim-smtp: cannot listen on " << listen << ": " << e.code().message() << "\n";
        return exit_failed;
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { mta->stop(); });
    std::cout << "sim-smtp: " << mta->script().hostname << " listening on " << host << ":" << mta->port() << std::endl;
    io.run();
    std::cout << "sim-smtp: stopped after " << mta->connections() << " connection(s)" << std::endl;
    return exit_ok;
}

const Registration reg{{"sim-smtp", "serve one scripted remote MTA on a loopback port (for swaks, relays)",
                        &sim_smtp_main, 81}};

}  // namespace
}  // namespace relaylab::app
