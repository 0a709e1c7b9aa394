// The Beast endpoint over real loopback sockets: what a scraper gets, and what a client that
// sends too much, too little or nonsense gets. The server runs on its own thread's io_context.
#include "clock/clock.hpp"
#include "metrics/registry.hpp"
#include "metrics/server.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

using namespace relaylab;
using namespace relaylab::metrics;

using relaylab::test::connect_loopback;

namespace {

// A client socket connected to 127.0.0.1:port, reads time out after 5 s.
struct Client {
    explicit Client(unsigned short port) {
        fd = connect_loopback(port, std::chrono::seconds(5));
        REQUIRE(fd >= 0);
    }
    ~Client() { ::close(fd); }
    void send(const std::string& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return;  // the server may close early: what it answered is checked by the caller
            done += static_cast<std::size_t>(n);
        }
    }
    // Everything until the server closes (or the 5 s receive timeout: then `timed_out`).
    std::string read_all() {
        std::string out;
        char buf[4096];
        for (;;) {
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                timed_out = true;
                break;
            }
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
    int fd = -1;
    bool timed_out = false;
};

// A server on an ephemeral loopback port, its io_context on a thread of its own.
struct Running {
    explicit Running(ServerLimits limits = {}) {
        registry.counter("hits_total", "H").add({}, 3);
        std::promise<unsigned short> bound;
        thread = std::thread([&, limits] {
            server.emplace(io.get_executor(), clock, registry, "127.0.0.1", 0, false, limits);
            bound.set_value(server->port());
            io.run();
            server.reset();
        });
        port = bound.get_future().get();
    }
    ~Running() {
        work.reset();
        io.stop();
        thread.join();
    }
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
    RealClock clock;
    Registry registry;
    std::optional<Server> server;
    unsigned short port = 0;
    std::thread thread;
};

}  // namespace

TEST_CASE("a scrape: GET /metrics answers 200 with the exposition and closes", "[metrics][server]") {
    Running s;
    Client c(s.port);
    c.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n");
    auto res = c.read_all();
    CHECK_FALSE(c.timed_out);
    CHECK(res.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(res.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
    CHECK(res.find("Connection: close\r\n") != std::string::npos);
    CHECK(res.ends_with("\r\n\r\n# HELP hits_total H\n# TYPE hits_total counter\nhits_total 3\n"));
}

TEST_CASE("HEAD gets the length and no body, POST gets 405, another path 404", "[metrics][server]") {
    Running s;
    {
        Client c(s.port);
        c.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        auto res = c.read_all();
        CHECK(res.starts_with("HTTP/1.1 200 OK\r\n"));
        CHECK(res.find("Content-Length: 59\r\n") != std::string::npos);
        CHECK(res.ends_with("\r\n\r\n"));
    }
    {
        Client c(s.port);
        c.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        auto res = c.read_all();
        CHECK(res.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        CHECK(res.find("Allow: GET, HEAD\r\n") != std::string::npos);
    }
    {
        Client c(s.port);
        c.send("GET /admin HTTP/1.0\r\n\r\n");
        CHECK(c.read_all().starts_with("HTTP/1.0 404 Not Found\r\n"));
    }
}

TEST_CASE("bad requests: nonsense and an oversized header get 400, a body is refused", "[metrics][server]") {
    ServerLimits limits;
    limits.max_request_bytes = 1024;
    Running s(limits);
    {
        Client c(s.port);
        c.send("HELLO\r\n\r\n");
        CHECK(c.read_all().starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
    {
        Client c(s.port);
        c.send("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
        auto res = c.read_all();
        CHECK_FALSE(c.timed_out);
        CHECK((res.empty() || res.starts_with("HTTP/1.1 400 Bad Request\r\n")));
        CHECK(res.find("hits_total") == std::string::npos);
    }
    {
        Client c(s.port);
        c.send("GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        auto res = c.read_all();
        CHECK(res.find("hits_total") == std::string::npos);
    }
    // The server is still there.
    Client c(s.port);
    c.send("GET /metrics HTTP/1.1\r\n\r\n");
    CHECK(c.read_all().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("a silent client is cut off at the deadline, and connections beyond the limit are closed at once",
          "[metrics][server]") {
    ServerLimits limits;
    limits.deadline = std::chrono::milliseconds(300);
    limits.max_connections = 2;
    Running s(limits);
    auto t0 = std::chrono::steady_clock::now();
    Client a(s.port), b(s.port);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both accepted
    Client third(s.port);
    CHECK(third.read_all().empty());  // closed at once, not at the deadline
    CHECK_FALSE(third.timed_out);
    auto t_third = std::chrono::steady_clock::now();
    CHECK(a.read_all().empty());  // nothing was asked: closed at the deadline, no answer
    CHECK_FALSE(a.timed_out);
    auto t_a = std::chrono::steady_clock::now();
    CHECK(t_a - t0 >= limits.deadline);  // the deadline starts after t0, and a timer is never early
    CHECK(t_third < t_a);
    b.read_all();
    // Room again.
    Client c(s.port);
    c.send("GET /metrics HTTP/1.1\r\n\r\n");
    CHECK(c.read_all().starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("only loopback unless allowed, a name is not an address", "[metrics][server]") {
    boost::asio::io_context io;
    RealClock clock;
    Registry r;
    CHECK_THROWS_AS(Server(io.get_executor(), clock, r, "192.0.2.1", 0), ServerError);
    CHECK_THROWS_AS(Server(io.get_executor(), clock, r, "0.0.0.0", 0), ServerError);
    CHECK_THROWS_AS(Server(io.get_executor(), clock, r, "localhost", 0), ServerError);
    CHECK_NOTHROW(Server(io.get_executor(), clock, r, "127.0.0.2", 0));
}
