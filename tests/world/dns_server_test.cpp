// The scripted DNS server on real loopback sockets, asked by dig (a real client, UDP and TCP).
#include "scenarios/world/dns_server.hpp"

#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <poll.h>
#include <unistd.h>

#include <optional>
#include <thread>

using namespace relaylab;
using namespace relaylab::world;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const char* world_json = R"({
  "names": {
    "isp.example":     { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ] },
    "mx1.isp.example": { "a": ["127.0.0.11"], "aaaa": ["::1"] },
    "alias.example":   { "cname": "isp.example" },
    "broken.example":  { "behaviour": "servfail" },
    "closed.example":  { "behaviour": "refused" },
    "silent.example":  { "behaviour": "drop" },
    "big.example":     { "behaviour": "truncate", "a": ["127.0.0.21", "127.0.0.22"] },
    "healing.example": { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ],
                         "schedule": [ {"from": "0s", "until": "30m", "behaviour": "servfail"} ] }
  }
})";

DnsZone world_zone() {
    auto z = DnsZone::parse(world_json);
    REQUIRE(std::holds_alternative<DnsZone>(z));
    return std::get<DnsZone>(std::move(z));
}

// The server's loop runs in a thread while the test thread runs dig; finish() stops it and joins,
// after which the query log may be read.
class RunningServer {
public:
    RunningServer(Clock& clock, DnsServerLimits limits = {}, std::optional<TimePoint> start = std::nullopt) {
        server_.emplace(io_.get_executor(), clock, world_zone(),
                        asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0), limits, start);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~RunningServer() { finish(); }
    void finish() {
        if (!thread_.joinable()) return;
        asio::post(io_, [this] { server_->stop(); });
        thread_.join();
    }
    DnsServer& server() { return *server_; }

private:
    asio::io_context io_;
    std::optional<DnsServer> server_;
    std::thread thread_;
};

std::string dig(unsigned short port, const std::string& name, const std::string& type,
                std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"dig", "@127.0.0.1", "-p", std::to_string(port), name, type,
                                  "+tries=1", "+time=1", "+norecurse"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string out;
    relaylab::test::run_command(argv, out, true, 20s);
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("dig gets authoritative answers and scripted failures", "[dns][server][integration]") {
    relaylab::test::require_program("dig", "bind9-dnsutils");
    RealClock clock;
    RunningServer running(clock);
    const auto port = running.server().port();
    REQUIRE(port != 0);

    SECTION("MX, A, AAAA, CNAME") {
        auto mx = dig(port, "isp.example", "MX");
        CHECK(contains(mx, "status: NOERROR"));
        CHECK(contains(mx, "flags: qr aa"));
        CHECK(contains(mx, "MX\t10 mx1.isp.example."));
        CHECK(contains(dig(port, "MX1.ISP.example", "A"), "A\t127.0.0.11"));
        CHECK(contains(dig(port, "mx1.isp.example", "AAAA"), "AAAA\t::1"));
        auto alias = dig(port, "alias.example", "MX");
        CHECK(contains(alias, "CNAME\tisp.example."));
        CHECK(contains(alias, "MX\t10 mx1.isp.example."));
    }
    SECTION("NXDOMAIN, NODATA, SERVFAIL, REFUSED") {
        CHECK(contains(dig(port, "nowhere.example", "MX"), "status: NXDOMAIN"));
        auto nodata = dig(port, "mx1.isp.example", "MX");
        CHECK(contains(nodata, "status: NOERROR"));
        CHECK(contains(nodata, "ANSWER: 0"));
        CHECK(contains(dig(port, "broken.example", "MX"), "status: SERVFAIL"));
        CHECK(contains(dig(port, "closed.example", "MX"), "status: REFUSED"));
    }
    SECTION("drop: dig times out") {
        auto out = dig(port, "silent.example", "MX");
        CHECK(contains(out, "timed out"));
        CHECK_FALSE(contains(out, "status:"));
    }
    SECTION("truncate: dig retries over TCP and gets the answer") {
        auto out = dig(port, "big.example", "A");
        CHECK(contains(out, "Truncated, retrying in TCP mode"));
        CHECK(contains(out, "A\t127.0.0.21"));
        CHECK(contains(out, "A\t127.0.0.22"));
        running.finish();
        const auto& log = running.server().query_log();
        REQUIRE(log.size() == 2);
        CHECK(log[0].transport == DnsTransport::Udp);
        CHECK(log[0].truncated);
        CHECK(log[1].transport == DnsTransport::Tcp);
        CHECK_FALSE(log[1].truncated);
        CHECK(log[1].rcode == Rcode::NoError);
    }
    SECTION("TCP on request (+tcp) answers too") {
        CHECK(contains(dig(port, "isp.example", "MX", {"+tcp"}), "MX\t10 mx1.isp.example."));
    }
    SECTION("the query log records name, type, behaviour and result") {
        dig(port, "broken.example", "MX");
        dig(port, "isp.example", "A");
        running.finish();
        const auto& log = running.server().query_log();
        REQUIRE(log.size() == 2);
        CHECK(log[0].name == "broken.example");
        CHECK(type_name(log[0].qtype) == "MX");
        CHECK(log[0].behaviour == DnsBehaviour::ServFail);
        CHECK(log[0].rcode == Rcode::ServFail);
        CHECK(log[1].rcode == Rcode::NoError);
        CHECK(contains(to_string(log[0]), " udp 127.0.0.1:"));
        CHECK(contains(to_string(log[0]), " broken.example MX servfail SERVFAIL"));
    }
}

TEST_CASE("schedules follow the caller's clock, relative to the server's start", "[dns][server][integration]") {
    relaylab::test::require_program("dig", "bind9-dnsutils");
    VirtualClock clock(TimePoint{} + std::chrono::hours(24 * 365 * 40));
    SECTION("inside the window: SERVFAIL") {
        RunningServer running(clock, {}, clock.now() - 10min);
        CHECK(contains(dig(running.server().port(), "healing.example", "MX"), "status: SERVFAIL"));
    }
    SECTION("after the window: the answer") {
        RunningServer running(clock, {}, clock.now() - 45min);
        CHECK(contains(dig(running.server().port(), "healing.example", "MX"), "MX\t10 mx1.isp.example."));
    }
}

TEST_CASE("idle TCP connections are closed at the deadline", "[dns][server][integration]") {
    RealClock clock;
    DnsServerLimits limits;
    limits.tcp_idle_timeout = 200ms;
    RunningServer running(clock, limits);
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), running.server().port()});
    pollfd p{s.native_handle(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);  // readable: the server closed it
    char c = 0;
    CHECK(::read(s.native_handle(), &c, 1) == 0);
}

TEST_CASE("a taken port is an error, not a silent share", "[dns][server][integration]") {
    RealClock clock;
    RunningServer first(clock);
    asio::io_context io;
    auto taken = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), first.server().port());
    CHECK_THROWS_AS(DnsServer(io.get_executor(), clock, world_zone(), taken), boost::system::system_error);
}
