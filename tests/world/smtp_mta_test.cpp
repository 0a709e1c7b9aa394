// A scripted MTA on 127.0.0.1 driven by real clients: swaks and Postfix's smtp-source.
#include "scenarios/world/smtp_mta.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

using namespace relaylab;
using namespace relaylab::world;
using namespace std::chrono_literals;

namespace {

MtaScript script(std::string_view text) {
    auto r = parse_mta_script(text);
    if (auto* e = std::get_if<MtaScriptError>(&r)) FAIL("script error: " << e->str());
    return std::get<MtaScript>(r);
}

// The MTA serving on its own io thread; stopped and joined on destruction.
struct RunningMta {
    RunningMta(Clock& clock, MtaScript s) : mta(io.get_executor(), clock, std::move(s), "127.0.0.1", 0) {
        thread = std::thread([this] { io.run(); });
    }
    ~RunningMta() {
        mta.stop();
        thread.join();
    }
    // Runs f on the io thread and waits for it (the VirtualClock is not thread-safe).
    template <typename F>
    void on_io(F f) {
        std::promise<void> done;
        boost::asio::post(io, [&] {
            f();
            done.set_value();
        });
        REQUIRE(done.get_future().wait_for(5s) == std::future_status::ready);
    }
    // Moves a virtual clock by `d` once the MTA has armed a timer for exactly then: a loopback
    // connect or write completes before the server's coroutine gets to arm its next deadline.
    void advance_when_armed(VirtualClock& clock, Duration d) {
        auto until = std::chrono::steady_clock::now() + 5s;
        bool armed = false;
        while (!armed && std::chrono::steady_clock::now() < until) {
            on_io([&] { armed = clock.next_deadline() == clock.now() + d; });
            if (!armed) std::this_thread::sleep_for(10ms);
        }
        REQUIRE(armed);
        on_io([&] { clock.advance_to(clock.now() + d); });
    }
    boost::asio::io_context io;
    ScriptedMta mta;
    std::thread thread;
};

std::string swaks(unsigned short port, const std::string& from, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{"swaks", "--server", "127.0.0.1:" + std::to_string(port), "--from", from,
                                  "--to", "x@isp.example", "--helo", "handset.gw", "--timeout", "10"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string out;
    relaylab::test::run_command(argv, out, true, 30s);
    return out;
}

// A blocking loopback client with a receive deadline, for byte-level checks.
struct RawClient {
    explicit RawClient(unsigned short port) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    }
    ~RawClient() { ::close(fd); }
    // Whatever arrives within `wait` (stops early at EOF or when `until` is seen).
    std::string read(std::chrono::milliseconds wait, std::string_view until = "\n") {
        std::string got;
        auto end = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
            if (got.find(until) != std::string::npos) break;
        }
        return got;
    }
    void send(std::string_view s) { REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size())); }
    int fd = -1;
};

}  // namespace

TEST_CASE("swaks sees the scripted MTA's answers", "[world][smtp][integration]") {
    relaylab::test::require_program("swaks", "swaks");
    RealClock clock;
    SECTION("553 at MAIL for the raw dotted local part; the quoted form passes; raw paths recorded") {
        RunningMta m(clock, script(R"({"hostname": "mx1.isp.example",
                                       "malformed_sender": {"reply": "553 malformed address"}})"));
        std::string raw = swaks(m.mta.port(), "q.@docomo.ne.jp");
        CHECK(raw.find("<** 553 malformed address") != std::string::npos);
        std::string quoted = swaks(m.mta.port(), "\"q.\"@docomo.ne.jp");
        CHECK(quoted.find("<-  250 2.0.0 Ok: queued") != std::string::npos);
        auto got = m.mta.received();
        REQUIRE(got.size() == 2);
        REQUIRE(got[0].transactions.size() == 1);
        CHECK(got[0].transactions[0].mail_from == "q.@docomo.ne.jp");
        CHECK(got[0].helo == "handset.gw");
        REQUIRE(got[1].transactions.size() == 1);
        CHECK(got[1].transactions[0].mail_from == "\"q.\"@docomo.ne.jp");
        CHECK(got[1].transactions[0].rcpt_to == std::vector<std::string>{"x@isp.example"});
        REQUIRE(got[1].transactions[0].message);
        CHECK(got[1].transactions[0].message->find("Subject: test") != std::string::npos);
    }
    SECTION("greylisting on the first attempt only") {
        RunningMta m(clock, script(R"({"attempts": [{"rcpt": {"reply": "451 4.7.1 Greylisted, try again"}}]})"));
        CHECK(swaks(m.mta.port(), "a@docomo.ne.jp").find("<** 451 4.7.1 Greylisted, try again") != std::string::npos);
        CHECK(swaks(m.mta.port(), "a@docomo.ne.jp").find("<-  250 2.0.0 Ok: queued") != std::string::npos);
        CHECK(m.mta.connections() == 2);
    }
    SECTION("multi-line replies") {
        RunningMta m(clock, script(R"({"greeting": {"reply": ["220-mx.example ESMTP", "220 no UCE"]},
                                       "rcpt": {"reply": ["550-5.1.1 no such user", "550 5.1.1 see the docs"]}})"));
        std::string out = swaks(m.mta.port(), "a@b.example");
        CHECK(out.find("<-  220-mx.example ESMTP\n<-  220 no UCE") != std::string::npos);
        CHECK(out.find("<** 550-5.1.1 no such user\n<** 550 5.1.1 see the docs") != std::string::npos);
    }
    SECTION("drop at MAIL: the client sees the connection close") {
        RunningMta m(clock, script(R"({"mail": {"action": "drop"}})"));
        std::string out = swaks(m.mta.port(), "a@b.example");
        CHECK(out.find("-> MAIL FROM:<a@b.example>") != std::string::npos);
        CHECK(out.find("<-  250 2.1.0") == std::string::npos);
        auto got = m.mta.received();
        REQUIRE(got.size() == 1);
        CHECK(got[0].closed == smtp::CloseReason::Dropped);
    }
    SECTION("drop mid-DATA after some bytes") {
        RunningMta m(clock, script(R"({"data_body": {"action": "drop", "after_bytes": 20}})"));
        std::string out = swaks(m.mta.port(), "a@b.example");
        CHECK(out.find("<-  354 ") != std::string::npos);
        CHECK(out.find("Ok: queued") == std::string::npos);
        CHECK(m.mta.received().at(0).closed == smtp::CloseReason::Dropped);
    }
}

