// The Asio driver against real peers on loopback: Postfix's smtp-sink, a closed port, and a
// listener that never greets (on real and on virtual time).
#include "smtpclient/client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <unistd.h>

#include <thread>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct Run {
    SessionStatus status;
    std::vector<RecipientOutcome> outcomes;
    Capabilities caps;
    std::vector<TranscriptLine> transcript;
    bool done = false;
};

Message handset_message(std::string from = "q.@docomo.ne.jp") {
    return Message{std::move(from), {"a@example.jp", "b@example.jp"}, "Subject: test\n\nhello\n.dot line\n"};
}

asio::awaitable<void> session(Client& client, Remote remote, Message message, Run& run) {
    run.status = co_await client.open(std::move(remote));
    run.caps = client.capabilities();
    run.outcomes = co_await client.send(std::move(message));
    co_await client.quit();
    run.transcript = client.transcript();
    run.done = true;
}

// Runs one session on real time; a test never waits more than `limit`.
Run run_real(Remote remote, ClientConfig config = {}, Message message = handset_message(), Duration limit = 20s) {
    asio::io_context io;
    RealClock clock;
    config.helo_name = "relay.test";
    Client client(io.get_executor(), clock, config);
    Run run;
    asio::co_spawn(io, session(client, std::move(remote), std::move(message), run),
                   [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(limit));
    REQUIRE(run.done);
    return run;
}

struct Sink : test::SmtpSink {
    using test::SmtpSink::SmtpSink;
    Remote remote() const { return Remote{"sink.test", ip(), port()}; }
};

// Accepts connections and never says a word.
struct SilentListener {
    explicit SilentListener(asio::io_context& io)
        : acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), peer(io) {
        acceptor.async_accept(peer, [](boost::system::error_code) {});
    }
    Remote remote() const { return Remote{"silent.test", "127.0.0.1", acceptor.local_endpoint().port()}; }
    asio::ip::tcp::acceptor acceptor;
    asio::ip::tcp::socket peer;
};

