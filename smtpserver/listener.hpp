// The thin Asio driver for ServerSession: accepts on ip:port, one coroutine per connection, carries
// out the session's actions. Read deadlines and policy delays run on relaylab::Timer over the
// caller's Clock, so a scripted "delay 10m" costs nothing in virtual time.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "smtpserver/policy.hpp"
#include "smtpserver/session.hpp"
#include "tls/context.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace relaylab::smtp {

// Bytes read from the socket per feed; the session's own buffer adds at most one command line.
inline constexpr std::size_t server_read_chunk = 16 * 1024;

struct ConnectionInfo {
    std::uint64_t index = 0;  // 0-based, in accept order
    std::string peer_ip;
    unsigned short peer_port = 0;
};

using PolicyFactory = std::function<std::unique_ptr<ServerPolicy>(const ConnectionInfo&)>;
// Carries out NextStep::Commit: makes the policy's token durable; true when it is. It may take its
// time (an fdatasync), on or off the executor; the session waits for it.
using Committer = std::function<boost::asio::awaitable<bool>(std::uint64_t token)>;

class Listener {
public:
    // Binds and listens at once (port 0: an ephemeral port); throws boost::system::system_error when
    // the address cannot be bound. `clock` must outlive every connection.
    Listener(boost::asio::any_io_executor ex, Clock& clock, const std::string& ip, unsigned short port,
             ServerConfig config, PolicyFactory policies, Committer committer = {});
    // With STARTTLS: `tls` holds the certificate and key the handshakes present (config.tls says
    // whether STARTTLS is offered or required).
    Listener(boost::asio::any_io_executor ex, Clock& clock, const std::string& ip, unsigned short port,
             ServerConfig config, PolicyFactory policies, Committer committer,
             std::shared_ptr<boost::asio::ssl::context> tls);
    ~Listener();  // stops
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    unsigned short port() const;
    const std::string& ip() const;
    // Closes the acceptor and every open connection (their policies see CloseReason::Stopped).
    // Safe from any thread; takes effect on the executor.
    void stop();
    // Closes the acceptor only: open connections go on to their natural end (a drain). Safe from
    // any thread; takes effect on the executor.
    void stop_accepting();
    // Connections accepted and not yet closed. Read on the executor.
    std::size_t open_connections() const;

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace relaylab::smtp
