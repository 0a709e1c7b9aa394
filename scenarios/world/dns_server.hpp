// The scripted world's DNS server: a DnsZone on a real loopback UDP socket and TCP listener on the
// same address and port. A thin Asio driver: the zone decides every answer; time comes from the
// caller's Clock (schedules are relative to the server's start).
#pragma once

#include "clock/clock.hpp"
#include "scenarios/world/dns_zone.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::world {

struct DnsServerLimits {
    // Queries are small; anything longer is cut (UDP) or closes the connection (TCP).
    std::size_t max_query_octets = 4096;
    std::size_t max_tcp_connections = 64;
    // RFC 7766 §6.2.3: a server closes idle TCP connections; a few seconds is usual.
    Duration tcp_idle_timeout = std::chrono::seconds(10);
    // The query log keeps this many entries; later queries are counted, not kept.
    std::size_t max_logged_queries = 100000;
    // Attempts to find a port free for both UDP and TCP when asked for port 0.
    int port_attempts = 16;
};

// One query as the scenario report shows it.
struct DnsQueryRecord {
    TimePoint at;
    DnsTransport transport = DnsTransport::Udp;
    std::string client;       // "127.0.0.1:40000"
    std::string name;         // DomainName::key form
    std::uint16_t qtype = 0;
    DnsBehaviour behaviour = DnsBehaviour::Answer;
    std::optional<Rcode> rcode;  // absent when nothing was sent
    bool truncated = false;
    std::optional<QueryError> malformed;
};
// One line: "2009-06-01T10:00:00.000Z udp 127.0.0.1:40000 isp.example MX answer NOERROR".
std::string to_string(const DnsQueryRecord& r);

class DnsServer {
public:
    // Binds at once (throws boost::system::system_error when the address is taken). Port 0 picks
    // a port free for both UDP and TCP. `start` defaults to clock.now().
    DnsServer(boost::asio::any_io_executor ex, Clock& clock, DnsZone zone,
              const boost::asio::ip::udp::endpoint& listen, DnsServerLimits limits = {},
              std::optional<TimePoint> start = std::nullopt);
    ~DnsServer();
    DnsServer(const DnsServer&) = delete;
    DnsServer& operator=(const DnsServer&) = delete;

    unsigned short port() const;
    boost::asio::ip::address address() const;
    TimePoint start() const;
    // Closes the sockets and every TCP connection; pending handlers complete as aborted.
    void stop();

    // Not thread-safe: read from the thread that runs the executor (or after it stopped).
    const std::vector<DnsQueryRecord>& query_log() const;
    std::size_t queries_not_logged() const;
    // Called for each query as it is answered (e.g. to print it).
    void on_query(std::function<void(const DnsQueryRecord&)> observer);

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace relaylab::world
