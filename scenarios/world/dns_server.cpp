#include "scenarios/world/dns_server.hpp"

#include "clock/duration.hpp"
#include "clock/timer.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <map>

namespace relaylab::world {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

template <typename Endpoint>
std::string endpoint_text(const Endpoint& e) {
    auto a = e.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

class TcpConnection;

}  // namespace

struct DnsServer::State : std::enable_shared_from_this<DnsServer::State> {
    State(asio::any_io_executor e, Clock& c, DnsZone z, DnsServerLimits l, TimePoint s)
        : ex(e), clock(c), zone(std::move(z)), limits(l), start(s), udp_socket(e), acceptor(e),
          udp_buffer(l.max_query_octets) {}

    asio::any_io_executor ex;
    Clock& clock;
    DnsZone zone;
    DnsServerLimits limits;
    TimePoint start;
    udp::socket udp_socket;
    tcp::acceptor acceptor;
    std::vector<std::uint8_t> udp_buffer;
    udp::endpoint udp_peer;
    udp::endpoint bound;
    bool stopped = false;
    std::vector<DnsQueryRecord> log;
    std::size_t not_logged = 0;
    std::function<void(const DnsQueryRecord&)> observer;
    std::uint64_t next_connection = 0;
    std::map<std::uint64_t, std::weak_ptr<TcpConnection>> connections;

    void bind(const udp::endpoint& listen);
    DnsReply handle(std::span<const std::uint8_t> message, DnsTransport transport, std::string client);
    void receive_udp();
    void accept_tcp();
    void stop();
};

namespace {

// One TCP client: queries with a two-octet length prefix (RFC 1035 §4.2.2), answered in order;
// several per connection (RFC 7766 §6.2.1). Closed when idle past the limit.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
public:
    TcpConnection(std::shared_ptr<DnsServer::State> s, tcp::socket sock, std::uint64_t id)
        : server_(std::move(s)), socket_(std::move(sock)), idle_(server_->ex, server_->clock), id_(id) {
        error_code ec;
        auto peer = socket_.remote_endpoint(ec);
        client_ = ec ? "?" : endpoint_text(peer);
    }

    void start() {
        arm_idle();
        read_length();
    }

    void close() {
        error_code ignored;
        socket_.close(ignored);
        idle_.cancel();
        server_->connections.erase(id_);
    }

private:
    void arm_idle() {
        idle_.expires_after(server_->limits.tcp_idle_timeout);
        idle_.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec) self->close();
        });
    }

    void read_length() {
        asio::async_read(socket_, asio::buffer(length_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec || self->server_->stopped) return self->close();
            std::size_t n = std::size_t{self->length_[0]} << 8 | self->length_[1];
            if (n == 0 || n > self->server_->limits.max_query_octets) return self->close();
            self->query_.resize(n);
            self->read_query();
        });
    }

    void read_query() {
        asio::async_read(socket_, asio::buffer(query_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec || self->server_->stopped) return self->close();
            auto reply = self->server_->handle(self->query_, DnsTransport::Tcp, self->client_);
            if (!reply.bytes) {  // "drop": stay silent, keep listening
                self->arm_idle();
                return self->read_length();
            }
            auto& b = *reply.bytes;
            self->out_.assign({static_cast<std::uint8_t>(b.size() >> 8), static_cast<std::uint8_t>(b.size() & 0xFF)});
            self->out_.insert(self->out_.end(), b.begin(), b.end());
            self->write_reply();
        });
    }

    void write_reply() {
        asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](error_code ec, std::size_t) {
            if (ec || self->server_->stopped) return self->close();
            self->arm_idle();
            self->read_length();
        });
    }

    std::shared_ptr<DnsServer::State> server_;
    tcp::socket socket_;
    Timer idle_;
    std::uint64_t id_;
    std::string client_;
    std::array<std::uint8_t, 2> length_{};
    std::vector<std::uint8_t> query_;
    std::vector<std::uint8_t> out_;
};

}  // namespace

