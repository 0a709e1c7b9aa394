// The resolver against a real unbound on loopback: every answer class, CNAMEs, TCP fallback,
// deadlines on real and virtual clocks, and destruction with lookups in flight.
#include "resolver/resolver.hpp"
#include "tests/support/unbound_server.hpp"

#include "clock/clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <set>

using namespace relaylab;
using namespace relaylab::dns;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string long_mx_name(int i) {
    return "exchanger-with-a-deliberately-long-first-label-number-" + std::to_string(i) + ".big.test";
}

std::vector<std::string> zone_lines() {
    std::vector<std::string> z = {
        R"(local-zone: "order.test." static)",
        R"(local-data: "order.test. MX 20 mx-b.order.test.")",
        R"(local-data: "order.test. MX 10 mx-a.order.test.")",
        R"(local-data: "order.test. MX 30 MX-C.Order.Test.")",
        R"(local-data: "mx-a.order.test. A 127.0.0.21")",
        R"(local-data: "mx-a.order.test. AAAA ::1")",
        R"(local-data: "mx-b.order.test. A 127.0.0.22")",
        R"(local-data: "mx-c.order.test. A 127.0.0.23")",
        R"(local-zone: "equal.test." static)",
        R"(local-zone: "implicit.test." static)",
        R"(local-data: "implicit.test. A 127.0.0.30")",
        R"(local-data: "implicit.test. AAAA ::1")",
        R"(local-zone: "nullmx.test." static)",
        R"(local-data: "nullmx.test. MX 0 .")",
        R"(local-zone: "nx.test." always_nxdomain)",
        R"(local-zone: "nodata.test." static)",
        R"(local-data: "nodata.test. TXT \"no mail here\"")",
        R"(local-zone: "ref.test." refuse)",
        R"(local-zone: "drop.test." deny)",
        R"(local-zone: "hostless.test." static)",
        R"(local-data: "hostless.test. MX 10 ghost.hostless.test.")",
        R"(local-data: "hostless.test. MX 20 real.hostless.test.")",
        R"(local-data: "hostless.test. MX 30 textonly.hostless.test.")",
        R"(local-data: "real.hostless.test. A 127.0.0.40")",
        R"(local-data: "textonly.hostless.test. TXT \"no address\"")",
        R"(local-zone: "alias.test." static)",
        R"(local-data: "alias.test. CNAME target.alias.test.")",
        R"(local-data: "target.alias.test. MX 10 via.alias.test.")",
        R"(local-data: "via.alias.test. CNAME mx.alias.test.")",
        R"(local-data: "mx.alias.test. A 127.0.0.50")",
        R"(local-zone: "loop.test." static)",
        R"(local-data: "loop.test. CNAME other.loop.test.")",
        R"(local-data: "other.loop.test. CNAME loop.test.")",
        R"(local-zone: "big.test." static)",
    };
    for (int i = 1; i <= 5; ++i) {
        z.push_back("local-data: \"equal.test. MX 10 mx" + std::to_string(i) + ".equal.test.\"");
        z.push_back("local-data: \"mx" + std::to_string(i) + ".equal.test. A 127.0.0." + std::to_string(i) + "\"");
    }
    // Over 512 bytes either way: UDP answers come truncated and c-ares must retry over TCP.
    for (int i = 1; i <= 12; ++i) {
        z.push_back("local-data: \"big.test. MX " + std::to_string(i) + " " + long_mx_name(i) + ".\"");
        z.push_back("local-data: \"" + long_mx_name(i) + ". A 127.0.1." + std::to_string(i) + "\"");
    }
    for (int i = 1; i <= 40; ++i) z.push_back("local-data: \"many.big.test. A 127.0.2." + std::to_string(i) + "\"");
    return z;
}