TEST_CASE("Postfix smtp-source delivers through the scripted MTA", "[world][smtp][integration]") {
    relaylab::test::require_program("/usr/sbin/smtp-source", "postfix");
    RealClock clock;
    RunningMta m(clock, script("{}"));
    std::string out;
    int rc = relaylab::test::run_command({"/usr/sbin/smtp-source", "-c", "-m", "5", "-s", "2", "-f", "a@b.example",
                                          "-t", "c@d.example", "127.0.0.1:" + std::to_string(m.mta.port())},
                                         out, true, 60s);
    CHECK(rc == 0);
    std::size_t messages = 0;
    for (const auto& c : m.mta.received())
        for (const auto& t : c.transactions) {
            CHECK(t.mail_from == "a@b.example");
            if (t.message) ++messages;
        }
    CHECK(messages == 5);
}

TEST_CASE("delays run on the caller's clock", "[world][smtp][integration]") {
    VirtualClock clock(TimePoint{} + 1000s);
    RunningMta m(clock, script(R"({"greeting": {"delay": "10m"}, "mail": {"delay": "1h", "reply": "553 malformed address"}})"));
    RawClient c(m.mta.port());
    SECTION("nothing comes until the clock moves; then the reply does") {
        CHECK(c.read(300ms).empty());
        m.advance_when_armed(clock, 10min);
        CHECK(c.read(5s) == "220 mx.example ESMTP\r\n");
        c.send("HELO h\r\nMAIL FROM:<q.@docomo.ne.jp>\r\n");
        CHECK(c.read(5s) == "250 mx.example\r\n");
        CHECK(c.read(300ms).empty());
        m.advance_when_armed(clock, 1h);
        CHECK(c.read(5s) == "553 malformed address\r\n");
        auto got = m.mta.received();
        REQUIRE(got.size() == 1);
        // The dialogue carries virtual times: the 553 went out an hour and ten minutes in.
        CHECK(got[0].dialogue.back().text == "553 malformed address");
        CHECK(got[0].dialogue.back().at == TimePoint{} + 1000s + 70min);
    }
    SECTION("a silent client meets the idle timeout (RFC 5321 §4.5.3.2.7) in virtual time") {
        m.advance_when_armed(clock, 10min);
        CHECK(c.read(5s) == "220 mx.example ESMTP\r\n");
        m.advance_when_armed(clock, 5min);
        CHECK(c.read(5s) == "421 4.4.2 mx.example Error: timeout exceeded\r\n");
        CHECK(c.read(2s).empty());  // and the connection is closed
        CHECK(m.mta.received().at(0).closed == smtp::CloseReason::IdleTimeout);
    }
}

TEST_CASE("max_connections: a connection beyond so many open at once gets 421 at the greeting", "[world][smtp][integration]") {
    RealClock clock;
    SECTION("the default reply; a place frees when a counted connection closes") {
        RunningMta m(clock, script(R"({"hostname": "mx1.isp.example", "max_connections": 2})"));
        auto first = std::make_unique<RawClient>(m.mta.port());
        CHECK(first->read(5s) == "220 mx1.isp.example ESMTP\r\n");
        RawClient second(m.mta.port());
        CHECK(second.read(5s) == "220 mx1.isp.example ESMTP\r\n");
        {
            RawClient third(m.mta.port());
            CHECK(third.read(5s) == "421 4.7.0 mx1.isp.example Error: too many connections\r\n");
            CHECK(third.read(1s).empty());  // and the connection is closed (RFC 5321 §3.8)
        }
        first->send("QUIT\r\n");
        CHECK(first->read(5s).rfind("221 ", 0) == 0);
        first.reset();
        // The refused third was never counted; the first's place is free once it has closed.
        std::string greeting;
        for (int i = 0; i < 50 && greeting.rfind("220 ", 0) != 0; ++i) {
            RawClient again(m.mta.port());
            greeting = again.read(5s);
            if (greeting.rfind("220 ", 0) != 0) std::this_thread::sleep_for(20ms);
        }
        CHECK(greeting == "220 mx1.isp.example ESMTP\r\n");
        CHECK(m.mta.connections() >= 4);
    }
    SECTION("the script's own words for it") {
        RunningMta m(clock, script(R"({"max_connections": 1,
            "over_max_connections": {"reply": "421 4.7.0 Too many concurrent connections"}})"));
        RawClient first(m.mta.port());
        CHECK(first.read(5s) == "220 mx.example ESMTP\r\n");
        RawClient second(m.mta.port());
        CHECK(second.read(5s) == "421 4.7.0 Too many concurrent connections\r\n");
    }
}
