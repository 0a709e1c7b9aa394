#include "smtpserver/listener.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"
#include "clock/timer.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <list>
#include <optional>

namespace relaylab::smtp {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Connection {
    Connection(tcp::socket s, Clock& clock) : socket(std::move(s)), timer(socket.get_executor(), clock) {}
    tcp::socket socket;
    Timer timer;
    bool timed_out = false;
    bool stopped = false;
    // Tells a deadline that fired just as its operation completed from the next operation's deadline.
    std::uint64_t deadline_generation = 0;
};

}  // namespace

struct Listener::Shared {
    Shared(asio::any_io_executor e, Clock& c) : ex(e), clock(c), acceptor(e) {}
    asio::any_io_executor ex;
    Clock& clock;
    tcp::acceptor acceptor;
    std::string ip;
    unsigned short port = 0;
    ServerConfig config;
    PolicyFactory policies;
    Committer committer;
    std::shared_ptr<asio::ssl::context> tls;
    std::uint64_t accepted = 0;
    std::size_t active = 0;  // connections whose serve() has not ended
    bool stopped = false;
    std::list<std::weak_ptr<Connection>> open;
};

namespace {

// Runs one socket operation under the connection's deadline: the timer's handler cancels the
// socket, so the operation ends with operation_aborted and `timed_out` tells why.
void arm_deadline(const std::shared_ptr<Connection>& c, Duration limit) {
    c->timed_out = false;
    std::uint64_t generation = ++c->deadline_generation;
    c->timer.expires_after(limit);
    c->timer.async_wait([c, generation](boost::system::error_code e) {
        if (!e && generation == c->deadline_generation) {
            c->timed_out = true;
            boost::system::error_code ignored;
            c->socket.cancel(ignored);
        }
    });
}

void disarm_deadline(const std::shared_ptr<Connection>& c) {
    ++c->deadline_generation;
    c->timer.cancel();
}

template <typename Op>
asio::awaitable<std::size_t> with_deadline(std::shared_ptr<Connection> c, Duration limit, Op op,
                                           boost::system::error_code& ec) {
    arm_deadline(c, limit);
    std::size_t n = co_await op(asio::redirect_error(asio::use_awaitable, ec));
    disarm_deadline(c);
    co_return n;
}

// Counts a connection as open from its accept until its serve() ends, however it ends.
struct OpenCount {
    explicit OpenCount(std::size_t& n) : n(n) { ++n; }
    ~OpenCount() { --n; }
    OpenCount(const OpenCount&) = delete;
    OpenCount& operator=(const OpenCount&) = delete;
    std::size_t& n;
};

asio::awaitable<void> serve(std::shared_ptr<Listener::Shared> s, std::shared_ptr<Connection> c,
                            ConnectionInfo info, std::shared_ptr<OpenCount> /*held until the session ends*/) {
    std::unique_ptr<ServerPolicy> policy = s->policies(info);
    ServerSession session(*policy, s->config);
    ServerActions actions = session.start();
    std::array<char, server_read_chunk> buf;
    std::optional<TimePoint> line_deadline;
    boost::system::error_code ec;
    std::unique_ptr<tls::Stream> tls;  // after STARTTLS: every read and write goes through it
    while (true) {
        if (!actions.write.empty()) {
            co_await with_deadline(
                c, s->config.idle_timeout,
                [&](auto token) {
                    return tls ? asio::async_write(*tls, asio::buffer(actions.write), token)
                               : asio::async_write(c->socket, asio::buffer(actions.write), token);
                },
                ec);
            if (ec) break;
        }
        if (actions.next == NextStep::Close) break;
        if (actions.next == NextStep::StartTls) {
            tls::PeerCheck check;  // clients are not asked for certificates: "Anonymous"
            bool ok = false;
            if (s->tls && !tls) {
                tls = std::make_unique<tls::Stream>(c->socket, *s->tls);
                arm_deadline(c, actions.duration);
                co_await tls->async_handshake(asio::ssl::stream_base::server,
                                              asio::redirect_error(asio::use_awaitable, ec));
                disarm_deadline(c);
                ok = !ec;
                if (c->stopped) break;
            }
            actions = session.tls_started(ok, ok ? tls::negotiated(*tls, check) : tls::Negotiated{});
            continue;
        }
        if (actions.next == NextStep::Wait) {
            c->timer.expires_after(actions.duration);
            co_await c->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec || c->stopped) break;
            actions = session.resume();
            continue;
        }
        if (actions.next == NextStep::Commit) {
            // No committer: nothing can be made durable, so nothing is claimed to be (451).
            bool durable = s->committer ? co_await s->committer(actions.commit) : false;
            if (c->stopped) break;
            actions = session.committed(durable);
            continue;
        }
        // A command line must be complete within the idle timeout of its first byte, however the
        // bytes trickle in; between lines each read gets the whole idle timeout.
        Duration limit = actions.duration;
        if (session.mid_command()) {
            if (!line_deadline) line_deadline = s->clock.now() + actions.duration;
            limit = std::max(Duration::zero(), std::min(limit, *line_deadline - s->clock.now()));
        } else {
            line_deadline.reset();
        }
        std::size_t n = co_await with_deadline(
            c, limit,
            [&](auto token) {
                return tls ? tls->async_read_some(asio::buffer(buf), token)
                           : c->socket.async_read_some(asio::buffer(buf), token);
            },
            ec);
        // Bytes that arrived count even if the deadline fired in the same instant.
        if (!ec) {
            std::string_view bytes(buf.data(), n);
            if (bytes.find('\n') != std::string_view::npos) line_deadline.reset();  // a line ended: the next one starts afresh
            actions = session.feed(bytes);
        }
        else if (c->timed_out && !c->stopped) actions = session.idle_timeout();
        else break;
    }
    if (!session.closed()) session.abort(c->stopped ? CloseReason::Stopped : CloseReason::PeerClosed);
    boost::system::error_code ignored;
    c->socket.shutdown(tcp::socket::shutdown_both, ignored);
    c->socket.close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<Listener::Shared> s) {
    while (!s->stopped) {
        boost::system::error_code ec;
        tcp::socket sock = co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (s->stopped || ec == asio::error::operation_aborted) co_return;
            continue;  // e.g. ECONNABORTED from a client that gave up; keep listening
        }
        ConnectionInfo info;
        info.index = s->accepted++;
        boost::system::error_code ignored;
        // Replies are small and each one is awaited: Nagle would hold a delayed reply back until
        // the previous one is acknowledged (and a virtual clock may jump ahead meanwhile).
        sock.set_option(tcp::no_delay(true), ignored);
        auto peer = sock.remote_endpoint(ignored);
        info.peer_ip = peer.address().to_string();
        info.peer_port = peer.port();
        auto conn = std::make_shared<Connection>(std::move(sock), s->clock);
        s->open.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
        s->open.push_back(conn);
        auto counted = std::make_shared<OpenCount>(s->active);
        relaylab::spawn(s->ex, serve(s, conn, std::move(info), std::move(counted)));
    }
}

}  // namespace

