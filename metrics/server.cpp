#include "metrics/server.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"
#include "clock/timer.hpp"
#include "metrics/http.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <list>

namespace relaylab::metrics {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

struct Connection {
    Connection(tcp::socket s, Clock& clock) : socket(std::move(s)), deadline(socket.get_executor(), clock) {}
    tcp::socket socket;
    Timer deadline;
};

}  // namespace

struct Server::Shared {
    Shared(asio::any_io_executor e, Clock& c, Registry& r, ServerLimits l)
        : ex(e), clock(c), registry(r), limits(l), acceptor(e) {}
    asio::any_io_executor ex;
    Clock& clock;
    Registry& registry;
    ServerLimits limits;
    tcp::acceptor acceptor;
    unsigned short port = 0;
    bool stopped = false;
    std::size_t open = 0;
    std::uint64_t answered = 0, dropped = 0;
    std::list<std::weak_ptr<Connection>> connections;
};

namespace {

void close(tcp::socket& s) {
    boost::system::error_code ignored;
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
}

asio::awaitable<void> serve_one(std::shared_ptr<Server::Shared> s, std::shared_ptr<Connection> c) {
    // The deadline covers the whole exchange: a client that sends nothing, or reads nothing, is cut off.
    c->deadline.expires_after(s->limits.deadline);
    c->deadline.async_wait([weak = std::weak_ptr<Connection>(c)](boost::system::error_code ec) {
        if (auto live = weak.lock(); live && !ec) close(live->socket);
    });
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer(s->limits.max_request_bytes);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->limits.max_request_bytes));
    parser.body_limit(0);
    co_await http::async_read(c->socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopped) co_return;
    if (ec) {
        // Nothing parsable arrived (a deadline, a reset, an oversized or malformed request): a
        // scraper gets a 400 when the socket still works, else the connection just ends.
        ++s->dropped;
        if (ec != asio::error::operation_aborted && ec != http::error::end_of_stream && c->socket.is_open()) {
            http::response<http::string_body> bad{http::status::bad_request, 11};
            bad.set(http::field::content_type, "text/plain; charset=utf-8");
            bad.set(http::field::connection, "close");
            bad.body() = "bad request: " + ec.message() + "\n";
            bad.prepare_payload();
            co_await http::async_write(c->socket, bad, asio::redirect_error(asio::use_awaitable, ec));
        }
        c->deadline.cancel();
        close(c->socket);
        co_return;
    }
    const auto& req = parser.get();
    HttpAnswer a;
    try {
        a = answer(std::string_view(req.method_string().data(), req.method_string().size()),
                   std::string_view(req.target().data(), req.target().size()), s->registry);
    } catch (const std::exception& e) {
        a = HttpAnswer{500, "text/plain; charset=utf-8", std::string("metrics: ") + e.what() + "\n", ""};
    }
    http::response<http::string_body> res{static_cast<http::status>(a.status), req.version()};
    res.set(http::field::server, "relaylab");
    res.set(http::field::content_type, a.content_type);
    if (!a.allow.empty()) res.set(http::field::allow, a.allow);
    res.keep_alive(false);
    if (req.method() == http::verb::head) {
        res.content_length(a.body.size());
    } else {
        res.body() = std::move(a.body);
        res.prepare_payload();
    }
    http::serializer<false, http::string_body> sr{res};
    if (req.method() == http::verb::head) sr.split(true);
    if (req.method() == http::verb::head)
        co_await http::async_write_header(c->socket, sr, asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await http::async_write(c->socket, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopped) co_return;
    if (ec) ++s->dropped;
    else ++s->answered;
    c->deadline.cancel();
    close(c->socket);
}

// One connection, counted as open until it ends however it ends.
asio::awaitable<void> serve_counted(std::shared_ptr<Server::Shared> s, std::shared_ptr<Connection> c) {
    struct Counted {
        std::size_t& open;
        ~Counted() { --open; }
    } counted{s->open};
    co_await serve_one(s, std::move(c));
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Shared> s) {
    for (;;) {
        tcp::socket socket(s->ex);
        boost::system::error_code ec;
        co_await s->acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (s->stopped || ec == asio::error::operation_aborted) co_return;
        if (ec) continue;  // the peer gave up between SYN and accept, or the fd table is full
        if (s->open >= s->limits.max_connections) {
            ++s->dropped;
            close(socket);
            continue;
        }
        auto c = std::make_shared<Connection>(std::move(socket), s->clock);
        std::erase_if(s->connections, [](const auto& w) { return w.expired(); });
        s->connections.push_back(c);
        ++s->open;
        relaylab::spawn(s->ex, serve_counted(s, c));
    }
}

}  // namespace

Server::Server(asio::any_io_executor ex, Clock& clock, Registry& registry, const std::string& ip, unsigned short port,
               bool allow_remote, ServerLimits limits)
    : shared_(std::make_shared<Shared>(ex, clock, registry, limits)) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ip, ec);
    if (ec) throw ServerError("metrics_listen: \"" + ip + "\" is not a numeric address");
    if (!address.is_loopback() && !allow_remote)
        throw ServerError("metrics_listen " + ip +
                          " is not a loopback address: set metrics_allow_remote to true to serve metrics there");
    tcp::endpoint ep(address, port);
    shared_->acceptor.open(ep.protocol());
    shared_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    shared_->acceptor.bind(ep);
    shared_->acceptor.listen();
    shared_->port = shared_->acceptor.local_endpoint().port();
    relaylab::spawn(ex, accept_loop(shared_));
}

Server::~Server() {
    // Synchronously: the registry may be gone once this returns, and a coroutine still pending
    // checks `stopped` before it touches it.
    shared_->stopped = true;
    boost::system::error_code ignored;
    shared_->acceptor.close(ignored);
    for (auto& w : shared_->connections)
        if (auto c = w.lock()) close(c->socket);
}

unsigned short Server::port() const { return shared_->port; }

void Server::stop() {
    asio::post(shared_->ex, [s = shared_] {
        s->stopped = true;
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
        for (auto& w : s->connections)
            if (auto c = w.lock()) close(c->socket);
    });
}

std::uint64_t Server::answered() const { return shared_->answered; }
std::uint64_t Server::dropped() const { return shared_->dropped; }

}  // namespace relaylab::metrics
