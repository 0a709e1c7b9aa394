// The SMTP client's Asio driver against the scenario world's scripted remote MTAs, in one process
// on virtual time: EHLO refused → HELO, greylisting per attempt, multi-line replies, a drop at a
// stage, and a tarpit whose silence ends exactly at the greeting deadline.
#include "scenarios/virtual_loop.hpp"
#include "scenarios/world/smtp_mta.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "smtpclient/client.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;

namespace {

struct MtaWorld {
    explicit MtaWorld(const std::string& script) : clock(TimePoint{} + 1'243'850'400s), loop(io, clock) {
        auto parsed = world::parse_mta_script(script);
        REQUIRE(std::holds_alternative<world::MtaScript>(parsed));
        port = test::free_port("127.0.0.1");
        mta = std::make_unique<world::ScriptedMta>(io.get_executor(), clock, std::get<world::MtaScript>(std::move(parsed)),
                                                   "127.0.0.1", port);
    }
    ~MtaWorld() {
        mta->stop();
        loop.settle();
    }
    struct Result {
        SessionStatus status;
        std::vector<RecipientOutcome> outcomes;
        std::vector<TranscriptLine> transcript;
    };
    Result send(const std::string& from, std::vector<std::string> to, ClientConfig cfg = {}) {
        std::optional<Result> out;
        Message msg{from, std::move(to), "Subject: x\r\n\r\nhello\r\n"};
        Remote remote{"mx.test", "127.0.0.1", port};
        boost::asio::co_spawn(io, run(cfg, remote, msg), [&](std::exception_ptr e, Result r) {
            if (e) std::rethrow_exception(e);
            out = std::move(r);
        });
        REQUIRE(loop.run_until([&] { return out.has_value(); }, clock.now() + 1h));
        return *out;
    }
    boost::asio::awaitable<Result> run(ClientConfig cfg, Remote remote, Message msg) {
        Client client(io.get_executor(), clock, cfg);
        Result r;
        r.status = co_await client.open(remote);
        r.outcomes = co_await client.send(std::move(msg));
        co_await client.quit();
        r.transcript = client.transcript();
        co_return r;
    }
    boost::asio::io_context io;
    VirtualClock clock;
    scn::VirtualLoop loop;
    unsigned short port = 0;
    std::unique_ptr<world::ScriptedMta> mta;
};

bool sent(const std::vector<TranscriptLine>& t, const std::string& prefix) {
    for (const auto& l : t)
        if (l.dir == 'C' && l.text.rfind(prefix, 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("client against scripted remote MTAs", "[smtpclient][world]") {
    SECTION("EHLO refused with 502: HELO, then delivered") {
        MtaWorld w(R"({"ehlo": {"reply": "502 5.5.2 Error: command not recognized"}})");
        auto r = w.send("a@docomo.ne.jp", {"b@isp.example"});
        CHECK(r.status.ok);
        REQUIRE(r.outcomes.size() == 1);
        CHECK(r.outcomes[0].delivered());
        CHECK(sent(r.transcript, "HELO "));
    }
    SECTION("greylisting: 451 at RCPT on the first connection only") {
        MtaWorld w(R"({"attempts": [ {"rcpt": {"reply": "451 4.7.1 Greylisted, try again"}} ]})");
        auto first = w.send("a@docomo.ne.jp", {"b@isp.example"});
        REQUIRE(first.outcomes.size() == 1);
        CHECK(first.outcomes[0].stage == Stage::Rcpt);
        CHECK(first.outcomes[0].reply->code == 451);
        CHECK_FALSE(first.outcomes[0].permanent());
        auto second = w.send("a@docomo.ne.jp", {"b@isp.example"});
        CHECK(second.outcomes.at(0).delivered());
    }
    SECTION("a multi-line 5xx reply arrives whole, with its enhanced code") {
        MtaWorld w(R"({"mail": {"reply": ["550-5.7.1 Your address is on a list", "550 5.7.1 see https://example.invalid/why"]}})");
        auto r = w.send("a@docomo.ne.jp", {"b@isp.example"});
        REQUIRE(r.outcomes.at(0).reply);
        const auto& reply = *r.outcomes[0].reply;
        CHECK(reply.code == 550);
        CHECK(reply.lines.size() == 2);
        CHECK(reply.enhanced->str() == "5.7.1");
        CHECK(r.outcomes[0].stage == Stage::Mail);
    }
    SECTION("the remote drops the connection at RCPT: closed, temporary") {
        MtaWorld w(R"({"rcpt": {"action": "drop"}})");
        auto r = w.send("a@docomo.ne.jp", {"b@isp.example"});
        CHECK(r.outcomes.at(0).stage == Stage::Rcpt);
        CHECK(r.outcomes[0].net == NetError::Closed);
        CHECK_FALSE(r.outcomes[0].permanent());
    }
    SECTION("a tarpit greeting times out exactly at the configured greeting deadline") {
        MtaWorld w(R"({"greeting": {"action": "silent"}})");
        ClientConfig cfg;
        cfg.greeting_timeout = 90s;
        TimePoint start = w.clock.now();
        auto r = w.send("a@docomo.ne.jp", {"b@isp.example"}, cfg);
        CHECK_FALSE(r.status.ok);
        CHECK(r.status.stage == Stage::Greeting);
        CHECK(r.status.net == NetError::Timeout);
        CHECK(w.clock.now() - start >= Duration(90s));
        CHECK(w.clock.now() - start < Duration(91s));
    }
}
