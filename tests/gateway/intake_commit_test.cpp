// Intake's Commit step over a real loopback socket: the 250 to the handset leaves only once the
// queue reports the message durable; a failed commit answers 451 4.3.0 and the daemon goes on
// serving (before, a failed fdatasync threw out of the event loop and ended `serve`).
#include "intake/intake.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include <array>

using namespace relaylab;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The queue's front door as a test controls it: accepts every message with a commit sequence and
// makes it durable, or not, as told. (The relay's own Submission is tested with a real spool in
// tests/spool; a failing fdatasync cannot be provoked there.)
struct ControlledQueue final : gw::Submission {
    bool durable = true;
    bool writable = true;  // false: the message record cannot be written (accept fails)
    int sync_errno = 5;    // EIO
    std::vector<std::uint64_t> commits;
    gw::MessageId next_id = 1;
    gw::Acceptance accept(gw::Envelope, std::string) override {
        if (!writable) return Failure{gw::SpoolError{gw::SpoolErrorKind::Write, 28 /* ENOSPC */, "spool/queue.log"}};
        gw::Accepted a;
        a.id = next_id++;
        a.commit = 100 + a.id;
        return a;
    }
    asio::awaitable<std::optional<gw::SpoolError>> commit(std::uint64_t sequence) override {
        commits.push_back(sequence);
        if (durable) co_return std::nullopt;
        co_return gw::SpoolError{gw::SpoolErrorKind::DataSync, sync_errno, "spool/queue.log"};
    }
    Duration commit_window() const override { return 1ms; }
};

const std::string message = "EHLO phone\r\nMAIL FROM:<a@docomo.ne.jp>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\n"
                            "Subject: hi\r\n\r\nhello\r\n.\r\n";

// Sends `bytes`, then QUIT, and reads until the server closes.
asio::awaitable<std::string> handset(unsigned short port, std::string bytes) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket s(ex);
    boost::system::error_code ec;
    co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    bytes += "QUIT\r\n";
    co_await asio::async_write(s, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    std::string got;
    std::array<char, 1024> buf;
    while (!ec) {
        std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        got.append(buf.data(), n);
    }
    co_return got;
}

std::string exchange(asio::io_context& io, unsigned short port, const std::string& bytes) {
    std::optional<std::string> got;
    relaylab::spawn(io.get_executor(), handset(port, bytes), [&](std::string s) { got = std::move(s); });
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!got && std::chrono::steady_clock::now() < until) io.run_one_for(100ms);
    return got.value_or("(no answer within 10 s)");
}

}  // namespace

TEST_CASE("intake: the 250 waits for the commit, a failed commit answers 451 4.3.0, and intake goes on",
          "[intake][commit][integration]") {
    asio::io_context io;
    RealClock clock;
    ControlledQueue queue;
    gw::Intake intake(io.get_executor(), clock, queue, gw::IntakeSettings{}, "127.0.0.1", 0);

    std::string ok = exchange(io, intake.port(), message);
    CHECK(ok.find("250 2.0.0 Ok: queued as 1\r\n") != std::string::npos);
    CHECK(queue.commits == std::vector<std::uint64_t>{101});

    queue.durable = false;
    std::string failed = exchange(io, intake.port(), message);
    CHECK(failed.find("451 4.3.0 Error: queue file write error\r\n") != std::string::npos);
    CHECK(failed.find("queued as 2") == std::string::npos);
    CHECK(failed.find("221 2.0.0 Bye\r\n") != std::string::npos);  // the session ended normally
    CHECK(queue.commits == std::vector<std::uint64_t>{101, 102});

    queue.durable = true;  // the daemon still serves: the handset's retry is queued
    CHECK(exchange(io, intake.port(), message).find("250 2.0.0 Ok: queued as 3\r\n") != std::string::npos);
}

TEST_CASE("intake: a spool failure that answers 451 is logged with its cause, in Postfix's words",
          "[intake][commit][integration]") {
    asio::io_context io;
    RealClock clock;
    ControlledQueue queue;
    std::vector<std::string> warnings;
    gw::Intake intake(io.get_executor(), clock, queue, gw::IntakeSettings{}, "127.0.0.1", 0,
                      [&](const std::string& line) { warnings.push_back(line); });

    SECTION("a commit whose fdatasync fails") {
        queue.durable = false;
        queue.sync_errno = 28;  // ENOSPC
        CHECK(exchange(io, intake.port(), message).find("451 4.3.0") != std::string::npos);
        CHECK(warnings == std::vector<std::string>{
                              "warning: queue file write error: fdatasync spool/queue.log: No space left on device"});
    }
    SECTION("a message record that cannot be written") {
        queue.writable = false;
        CHECK(exchange(io, intake.port(), message).find("451 4.3.0") != std::string::npos);
        CHECK(warnings ==
              std::vector<std::string>{"warning: queue file write error: write spool/queue.log: No space left on device"});
    }
    SECTION("a message queued and made durable is not warned about") {
        CHECK(exchange(io, intake.port(), message).find("250 2.0.0 Ok: queued as 1") != std::string::npos);
        CHECK(warnings.empty());
    }
}
