// MX lookups per second through dns::Resolver (c-ares on the Asio loop) against a DNS server on
// loopback, with many lookups in flight. Each resolve_mx is the MX query plus the address
// lookups (A and AAAA) of its host, as delivery does it. Names are distinct (d0.bench ...) so
// the server answers each from its zone rather than one hot entry.
// Usage: bench-dns-mx-rate SERVER:PORT [LOOKUPS=20000] [IN_FLIGHT=200] [NAMES=1000]
#include "clock/clock.hpp"
#include "resolver/resolver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

using namespace relaylab;
namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

namespace {

struct Run {
    std::size_t total = 0, next = 0, names = 0;
    std::map<dns::Status, std::size_t> statuses;
    std::size_t hosts_with_address = 0;
};

asio::awaitable<void> worker(dns::Resolver& resolver, Run& run, std::mt19937_64& rng) {
    while (run.next < run.total) {
        std::size_t i = run.next++;
        auto r = co_await resolver.resolve_mx("d" + std::to_string(i % run.names) + ".bench", rng);
        ++run.statuses[r.status];
        if (r.status == dns::Status::Found && !r.hosts.empty() && !r.hosts.front().addresses.empty())
            ++run.hosts_with_address;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SERVER:PORT [LOOKUPS] [IN_FLIGHT] [NAMES]\n", argv[0]);
        return 2;
    }
    Run run;
    run.total = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000;
    std::size_t in_flight = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 200;
    run.names = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1000;

    asio::io_context io(1);
    RealClock clock;
    dns::ResolverConfig cfg;
    cfg.servers = {argv[1]};
    cfg.timeout = std::chrono::seconds(2);
    cfg.tries = 2;
    dns::Resolver resolver(io.get_executor(), clock, cfg);
    std::mt19937_64 rng(1);
    auto t0 = Steady::now();
    for (std::size_t w = 0; w < in_flight; ++w) asio::co_spawn(io, worker(resolver, run, rng), asio::detached);
    io.run();
    double s = std::chrono::duration<double>(Steady::now() - t0).count();
    std::printf("lookups %zu\nin_flight %zu\nseconds %.3f\nmx_lookups_per_s %.0f\n", run.total, in_flight, s,
                static_cast<double>(run.total) / s);
    std::printf("found_with_address %zu\n", run.hosts_with_address);
    for (auto [st, n] : run.statuses) std::printf("status_%d %zu\n", static_cast<int>(st), n);
    return run.hosts_with_address == run.total ? 0 : 1;
}
