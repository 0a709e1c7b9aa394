// A fault at every step of the client driver: a loopback server (the smtpserver core and listener)
// that hangs up, or goes silent, at the greeting, EHLO, MAIL, RCPT, DATA or the final dot. The client
// must end with a typed failure naming that stage, within the stage's (short) deadline.
#include "smtpclient/client.hpp"
#include "smtpserver/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

using namespace relaylab;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

enum class Fault { Drop, Silent };

// A server that behaves until `at`, then hangs up or never answers again.
struct FaultyPolicy : smtp::ServerPolicy {
    FaultyPolicy(smtp::Stage at, Fault fault) : at(at), fault(fault) {}
    smtp::Decision act(smtp::Stage stage) const {
        if (stage != at) return {};
        return fault == Fault::Drop ? smtp::Decision::drop() : smtp::Decision::silent();
    }
    smtp::Decision on_connect() override { return act(smtp::Stage::Greeting); }
    smtp::Decision on_ehlo(std::string_view) override { return act(smtp::Stage::Ehlo); }
    smtp::Decision on_mail(const smtp::ClientCommand&) override { return act(smtp::Stage::Mail); }
    smtp::Decision on_rcpt(const smtp::ClientCommand&) override { return act(smtp::Stage::Rcpt); }
    smtp::Decision on_data_start() override { return act(smtp::Stage::Data); }
    smtp::Decision on_message(const smtp::Envelope&, std::string_view) override { return act(smtp::Stage::Dot); }
    smtp::Stage at;
    Fault fault;
};

struct Outcome {
    smtp::SessionStatus status;
    std::vector<smtp::RecipientOutcome> outcomes;
    bool done = false;
};

constexpr Duration stage_timeout = 300ms;

// Open, then one message; how long it took. Named values only inside co_await (g++ 12).
asio::awaitable<void> exercise(smtp::Client& client, smtp::Listener& listener, Outcome& result, Duration& took) {
    auto start = std::chrono::steady_clock::now();
    smtp::Remote remote{"faulty.test", "127.0.0.1", listener.port()};
    result.status = co_await client.open(remote);
    if (result.status.ok) {
        smtp::Message message{"alice@docomo.ne.jp", {"a@isp.test"}, "Subject: x\r\n\r\nhi\r\n"};
        result.outcomes = co_await client.send(std::move(message));
    }
    took = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
    result.done = true;
    listener.stop();
}

Outcome run_against(smtp::Stage at, Fault fault, Duration& took) {
    asio::io_context io;
    RealClock clock;
    smtp::ServerConfig server;
    server.hostname = "faulty.test";
    server.capabilities = {"8BITMIME"};  // no PIPELINING: one command, one stage, at a time
    smtp::Listener listener(io.get_executor(), clock, "127.0.0.1", 0, server,
                            [&](const smtp::ConnectionInfo&) { return std::make_unique<FaultyPolicy>(at, fault); });
    smtp::ClientConfig config;
    config.helo_name = "relay.test";
    config.connect_timeout = config.greeting_timeout = config.ehlo_timeout = config.mail_timeout = config.rcpt_timeout =
        config.data_init_timeout = config.data_block_timeout = config.dot_timeout = config.rset_timeout =
            config.quit_timeout = stage_timeout;
    smtp::Client client(io.get_executor(), clock, config);
    Outcome result;
    asio::co_spawn(io, exercise(client, listener, result, took), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.run_for(5s);
    return result;
}

}  // namespace

TEST_CASE("client driver: a remote that hangs up or goes silent at each stage is a typed failure in time",
          "[smtpclient][integration]") {
    for (auto stage : {smtp::Stage::Greeting, smtp::Stage::Ehlo, smtp::Stage::Mail, smtp::Stage::Rcpt, smtp::Stage::Data,
                       smtp::Stage::Dot}) {
        for (auto fault : {Fault::Drop, Fault::Silent}) {
            INFO("stage " << smtp::to_string(stage) << (fault == Fault::Drop ? ", drop" : ", silent"));
            Duration took{};
            Outcome r = run_against(stage, fault, took);
            REQUIRE(r.done);
            smtp::Stage seen;
            smtp::NetError net;
            if (stage == smtp::Stage::Greeting || stage == smtp::Stage::Ehlo) {
                REQUIRE_FALSE(r.status.ok);
                seen = r.status.stage;
                net = r.status.net;
            } else {
                REQUIRE(r.status.ok);
                REQUIRE(r.outcomes.size() == 1);
                CHECK_FALSE(r.outcomes[0].delivered());
                seen = r.outcomes[0].stage;
                net = r.outcomes[0].net;
            }
            CHECK(seen == stage);
            if (fault == Fault::Drop) {
                CHECK((net == smtp::NetError::Closed || net == smtp::NetError::Reset));
                CHECK(took < stage_timeout);  // a hang-up is noticed at once, not at the deadline
            } else {
                CHECK(net == smtp::NetError::Timeout);
                CHECK(took >= stage_timeout);
                CHECK(took < stage_timeout + 1s);
            }
        }
    }
}