// One unbound for the whole binary; its zones cover every case.
test::UnboundServer& unbound() {
    // unbound does not query localhost addresses (do-not-query-localhost: yes), so this forward
    // zone has no usable server and every question in it gets SERVFAIL at once.
    static test::UnboundServer server(zone_lines(), {"forward-zone:", "  name: \"servfail.test.\"",
                                                     "  forward-addr: 127.0.0.1@9"});
    REQUIRE(server.running());
    return server;
}

ResolverConfig config_for(const std::string& server) {
    ResolverConfig cfg;
    cfg.servers = {server};
    cfg.timeout = 500ms;
    cfg.tries = 2;
    cfg.deadline = 5s;
    return cfg;
}

// Runs one lookup to completion (bounded in real time) and returns its result.
template <typename T>
T complete(boost::asio::io_context& io, boost::asio::awaitable<T> lookup, std::chrono::seconds limit = 20s) {
    std::optional<T> out;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(lookup), [&](std::exception_ptr e, T v) {
        if (e) error = e;
        else out = std::move(v);
    });
    const auto until = SteadyClock::now() + limit;
    while (!out && !error && SteadyClock::now() < until) io.run_one_for(50ms);
    if (error) std::rethrow_exception(error);
    REQUIRE(out.has_value());
    return std::move(*out);
}

std::vector<std::string> names(const MxResult& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hosts) out.push_back(h.name);
    return out;
}

}  // namespace

TEST_CASE("MX resolution against unbound", "[resolver][integration]") {
    auto& dns = unbound();
    boost::asio::io_context io;
    RealClock clock;
    Resolver resolver(io.get_executor(), clock, config_for(dns.address()));
    Rng rng(42);

    SECTION("hosts in preference order, names normalised, IPv4 before IPv6") {
        auto r = complete(io, resolver.resolve_mx("Order.Test.", rng));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.domain == "order.test");
        REQUIRE(names(r) == std::vector<std::string>{"mx-a.order.test", "mx-b.order.test", "mx-c.order.test"});
        REQUIRE(r.hosts[0].preference == 10);
        REQUIRE(r.hosts[2].preference == 30);
        REQUIRE(r.hosts[0].addresses == std::vector<std::string>{"::1", "127.0.0.21"});
        REQUIRE(r.hosts[1].addresses == std::vector<std::string>{"127.0.0.22"});
        REQUIRE(r.hosts[0].address_status == Status::Found);
        REQUIRE(r.ttl > 0);
    }
    SECTION("equal preferences: same seed, same order; other seeds differ") {
        std::set<std::vector<std::string>> orders;
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            Rng a(seed), b(seed);
            auto x = complete(io, resolver.resolve_mx("equal.test", a));
            auto y = complete(io, resolver.resolve_mx("equal.test", b));
            REQUIRE(x.status == Status::Found);
            REQUIRE(x.hosts.size() == 5);
            REQUIRE(names(x) == names(y));
            orders.insert(names(x));
        }
        REQUIRE(orders.size() > 1);
    }
    SECTION("no MX: the domain itself is an implicit MX of preference 0") {
        auto r = complete(io, resolver.resolve_mx("implicit.test", rng));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.hosts.size() == 1);
        REQUIRE(r.hosts[0].name == "implicit.test");
        REQUIRE(r.hosts[0].implicit);
        REQUIRE(r.hosts[0].preference == 0);
        REQUIRE(r.hosts[0].addresses == std::vector<std::string>{"::1", "127.0.0.30"});
    }
    SECTION("null MX (RFC 7505)") {
        auto r = complete(io, resolver.resolve_mx("nullmx.test", rng));
        REQUIRE(r.status == Status::NullMx);
        REQUIRE(r.hosts.empty());
    }
    SECTION("NXDOMAIN") {
        auto r = complete(io, resolver.resolve_mx("nx.test", rng));
        REQUIRE(r.status == Status::NxDomain);
        REQUIRE_FALSE(is_temporary(r.status));
    }
    SECTION("NODATA: no MX and no A/AAAA") {
        REQUIRE(complete(io, resolver.resolve_mx("nodata.test", rng)).status == Status::NoData);
    }
    SECTION("SERVFAIL") {
        auto r = complete(io, resolver.resolve_mx("servfail.test", rng));
        REQUIRE(r.status == Status::ServFail);
        REQUIRE(is_temporary(r.status));
    }
    SECTION("REFUSED") { REQUIRE(complete(io, resolver.resolve_mx("ref.test", rng)).status == Status::Refused); }
    SECTION("an unaskable name is BadName without a query") {
        REQUIRE(complete(io, resolver.resolve_mx("a..test", rng)).status == Status::BadName);
    }
    SECTION("an MX host without addresses is kept and says why") {
        auto r = complete(io, resolver.resolve_mx("hostless.test", rng));
        REQUIRE(r.status == Status::Found);
        REQUIRE(names(r) ==
                std::vector<std::string>{"ghost.hostless.test", "real.hostless.test", "textonly.hostless.test"});
        REQUIRE(r.hosts[0].address_status == Status::NxDomain);
        REQUIRE(r.hosts[0].addresses.empty());
        REQUIRE(r.hosts[1].address_status == Status::Found);
        REQUIRE(r.hosts[1].addresses == std::vector<std::string>{"127.0.0.40"});
        REQUIRE(r.hosts[2].address_status == Status::NoData);
    }
    SECTION("a CNAME-only MX answer is followed, and so is a CNAME'd MX host") {
        auto r = complete(io, resolver.resolve_mx("alias.test", rng));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.domain == "alias.test");
        REQUIRE(names(r) == std::vector<std::string>{"via.alias.test"});
        REQUIRE(r.hosts[0].addresses == std::vector<std::string>{"127.0.0.50"});
    }
    SECTION("a CNAME loop ends as a bad answer, not a hang") {
        REQUIRE(complete(io, resolver.resolve_mx("loop.test", rng)).status == Status::BadAnswer);
    }
    SECTION("an answer over 512 bytes comes whole over TCP") {
        auto r = complete(io, resolver.resolve_mx("big.test", rng));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.hosts.size() == 12);
        for (int i = 1; i <= 12; ++i) {
            REQUIRE(r.hosts[static_cast<std::size_t>(i - 1)].name == long_mx_name(i));
            REQUIRE(r.hosts[static_cast<std::size_t>(i - 1)].addresses ==
                    std::vector<std::string>{"127.0.1." + std::to_string(i)});
        }
    }
}