bool has_line(const std::vector<TranscriptLine>& t, char dir, std::string_view prefix) {
    for (const auto& l : t)
        if (l.dir == dir && l.text.rfind(prefix, 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("client against smtp-sink", "[smtpclient][integration]") {
    test::require_program("/usr/sbin/smtp-sink", "postfix");

    SECTION("plain sink delivers, pipelined") {
        Sink sink;
        Run run = run_real(sink.remote());
        REQUIRE(run.status.ok);
        CHECK(run.caps.pipelining);
        REQUIRE(run.outcomes.size() == 2);
        for (const auto& o : run.outcomes) {
            CHECK(o.delivered());
            CHECK(o.reply->code == 250);
            CHECK(o.remote.port == sink.port());
        }
        CHECK(has_line(run.transcript, 'C', "QUIT"));
        CHECK(has_line(run.transcript, 'S', "221"));
    }
    SECTION("plain sink delivers, one command at a time") {
        Sink sink;
        ClientConfig config;
        config.use_pipelining = false;
        Run run = run_real(sink.remote(), config);
        REQUIRE(run.outcomes.size() == 2);
        CHECK(run.outcomes[0].delivered());
        CHECK(run.outcomes[1].delivered());
    }
    SECTION("553 malformed address at MAIL FROM, the 2009 incident") {
        Sink sink({"-f", "MAIL", "-B", "553 malformed address"});
        Run run = run_real(sink.remote());
        REQUIRE(run.status.ok);
        REQUIRE(run.outcomes.size() == 2);
        for (const auto& o : run.outcomes) {
            CHECK(o.stage == Stage::Mail);
            REQUIRE(o.reply);
            CHECK(o.reply->code == 553);
            CHECK(o.reply->text() == "malformed address");
            CHECK(o.permanent());
        }
        CHECK(has_line(run.transcript, 'C', "MAIL FROM:<q.@docomo.ne.jp>"));
    }
    SECTION("4xx at RCPT") {
        Sink sink({"-r", "RCPT"});
        Run run = run_real(sink.remote());
        REQUIRE(run.outcomes.size() == 2);
        for (const auto& o : run.outcomes) {
            CHECK(o.stage == Stage::Rcpt);
            REQUIRE(o.reply);
            CHECK(o.reply->transient());
        }
    }
    SECTION("disconnect after DATA") {
        Sink sink({"-q", "DATA"});
        Run run = run_real(sink.remote());
        REQUIRE(run.outcomes.size() == 2);
        for (const auto& o : run.outcomes) {
            CHECK(o.stage == Stage::Data);
            CHECK(o.net == NetError::Closed);
            CHECK_FALSE(o.delivered());
        }
    }
    SECTION("two transactions on one session") {
        Sink sink;
        asio::io_context io;
        RealClock clock;
        Client client(io.get_executor(), clock, ClientConfig{});
        std::vector<RecipientOutcome> first, second;
        bool usable_between = false, done = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            co_await client.open(sink.remote());
            first = co_await client.send(handset_message());
            usable_between = client.usable();
            second = co_await client.send(handset_message("\"p..q.\"@docomo.ne.jp"));
            co_await client.quit();
            done = true;
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        io.run_for(20s);
        REQUIRE(done);
        CHECK(usable_between);
        REQUIRE(second.size() == 2);
        CHECK(first[0].delivered());
        CHECK(second[1].delivered());
        CHECK_FALSE(client.usable());
    }
}

TEST_CASE("client connection failures", "[smtpclient][integration]") {
    SECTION("a closed port is ConnectRefused at Connect") {
        unsigned short port = test::free_port();
        Run run = run_real(Remote{"closed.test", "127.0.0.1", port});
        CHECK_FALSE(run.status.ok);
        CHECK(run.status.stage == Stage::Connect);
        CHECK(run.status.net == NetError::ConnectRefused);
        REQUIRE(run.outcomes.size() == 2);
        CHECK(run.outcomes[0].stage == Stage::Connect);
        CHECK(run.outcomes[0].net == NetError::ConnectRefused);
    }
    SECTION("a silent server times out at Greeting within the deadline (real time)") {
        asio::io_context io;
        SilentListener silent(io);
        RealClock clock;
        ClientConfig config;
        config.greeting_timeout = 300ms;
        Client client(io.get_executor(), clock, config);
        Run run;
        auto started = std::chrono::steady_clock::now();
        asio::co_spawn(io, session(client, silent.remote(), handset_message(), run),
                       [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        while (!run.done && std::chrono::steady_clock::now() - started < 10s) io.run_one_for(100ms);
        auto took = std::chrono::steady_clock::now() - started;
        REQUIRE(run.done);
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Timeout);
        CHECK(run.outcomes[0].stage == Stage::Greeting);
        CHECK(run.outcomes[0].net == NetError::Timeout);
        CHECK(took >= 290ms);
        CHECK(took < 3s);
    }
    SECTION("a silent server times out at Greeting on virtual time, exactly at the deadline") {
        asio::io_context io;
        SilentListener silent(io);
        const TimePoint start = TimePoint{} + 1000s;
        VirtualClock clock(start);
        ClientConfig config;  // greeting timeout: RFC 5321's 5 minutes
        Client client(io.get_executor(), clock, config);
        Run run;
        asio::co_spawn(io, session(client, silent.remote(), handset_message(), run),
                       [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        // Let the loopback connect finish: the world is quiet once only the greeting deadline waits.
        auto wall = std::chrono::steady_clock::now();
        while (clock.next_deadline() != start + config.greeting_timeout &&
               std::chrono::steady_clock::now() - wall < 5s) {
            if (io.poll() == 0) std::this_thread::sleep_for(1ms);
        }
        REQUIRE(clock.next_deadline() == start + config.greeting_timeout);
        REQUIRE(clock.advance());
        for (int i = 0; i < 1000 && !run.done; ++i)
            if (io.poll() == 0) std::this_thread::sleep_for(1ms);
        REQUIRE(run.done);
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Timeout);
        CHECK(clock.now() - start == config.greeting_timeout);
        CHECK(run.transcript.back().at == start + config.greeting_timeout);
    }
}
