#include "relay/control_socket.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"
#include "clock/timer.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <cerrno>
#include <list>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace relaylab::gw {

namespace asio = boost::asio;
using asio::local::stream_protocol;
namespace fs = std::filesystem;

ControlAnswer apply_control(Relay& relay, const ControlCommand& command) {
    QueueEdit edit = Failure{QueueEditError::NoSuchMessage};  // replaced: the switch lists every verb
    switch (command.verb) {
    case ControlVerb::RetryAll: edit = relay.admin().retry_all_now(); break;
    case ControlVerb::Retry: edit = relay.admin().retry_now(command.id); break;
    case ControlVerb::Delete: edit = relay.admin().remove(command.id); break;
    }
    ControlAnswer a;
    if (edit) {
        a.affected = *edit;
    } else {
        switch (edit.error()) {
        case QueueEditError::NoSuchMessage: a.error = ControlError::NoSuchMessage; break;
        case QueueEditError::InFlight: a.error = ControlError::InFlight; break;
        case QueueEditError::SpoolWrite: a.error = ControlError::SpoolWrite; break;
        }
    }
    return a;
}

std::string_view to_string(ControlClientError e) {
    switch (e) {
    case ControlClientError::Connect: return "cannot connect";
    case ControlClientError::Timeout: return "no answer in time";
    case ControlClientError::NoAnswer: return "closed without an answer";
    case ControlClientError::BadAnswer: return "answered something that is not an answer";
    }
    return "?";
}

namespace {

struct Connection {
    Connection(stream_protocol::socket s, Clock& clock) : socket(std::move(s)), timer(socket.get_executor(), clock) {}
    stream_protocol::socket socket;
    Timer timer;
    bool timed_out = false;
    bool stopped = false;
    // Tells a deadline that fired just as its operation completed from the next one's.
    std::uint64_t generation = 0;
};

// From here until disarm(), reaching `at` cancels the socket's pending operation (which then ends
// with operation_aborted, and `timed_out` says why).
void arm(const std::shared_ptr<Connection>& c, TimePoint at) {
    std::uint64_t g = ++c->generation;
    c->timed_out = false;
    c->timer.expires_at(at);
    c->timer.async_wait([c, g](boost::system::error_code e) {
        if (e || g != c->generation) return;
        c->timed_out = true;
        boost::system::error_code ignored;
        c->socket.cancel(ignored);
    });
}

void disarm(const std::shared_ptr<Connection>& c) {
    ++c->generation;
    c->timer.cancel();
}

void close(const std::shared_ptr<Connection>& c) {
    boost::system::error_code ignored;
    c->socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
    c->socket.close(ignored);
}

// The socket file's mode is one fence; the peer's credentials, taken by the kernel at connect(), are
// the other: a loosened mode (an operator's chmod) must not open the queue to every local user.
bool peer_permitted(int fd) {
    struct ::ucred cred{};
    ::socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return false;
    return cred.uid == 0 || cred.uid == ::geteuid();
}

// A one-line answer to a connection served by no coroutine: a short line into an empty socket buffer.
void answer_and_close(stream_protocol::socket& sock, ControlError e) {
    std::string line = format_control_answer(ControlAnswer{e, 0});
    boost::system::error_code ignored;
    sock.non_blocking(true, ignored);
    sock.write_some(asio::buffer(line), ignored);
    sock.close(ignored);
}

boost::system::system_error system_error_of(int e, const fs::path& p) {
    return boost::system::system_error(boost::system::error_code(e, boost::system::system_category()), p.string());
}

}  // namespace

struct ControlSocket::Shared {
    Shared(asio::any_io_executor e, Clock& c, Relay& r) : ex(e), clock(c), relay(r), acceptor(e) {}
    asio::any_io_executor ex;
    Clock& clock;
    Relay& relay;
    stream_protocol::acceptor acceptor;
    fs::path path;
    ::dev_t device = 0;  // identify the socket file this object made
    ::ino_t inode = 0;
    ControlLimits limits;
    Observer observer;
    bool stopped = false;
    std::size_t active = 0;
    std::list<std::weak_ptr<Connection>> open;
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<ControlSocket::Shared> s, std::shared_ptr<Connection> c) {
    ControlLineReader reader(s->limits.max_line_bytes);
    std::array<char, 512> buf;
    std::optional<ControlParse> parsed;
    boost::system::error_code ec;
    arm(c, s->clock.now() + s->limits.receive_timeout);
    while (!parsed) {
        std::size_t n = co_await c->socket.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) parsed = reader.feed(std::string_view(buf.data(), n));
        else if (c->stopped) break;
        else if (c->timed_out) parsed = ControlError::Timeout;
        else if (ec == asio::error::eof) parsed = reader.end_of_input();
        else break;
    }
    disarm(c);
    if (parsed && !c->stopped) {
        ControlAnswer answer;
        if (const auto* command = std::get_if<ControlCommand>(&*parsed)) {
            answer = apply_control(s->relay, *command);  // on the relay's loop: this coroutine runs there
            if (s->observer) s->observer(*command, answer);
        } else {
            answer.error = std::get<ControlError>(*parsed);
        }
        std::string text = format_control_answer(answer);
        arm(c, s->clock.now() + s->limits.answer_timeout);
        co_await asio::async_write(c->socket, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
        disarm(c);
    }
    close(c);
    --s->active;
}

