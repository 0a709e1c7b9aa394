// The resolver against the project's own scripted DNS server (the scenario world's DNS), in one
// process: every answer class, truncation to TCP, schedules, and a dropped query on virtual time.
#include "resolver/resolver.hpp"
#include "scenarios/virtual_loop.hpp"
#include "scenarios/world/dns_server.hpp"
#include "scenarios/world/dns_zone.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <set>

using namespace relaylab;
using namespace relaylab::dns;
using namespace std::chrono_literals;

namespace {

std::string zone_text() {
    std::string names = R"(
      "isp.example":     { "mx": [ {"preference": 20, "host": "mx2.isp.example"}, {"preference": 10, "host": "mx1.isp.example"} ] },
      "mx1.isp.example": { "a": ["127.0.0.21"], "aaaa": ["::1"] },
      "mx2.isp.example": { "a": ["127.0.0.22"] },
      "implicit.example": { "a": ["127.0.0.30"] },
      "nullmx.example":  { "mx": [ {"preference": 0, "host": "."} ] },
      "nodata.example":  { "behaviour": "nodata" },
      "broken.example":  { "behaviour": "servfail" },
      "refusing.example": { "behaviour": "refused" },
      "silent.example":  { "behaviour": "drop" },
      "tc.example":      { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ], "behaviour": "truncate" },
      "alias.example":   { "cname": "isp.example" },
      "ghost.example":   { "mx": [ {"preference": 10, "host": "nowhere.example"} ] },
      "healing.example": { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ],
                           "schedule": [ {"until": "30m", "behaviour": "servfail"} ] },
      "equal.example":   { "mx": [)";
    for (int i = 1; i <= 5; ++i)
        names += std::string(i > 1 ? "," : "") + R"({"preference": 10, "host": "m)" + std::to_string(i) + R"(.equal.example"})";
    names += "] }";
    for (int i = 1; i <= 5; ++i)
        names += ",\n \"m" + std::to_string(i) + ".equal.example\": { \"a\": [\"127.0.0." + std::to_string(40 + i) + "\"] }";
    return "{ \"names\": {" + names + "} }";
}

struct DnsWorld {
    explicit DnsWorld(Duration deadline = 5s) : clock(TimePoint{} + 1'243'850'400s), loop(io, clock) {
        auto zone = world::DnsZone::parse(zone_text());
        REQUIRE(std::holds_alternative<world::DnsZone>(zone));
        server = std::make_unique<world::DnsServer>(
            io.get_executor(), clock, std::get<world::DnsZone>(std::move(zone)),
            boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        ResolverConfig cfg;
        cfg.servers = {"127.0.0.1:" + std::to_string(server->port())};
        cfg.timeout = 500ms;
        cfg.tries = 1;
        cfg.deadline = deadline;
        resolver = std::make_unique<Resolver>(io.get_executor(), clock, cfg);
    }
    ~DnsWorld() {
        server->stop();
        loop.settle();
    }
    MxResult mx(const std::string& domain, std::uint64_t seed = 1) {
        Rng rng(seed);
        std::optional<MxResult> out;
        boost::asio::co_spawn(io, resolver->resolve_mx(domain, rng), [&](std::exception_ptr e, MxResult r) {
            if (e) std::rethrow_exception(e);
            out = std::move(r);
        });
        REQUIRE(loop.run_until([&] { return out.has_value(); }, clock.now() + 1h));
        return *out;
    }
    boost::asio::io_context io;
    VirtualClock clock;
    scn::VirtualLoop loop;
    std::unique_ptr<world::DnsServer> server;
    std::unique_ptr<Resolver> resolver;
};

}  // namespace

TEST_CASE("MX resolution against the scripted DNS server", "[resolver][world]") {
    DnsWorld w;
    SECTION("preference order, IPv4 before IPv6") {
        auto r = w.mx("isp.example");
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.hosts.size() == 2);
        CHECK(r.hosts[0].name == "mx1.isp.example");
        CHECK(r.hosts[0].addresses == std::vector<std::string>{"::1", "127.0.0.21"});
        CHECK(r.hosts[1].name == "mx2.isp.example");
    }
    SECTION("implicit MX from the domain's own address") {
        auto r = w.mx("implicit.example");
        REQUIRE(r.status == Status::Found);
        REQUIRE(r.hosts.size() == 1);
        CHECK(r.hosts[0].implicit);
        CHECK(r.hosts[0].addresses == std::vector<std::string>{"127.0.0.30"});
    }
    SECTION("typed failures") {
        CHECK(w.mx("nullmx.example").status == Status::NullMx);
        CHECK(w.mx("nowhere.example").status == Status::NxDomain);
        CHECK(w.mx("nodata.example").status == Status::NoData);
        CHECK(w.mx("broken.example").status == Status::ServFail);
        CHECK(w.mx("refusing.example").status == Status::Refused);
    }
    SECTION("a truncated UDP answer is fetched again over TCP") {
        auto r = w.mx("tc.example");
        REQUIRE(r.status == Status::Found);
        CHECK(r.hosts.at(0).name == "mx1.isp.example");
        bool tcp = false;
        for (const auto& q : w.server->query_log()) tcp |= q.transport == world::DnsTransport::Tcp;
        CHECK(tcp);
    }
    SECTION("a CNAME is followed to the MX records") {
        auto r = w.mx("alias.example");
        REQUIRE(r.status == Status::Found);
        CHECK(r.hosts.at(0).name == "mx1.isp.example");
    }
    SECTION("an MX host without an address is reported, not dropped") {
        auto r = w.mx("ghost.example");
        REQUIRE(r.hosts.size() == 1);
        CHECK(r.hosts[0].addresses.empty());
        CHECK(r.hosts[0].address_status == Status::NxDomain);
    }
    SECTION("equal preferences: a seed fixes the order, other seeds change it") {
        auto names = [](const MxResult& r) {
            std::vector<std::string> out;
            for (const auto& h : r.hosts) out.push_back(h.name);
            return out;
        };
        auto first = names(w.mx("equal.example", 7));
        CHECK(names(w.mx("equal.example", 7)) == first);
        std::set<std::vector<std::string>> orders;
        for (std::uint64_t seed = 1; seed <= 12; ++seed) orders.insert(names(w.mx("equal.example", seed)));
        CHECK(orders.size() > 1);
    }
    SECTION("a schedule window: SERVFAIL until 30m, then answers") {
        CHECK(w.mx("healing.example").status == Status::ServFail);
        w.clock.advance_to(w.clock.now() + 30min);
        CHECK(w.mx("healing.example").status == Status::Found);
    }
}

TEST_CASE("a dropped query times out at the deadline on the caller's virtual clock", "[resolver][world]") {
    DnsWorld w(7s);
    TimePoint start = w.clock.now();
    auto r = w.mx("silent.example");
    CHECK(r.status == Status::Timeout);
    CHECK(w.clock.now() - start == Duration(7s));
}
