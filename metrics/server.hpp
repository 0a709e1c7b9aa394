// The metrics endpoint's socket side: an HTTP/1.1 server (Boost.Beast) on the caller's executor
// that answers each connection's one request with metrics::answer() and closes it. Bounded: the
// request header's size, the connections open at once, and a deadline per connection on the
// caller's Clock. Loopback only unless the caller allows other addresses explicitly.
#pragma once

#include "clock/clock.hpp"
#include "metrics/registry.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace relaylab::metrics {

struct ServerLimits {
    std::size_t max_request_bytes = 8 * 1024;            // request line + headers; a body is refused
    std::size_t max_connections = 16;                    // more are closed at once
    Duration deadline = std::chrono::seconds(10);        // read the request and write the answer
};

class ServerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Server {
public:
    // Binds and listens at once (port 0: an ephemeral port). Throws ServerError when `ip` is not a
    // numeric address, or is not loopback and `allow_remote` is false (metrics say what the relay
    // carries: they are not for every network); boost::system::system_error when it cannot bind.
    Server(boost::asio::any_io_executor ex, Clock& clock, Registry& registry, const std::string& ip,
           unsigned short port, bool allow_remote = false, ServerLimits limits = {});
    ~Server();  // stops
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    unsigned short port() const;
    // Closes the acceptor and every open connection. Takes effect on the executor.
    void stop();
    // Requests answered (any status), and connections closed unanswered (too many at once, a
    // malformed or oversized request, a deadline).
    std::uint64_t answered() const;
    std::uint64_t dropped() const;

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace relaylab::metrics