TEST_CASE("address resolution against unbound", "[resolver][integration]") {
    auto& dns = unbound();
    boost::asio::io_context io;
    RealClock clock;
    Resolver resolver(io.get_executor(), clock, config_for(dns.address()));

    SECTION("A then AAAA") {
        auto r = complete(io, resolver.resolve_addresses("MX-A.order.test."));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.host == "mx-a.order.test");
        REQUIRE(r.addresses == std::vector<std::string>{"::1", "127.0.0.21"});
    }
    SECTION("forty A records come over TCP and are bounded") {
        auto r = complete(io, resolver.resolve_addresses("many.big.test"));
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.addresses.size() == kMaxAddressesPerHost);
    }
    SECTION("no such host") {
        REQUIRE(complete(io, resolver.resolve_addresses("nx.test")).status == Status::NxDomain);
    }
}

TEST_CASE("deadlines and broken servers", "[resolver][integration]") {
    auto& dns = unbound();
    boost::asio::io_context io;
    RealClock clock;
    Rng rng(1);

    SECTION("a dropping server: the Clock's deadline ends the lookup when it comes first") {
        auto cfg = config_for(dns.address());
        cfg.timeout = 2s;
        cfg.deadline = 400ms;
        Resolver resolver(io.get_executor(), clock, cfg);
        const auto start = SteadyClock::now();
        auto r = complete(io, resolver.resolve_mx("drop.test", rng));
        const auto took = SteadyClock::now() - start;
        REQUIRE(r.status == Status::Timeout);
        REQUIRE(took >= 350ms);
        REQUIRE(took < 400ms + 600ms);
        // c-ares' own answer (its timeout) arrives later and must be ignored without harm.
        io.run_for(100ms);
    }
    SECTION("a dropping server: c-ares' tries end the lookup when they come first") {
        auto cfg = config_for(dns.address());
        cfg.timeout = 100ms;
        cfg.tries = 1;
        cfg.deadline = 10s;
        Resolver resolver(io.get_executor(), clock, cfg);
        const auto start = SteadyClock::now();
        REQUIRE(complete(io, resolver.resolve_mx("drop.test", rng)).status == Status::Timeout);
        REQUIRE(SteadyClock::now() - start < 3s);
    }
    SECTION("a closed DNS port is ConnRefused at once") {
        auto cfg = config_for("127.0.0.1:" + std::to_string(test::free_port("127.0.0.1")));
        Resolver resolver(io.get_executor(), clock, cfg);
        const auto start = SteadyClock::now();
        REQUIRE(complete(io, resolver.resolve_mx("order.test", rng)).status == Status::ConnRefused);
        REQUIRE(SteadyClock::now() - start < 2s);
    }
    SECTION("destroying the resolver mid-lookup completes the lookup as Error") {
        auto cfg = config_for(dns.address());
        cfg.timeout = 2s;
        auto resolver = std::make_unique<Resolver>(io.get_executor(), clock, cfg);
        std::optional<MxResult> out;
        boost::asio::co_spawn(io, resolver->resolve_mx("drop.test", rng), [&](std::exception_ptr e, MxResult r) {
            REQUIRE_FALSE(e);
            out = std::move(r);
        });
        io.run_for(100ms);
        REQUIRE_FALSE(out);
        resolver.reset();
        const auto until = SteadyClock::now() + 5s;
        while (!out && SteadyClock::now() < until) io.run_one_for(50ms);
        REQUIRE(out);
        REQUIRE(out->status == Status::Error);
    }
    SECTION("a bad server string is refused, naming it") {
        auto cfg = config_for("dns.example:53");
        REQUIRE_THROWS_WITH(Resolver(io.get_executor(), clock, cfg), Catch::Contains("\"dns.example:53\""));
    }
}