Listener::Listener(asio::any_io_executor ex, Clock& clock, const std::string& ip, unsigned short port,
                   ServerConfig config, PolicyFactory policies, Committer committer)
    : Listener(ex, clock, ip, port, std::move(config), std::move(policies), std::move(committer), nullptr) {}

Listener::Listener(asio::any_io_executor ex, Clock& clock, const std::string& ip, unsigned short port,
                   ServerConfig config, PolicyFactory policies, Committer committer,
                   std::shared_ptr<asio::ssl::context> tls)
    : shared_(std::make_shared<Shared>(ex, clock)) {
    shared_->tls = std::move(tls);
    shared_->config = std::move(config);
    shared_->policies = std::move(policies);
    shared_->committer = std::move(committer);
    tcp::endpoint ep(asio::ip::make_address(ip), port);
    shared_->acceptor.open(ep.protocol());
    shared_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    shared_->acceptor.bind(ep);
    shared_->acceptor.listen();
    shared_->ip = ip;
    shared_->port = shared_->acceptor.local_endpoint().port();
    relaylab::spawn(ex, accept_loop(shared_));
}

Listener::~Listener() { stop(); }

unsigned short Listener::port() const { return shared_->port; }
const std::string& Listener::ip() const { return shared_->ip; }

void Listener::stop_accepting() {
    asio::post(shared_->ex, [s = shared_] {
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
    });
}

std::size_t Listener::open_connections() const { return shared_->active; }

void Listener::stop() {
    asio::post(shared_->ex, [s = shared_] {
        if (s->stopped) return;
        s->stopped = true;
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
        for (auto& w : s->open) {
            if (auto c = w.lock()) {
                c->stopped = true;
                c->socket.cancel(ignored);
                c->timer.cancel();
            }
        }
        s->open.clear();
    });
}

}  // namespace relaylab::smtp
