// Test support for hostile peers: a raw TCP endpoint on loopback that sends exactly the bytes a test
// scripts (no SMTP library in between), on the test's VirtualClock, and a way to measure how much a
// piece of code grows the process's memory.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "clock/timer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace relaylab::test {

namespace hasio = boost::asio;
using hasio::ip::tcp;

// One side of a connection, driven by a test's script. Every call ends on error instead of throwing.
struct RawPeer {
    RawPeer(tcp::socket s, Clock& c) : socket(std::move(s)), clock(c) {
        // Without it, Nagle holds a dripped byte back until the previous one is acknowledged, and a
        // virtual clock can jump minutes ahead in that real-time instant.
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
    }
    // The peer's own read buffer is bounded: a test peer must not be the thing that grows.
    static constexpr std::size_t max_line = 64 * 1024;

    tcp::socket socket;
    Clock& clock;
    std::string in;
    std::size_t received = 0;  // bytes read so far
    bool broken = false;       // a read or write failed (the other side closed or reset)

    hasio::awaitable<bool> say(std::string_view bytes) {
        boost::system::error_code ec;
        co_await hasio::async_write(socket, hasio::buffer(bytes.data(), bytes.size()),
                                    hasio::redirect_error(hasio::use_awaitable, ec));
        if (ec) broken = true;
        co_return !ec;
    }
    // One line up to and including '\n'; nullopt when the connection ends first.
    hasio::awaitable<std::optional<std::string>> hear() {
        for (;;) {
            auto lf = in.find('\n');
            if (lf != std::string::npos) {
                std::string line = in.substr(0, lf + 1);
                in.erase(0, lf + 1);
                co_return line;
            }
            if (in.size() > max_line) in.clear();
            bool more = co_await read_some();
            if (!more) co_return std::nullopt;
        }
    }
    // Reads until `marker` has been seen (the end of a DATA body, say); false when the connection ends.
    hasio::awaitable<bool> hear_until(std::string_view marker) {
        for (;;) {
            auto at = in.find(marker);
            if (at != std::string::npos) {
                in.erase(0, at + marker.size());
                co_return true;
            }
            if (in.size() > max_line) in.erase(0, in.size() - marker.size());
            bool more = co_await read_some();
            if (!more) co_return false;
        }
    }
    // Reads and discards until the other side closes.
    hasio::awaitable<void> drain() {
        for (;;) {
            bool more = co_await read_some();
            if (!more) co_return;
            in.clear();
        }
    }
    hasio::awaitable<bool> read_some() {
        char buf[4096];
        boost::system::error_code ec;
        std::size_t n = co_await socket.async_read_some(hasio::buffer(buf), hasio::redirect_error(hasio::use_awaitable, ec));
        if (ec) {
            broken = true;
            co_return false;
        }
        received += n;
        in.append(buf, n);
        co_return true;
    }
    hasio::awaitable<void> pause(Duration d) {
        Timer t(socket.get_executor(), clock);
        t.expires_after(d);
        boost::system::error_code ec;
        co_await t.async_wait(hasio::redirect_error(hasio::use_awaitable, ec));
    }
    // An abortive close: SO_LINGER 0 makes the kernel send RST instead of FIN.
    void reset() {
        boost::system::error_code ignored;
        socket.set_option(tcp::socket::linger(true, 0), ignored);
        socket.close(ignored);
    }
    // A half-close: FIN for our direction, the other direction stays open.
    void half_close() {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
};

using PeerScript = std::function<hasio::awaitable<void>(RawPeer&)>;

// A listener on 127.0.0.1 that runs `script` on the first connection it accepts.
class HostileListener {
public:
    HostileListener(hasio::io_context& io, Clock& clock, PeerScript script)
        : acceptor_(io, tcp::endpoint(hasio::ip::make_address("127.0.0.1"), 0)), clock_(clock),
          script_(std::move(script)) {
        hasio::co_spawn(io, accept_one(), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    bool finished() const { return finished_; }
    const std::optional<RawPeer>& peer() const { return peer_; }
    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        if (peer_) peer_->socket.close(ignored);
    }

private:
    hasio::awaitable<void> accept_one() {
        boost::system::error_code ec;
        tcp::socket s = co_await acceptor_.async_accept(hasio::redirect_error(hasio::use_awaitable, ec));
        if (ec) co_return;
        peer_.emplace(std::move(s), clock_);
        co_await script_(*peer_);
        finished_ = true;
    }

    tcp::acceptor acceptor_;
    Clock& clock_;
    PeerScript script_;
    std::optional<RawPeer> peer_;
    bool finished_ = false;
};

// Resident-set figures of this process from /proc/self/status, in kB (0 when unreadable).
inline long proc_status_kb(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    return 0;
}

// How much the peak resident set grew while `run` ran, in kB; nullopt when the kernel does not let
// the peak be reset (writing 5 to /proc/self/clear_refs resets VmHWM, Linux >= 4.0).
inline std::optional<long> peak_growth_kb(const std::function<void()>& run) {
    long before = proc_status_kb("VmRSS");
    {
        std::ofstream reset("/proc/self/clear_refs");
        if (!reset || !(reset << "5") || !reset.flush()) {
            run();
            return std::nullopt;
        }
    }
    run();
    return proc_status_kb("VmHWM") - before;
}

}  // namespace relaylab::test
