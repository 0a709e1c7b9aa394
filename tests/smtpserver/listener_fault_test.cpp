// The listener (the Asio driver of the server core) when a client hangs up after every prefix of a
// dialogue: no crash, every session closed, and the next connection served in full.
#include "smtpserver/listener.hpp"

#include "asio/awaitable.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <memory>

using namespace relaylab;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Counts {
    std::size_t opened = 0, closed = 0, messages = 0;
};

struct CountingPolicy : smtp::ServerPolicy {
    explicit CountingPolicy(Counts& c) : counts(c) { ++counts.opened; }
    smtp::Decision on_message(const smtp::Envelope&, std::string_view) override {
        ++counts.messages;
        return {};
    }
    void on_closed(smtp::CloseReason) override { ++counts.closed; }
    Counts& counts;
};

const std::string dialogue = "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nhi\r\n..\r\n.\r\nQUIT\r\n";

// Sends `bytes`, then hangs up: closes at once (`abrupt`: unread replies make it a reset), or
// shuts down its sending side and reads until the server closes.
asio::awaitable<std::string> client(unsigned short port, std::string bytes, bool abrupt) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket s(ex);
    boost::system::error_code ec;
    co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    if (!bytes.empty()) co_await asio::async_write(s, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    std::string got;
    if (!abrupt) {
        s.shutdown(tcp::socket::shutdown_send, ec);
        std::array<char, 1024> buf;
        while (true) {
            std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
            got.append(buf.data(), n);
            if (ec) break;
        }
    }
    s.close(ec);
    co_return got;
}

}  // namespace

TEST_CASE("listener: a client hanging up after every prefix of a dialogue leaves the server serving",
          "[smtpserver][listener][integration]") {
    asio::io_context io;
    RealClock clock;
    Counts counts;
    smtp::ServerConfig config;
    config.hostname = "mx.test";
    config.idle_timeout = 10s;
    smtp::Listener listener(io.get_executor(), clock, "127.0.0.1", 0, config,
                            [&](const smtp::ConnectionInfo&) { return std::make_unique<CountingPolicy>(counts); });
    auto run_until = [&](auto done) {
        auto until = std::chrono::steady_clock::now() + 5s;
        while (!done() && std::chrono::steady_clock::now() < until) io.run_one_for(100ms);
        return done();
    };
    std::size_t sessions = 0;
    for (bool abrupt : {false, true}) {
        for (std::size_t k = 0; k < dialogue.size(); ++k) {
            INFO((abrupt ? "closed" : "shut down") << " after " << k << " bytes");
            bool finished = false;
            asio::co_spawn(io, client(listener.port(), dialogue.substr(0, k), abrupt), [&](std::exception_ptr e, std::string) {
                if (e) std::rethrow_exception(e);
                finished = true;
            });
            ++sessions;
            REQUIRE(run_until([&] { return finished && counts.closed == sessions; }));
            CHECK(counts.opened == sessions);
            CHECK(listener.open_connections() == 0);
        }
        if (!abrupt) {
            // Only the prefixes that include the final dot delivered a message.
            std::size_t with_dot = dialogue.size() - (dialogue.find("\r\n.\r\n") + 5);
            CHECK(counts.messages == with_dot);
        }
    }
    // And the next client gets the whole dialogue answered.
    std::optional<std::string> got;
    asio::co_spawn(io, client(listener.port(), dialogue, false), [&](std::exception_ptr e, std::string s) {
        if (e) std::rethrow_exception(e);
        got = std::move(s);
    });
    REQUIRE(run_until([&] { return got.has_value(); }));
    CHECK(got->rfind("220 ", 0) == 0);
    CHECK(got->find("250 2.0.0 Ok: queued\r\n") != std::string::npos);
    CHECK(got->size() >= 8);
    CHECK(got->substr(got->size() - 15) == "221 2.0.0 Bye\r\n");
    listener.stop();
    io.run_for(200ms);
}