void DnsServer::State::bind(const udp::endpoint& listen) {
    const int attempts = listen.port() == 0 ? std::max(1, limits.port_attempts) : 1;
    for (int i = 0;; ++i) {
        error_code ec;
        udp_socket.open(listen.protocol());
        udp_socket.bind(listen);
        tcp::endpoint tcp_listen(listen.address(), udp_socket.local_endpoint().port());
        acceptor.open(tcp_listen.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(tcp_listen, ec);
        if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (!ec) break;
        // The UDP port was free but its TCP twin is taken: try another ephemeral port.
        udp_socket.close();
        acceptor.close();
        if (i + 1 >= attempts) throw boost::system::system_error(ec, "dns server tcp bind");
    }
    // Replies are sent at once; when the socket buffer is full the reply is lost, as with any
    // busy server, rather than blocking the loop.
    udp_socket.non_blocking(true);
    bound = udp_socket.local_endpoint();
}

DnsReply DnsServer::State::handle(std::span<const std::uint8_t> message, DnsTransport transport,
                                  std::string client) {
    auto now = clock.now();
    auto reply = zone.answer(message, now - start, transport);
    DnsQueryRecord r{now, transport, std::move(client), reply.name, reply.qtype, reply.behaviour,
                     reply.rcode, reply.truncated, reply.malformed};
    if (observer) observer(r);
    if (log.size() < limits.max_logged_queries) log.push_back(std::move(r));
    else ++not_logged;
    return reply;
}

void DnsServer::State::receive_udp() {
    udp_socket.async_receive_from(
        asio::buffer(udp_buffer), udp_peer, [self = shared_from_this()](error_code ec, std::size_t n) {
            if (self->stopped || ec == asio::error::operation_aborted) return;
            if (!ec) {
                auto reply = self->handle(std::span(self->udp_buffer.data(), n), DnsTransport::Udp,
                                          endpoint_text(self->udp_peer));
                error_code ignored;
                if (reply.bytes) self->udp_socket.send_to(asio::buffer(*reply.bytes), self->udp_peer, 0, ignored);
            }
            self->receive_udp();
        });
}

void DnsServer::State::accept_tcp() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket sock) {
        if (self->stopped || ec == asio::error::operation_aborted) return;
        if (!ec) {
            if (self->connections.size() >= self->limits.max_tcp_connections) {
                error_code ignored;
                sock.close(ignored);
            } else {
                auto id = self->next_connection++;
                auto c = std::make_shared<TcpConnection>(self, std::move(sock), id);
                self->connections.emplace(id, c);
                c->start();
            }
        }
        self->accept_tcp();
    });
}

void DnsServer::State::stop() {
    if (stopped) return;
    stopped = true;
    error_code ignored;
    udp_socket.close(ignored);
    acceptor.close(ignored);
    auto open = std::move(connections);
    connections.clear();
    for (auto& [id, weak] : open)
        if (auto c = weak.lock()) c->close();
}

DnsServer::DnsServer(asio::any_io_executor ex, Clock& clock, DnsZone zone, const udp::endpoint& listen,
                     DnsServerLimits limits, std::optional<TimePoint> start)
    : state_(std::make_shared<State>(ex, clock, std::move(zone), limits, start.value_or(clock.now()))) {
    state_->bind(listen);
    state_->receive_udp();
    state_->accept_tcp();
}

DnsServer::~DnsServer() { state_->stop(); }

unsigned short DnsServer::port() const { return state_->bound.port(); }

asio::ip::address DnsServer::address() const { return state_->bound.address(); }

TimePoint DnsServer::start() const { return state_->start; }

void DnsServer::stop() { state_->stop(); }

const std::vector<DnsQueryRecord>& DnsServer::query_log() const { return state_->log; }

std::size_t DnsServer::queries_not_logged() const { return state_->not_logged; }

void DnsServer::on_query(std::function<void(const DnsQueryRecord&)> observer) {
    state_->observer = std::move(observer);
}

std::string to_string(const DnsQueryRecord& r) {
    std::string s = format_time(r.at);
    s += ' ';
    s += to_string(r.transport);
    s += ' ' + r.client + ' ';
    s += r.malformed ? "-" : (r.name.empty() ? "." : r.name);
    s += ' ';
    s += r.malformed ? "-" : type_name(r.qtype);
    s += ' ';
    s += to_string(r.behaviour);
    s += ' ';
    s += r.rcode ? std::string(to_string(*r.rcode)) : std::string("no-reply");
    if (r.truncated) s += " TC";
    if (r.malformed) s += " malformed=" + std::string(to_string(*r.malformed));
    return s;
}

}  // namespace relaylab::world