TEST_CASE("on a virtual clock only the Clock decides a timeout", "[resolver][integration]") {
    auto& dns = unbound();
    boost::asio::io_context io;
    const TimePoint start = TimePoint{} + std::chrono::hours(24 * 365 * 39);
    VirtualClock clock(start);
    auto cfg = config_for(dns.address());
    cfg.timeout = 100ms;  // c-ares gives up after ~300 ms of real time: that must not end the lookup
    cfg.tries = 2;
    cfg.deadline = 30s;
    Resolver resolver(io.get_executor(), clock, cfg);
    Rng rng(1);
    std::optional<MxResult> out;
    boost::asio::co_spawn(io, resolver.resolve_mx("drop.test", rng), [&](std::exception_ptr e, MxResult r) {
        REQUIRE_FALSE(e);
        out = std::move(r);
    });
    // Let c-ares retransmit and give up in real time; then wait for the loop to be quiet (twice).
    const auto until = SteadyClock::now() + 1s;
    while (SteadyClock::now() < until) io.run_one_for(50ms);
    REQUIRE_FALSE(out);
    while (io.poll() != 0 || io.poll() != 0) {
    }
    REQUIRE_FALSE(out);
    REQUIRE(clock.now() == start);
    REQUIRE(clock.next_deadline() == start + 30s);
    REQUIRE(clock.advance());
    for (int i = 0; i < 100 && !out; ++i) io.poll();
    REQUIRE(out);
    CHECK(out->status == Status::Timeout);
    CHECK(clock.now() - start == 30s);
}