asio::awaitable<void> accept_loop(std::shared_ptr<ControlSocket::Shared> s) {
    while (!s->stopped) {
        boost::system::error_code ec;
        stream_protocol::socket sock = co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (s->stopped || ec == asio::error::operation_aborted) co_return;
            continue;  // a client that gave up before we accepted it
        }
        if (!peer_permitted(sock.native_handle())) {
            answer_and_close(sock, ControlError::NotPermitted);
            continue;
        }
        if (s->active >= s->limits.max_connections) {
            answer_and_close(sock, ControlError::Busy);
            continue;
        }
        ++s->active;
        auto conn = std::make_shared<Connection>(std::move(sock), s->clock);
        s->open.remove_if([](const std::weak_ptr<Connection>& w) { return w.expired(); });
        s->open.push_back(conn);
        relaylab::spawn(s->ex, serve(s, conn));
    }
}

}  // namespace

ControlSocket::ControlSocket(asio::any_io_executor ex, Clock& clock, Relay& relay, const fs::path& spool_dir,
                             ControlLimits limits, Observer observer)
    : shared_(std::make_shared<Shared>(ex, clock, relay)) {
    Shared& s = *shared_;
    s.limits = limits;
    s.observer = std::move(observer);
    s.path = spool_dir / kControlSocketName;
    // The caller holds the spool lock: a socket file here is a crashed daemon's leftover.
    struct ::stat st{};
    if (::lstat(s.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw system_error_of(EEXIST, s.path);
        if (::unlink(s.path.c_str()) != 0) throw system_error_of(errno, s.path);
    }
    stream_protocol::endpoint ep(s.path.string());  // throws name_too_long past sockaddr_un's 107 bytes
    s.acceptor.open(ep.protocol());
    s.acceptor.bind(ep);
    // Nobody can connect before listen(): set the mode in between, not through the process umask.
    if (::chmod(s.path.c_str(), 0600) != 0 || ::lstat(s.path.c_str(), &st) != 0) {
        int e = errno;
        ::unlink(s.path.c_str());
        throw system_error_of(e, s.path);
    }
    s.device = st.st_dev;
    s.inode = st.st_ino;
    s.acceptor.listen();  // the kernel's backlog: clients past max_connections hear `busy`, not a refusal
    relaylab::spawn(ex, accept_loop(shared_));
}

ControlSocket::~ControlSocket() { stop(); }

const fs::path& ControlSocket::path() const { return shared_->path; }

void ControlSocket::stop() {
    Shared& s = *shared_;
    if (s.stopped) return;
    s.stopped = true;
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    for (auto& w : s.open) {
        if (auto c = w.lock()) {
            c->stopped = true;
            c->socket.cancel(ignored);
            c->timer.cancel();
        }
    }
    s.open.clear();
    // Only our own socket: a newer daemon may already have replaced it.
    struct ::stat st{};
    if (::lstat(s.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s.device && st.st_ino == s.inode)
        ::unlink(s.path.c_str());
}

asio::awaitable<ControlReply> ask_control_socket(Clock& clock, fs::path socket, ControlCommand command, Duration timeout) {
    std::optional<ControlClientError> failure;
    int system_error = 0;
    std::string answer_line;
    ControlAnswer answer;
    auto ex = co_await asio::this_coro::executor;
    auto c = std::make_shared<Connection>(stream_protocol::socket(ex), clock);
    stream_protocol::endpoint ep;
    boost::system::error_code ec;
    try {
        ep = stream_protocol::endpoint(socket.string());
    } catch (const boost::system::system_error& e) {
        ec = e.code();
    }
    if (ec) co_return Failure{ControlFailure{ControlClientError::Connect, ec.value(), {}}};
    const std::size_t max_line = ControlLimits{}.max_line_bytes;
    arm(c, clock.now() + timeout);
    co_await c->socket.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        failure = c->timed_out ? ControlClientError::Timeout : ControlClientError::Connect;
        system_error = c->timed_out ? 0 : ec.value();
    } else {
        std::string line = control_command_line(command);
        co_await asio::async_write(c->socket, asio::buffer(line), asio::redirect_error(asio::use_awaitable, ec));
        // A write error is not the end: a daemon that answered `busy` at once and closed left its
        // answer to read.
        std::string got;
        std::array<char, 256> buf;
        while (!c->timed_out) {
            std::size_t n = co_await c->socket.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
            got.append(buf.data(), n);
            if (auto nl = got.find('\n'); nl != std::string::npos) {
                got.resize(nl);
                if (!got.empty() && got.back() == '\r') got.pop_back();
                answer_line = got;
                if (auto a = parse_control_answer(got)) answer = *a;
                else failure = ControlClientError::BadAnswer;
                break;
            }
            if (got.size() >= max_line) {
                failure = ControlClientError::BadAnswer;
                break;
            }
            if (ec) {
                failure = c->timed_out ? ControlClientError::Timeout : ControlClientError::NoAnswer;
                break;
            }
        }
        if (c->timed_out && !failure) failure = ControlClientError::Timeout;
    }
    disarm(c);
    close(c);
    if (failure) co_return Failure{ControlFailure{*failure, system_error, std::move(answer_line)}};
    co_return ControlReceived{std::move(answer_line), answer};
}

}  // namespace relaylab::gw
