#include "smtpclient/client.hpp"

#include "asio/awaitable.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>

namespace relaylab::smtp {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
const std::vector<TranscriptLine> kNoTranscript;
const Capabilities kNoCapabilities;
const SessionStatus kNotOpened{false, Stage::Connect, std::nullopt, NetError::Local, ProtocolError::None};

bool would_block(const error_code& ec) { return ec == asio::error::would_block || ec == asio::error::try_again; }
}  // namespace

Client::Client(asio::any_io_executor ex, Clock& clock, ClientConfig config,
               std::shared_ptr<asio::ssl::context> tls_context)
    : ex_(ex), clock_(clock), config_(std::move(config)), socket_(ex), deadline_(ex, clock),
      tls_context_(std::move(tls_context)) {}

Client::Client(asio::any_io_executor ex, Clock& clock, ClientConfig config)
    : Client(ex, clock, std::move(config), nullptr) {}

Client::~Client() {
    ++*generation_;
    close_socket();
}

NetError Client::net_error(const error_code& ec, bool connecting) {
    namespace e = asio::error;
    if (ec == e::connection_refused) return NetError::ConnectRefused;
    if (ec == e::network_unreachable || ec == e::host_unreachable) return NetError::Unreachable;
    if (ec == e::connection_reset || ec == e::broken_pipe || ec == e::connection_aborted) return NetError::Reset;
    if (ec == e::eof) return NetError::Closed;
    if (ec == e::timed_out) return connecting ? NetError::ConnectTimeout : NetError::Timeout;
    return NetError::Local;
}

void Client::arm(Duration timeout) {
    std::uint64_t gen = ++*generation_;
    timed_out_ = false;
    deadline_.expires_after(timeout);
    deadline_.async_wait([this, weak = std::weak_ptr<std::uint64_t>(generation_), gen](error_code ec) {
        auto current = weak.lock();
        if (ec || !current || *current != gen) return;
        timed_out_ = true;
        error_code ignored;
        socket_.cancel(ignored);  // the pending operation ends with operation_aborted
    });
}

bool Client::disarm() {
    ++*generation_;
    deadline_.cancel();
    return std::exchange(timed_out_, false);
}

void Client::close_socket() {
    error_code ignored;
    if (socket_.is_open()) {
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }
}

asio::awaitable<void> Client::drive() {
    ClientSession& s = *session_;
    for (;;) {
        Action action = s.next();
        error_code ec;
        switch (action.kind) {
            case Action::Kind::Connect: {
                auto address = asio::ip::make_address(s.remote().ip, ec);
                if (ec) {
                    s.on_error(NetError::Local, clock_.now());
                    break;
                }
                arm(action.timeout);
                co_await socket_.async_connect({address, s.remote().port},
                                               asio::redirect_error(asio::use_awaitable, ec));
                bool timed_out = disarm();
                if (!ec) {
                    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
                    // Reads and writes are tried at once and must not block the loop.
                    socket_.non_blocking(true, ec);
                    s.on_connected(clock_.now());
                } else if (timed_out && ec == asio::error::operation_aborted) {
                    s.on_timeout(clock_.now());
                } else {
                    s.on_error(net_error(ec, true), clock_.now());
                }
                break;
            }
            case Action::Kind::Write: {
                // Try the write at once: a command batch usually fits the socket buffer, and then
                // no deadline needs arming. What is left waits under the stage's deadline.
                if (tls_) {
                    arm(action.timeout);
                    co_await asio::async_write(*tls_, asio::buffer(action.bytes),
                                               asio::redirect_error(asio::use_awaitable, ec));
                    bool timed_out = disarm();
                    if (!ec) s.on_written(clock_.now());
                    else if (timed_out && ec == asio::error::operation_aborted) s.on_timeout(clock_.now());
                    else s.on_error(net_error(ec, false), clock_.now());
                    break;
                }
                std::size_t done = socket_.write_some(asio::buffer(action.bytes), ec);
                if (would_block(ec)) {
                    ec = {};
                    done = 0;
                }
                bool timed_out = false;
                if (!ec && done < action.bytes.size()) {
                    arm(action.timeout);
                    co_await asio::async_write(socket_, asio::buffer(action.bytes) + done,
                                               asio::redirect_error(asio::use_awaitable, ec));
                    timed_out = disarm();
                }
                if (!ec) s.on_written(clock_.now());
                else if (timed_out && ec == asio::error::operation_aborted) s.on_timeout(clock_.now());
                else s.on_error(net_error(ec, false), clock_.now());
                break;
            }
            case Action::Kind::Read: {
                // A reply is rarely there the instant it is wanted (the peer has not run yet):
                // the read waits in the reactor under the stage's deadline.
                if (!read_buffer_) read_buffer_ = std::make_unique<std::array<char, kReadBufferBytes>>();
                arm(action.timeout);
                std::size_t n =
                    tls_ ? co_await tls_->async_read_some(asio::buffer(*read_buffer_),
                                                          asio::redirect_error(asio::use_awaitable, ec))
                         : co_await socket_.async_read_some(asio::buffer(*read_buffer_),
                                                            asio::redirect_error(asio::use_awaitable, ec));
                bool timed_out = disarm();
                if (!ec) s.on_bytes(std::string_view(read_buffer_->data(), n), clock_.now());
                else if (timed_out && ec == asio::error::operation_aborted) s.on_timeout(clock_.now());
                else s.on_error(net_error(ec, false), clock_.now());
                break;
            }
            case Action::Kind::StartTls: {
                if (!tls_context_) {
                    s.on_tls_failed("no TLS context configured", clock_.now());
                    break;
                }
                tls_check_ = std::make_unique<tls::PeerCheck>();
                tls_ = std::make_unique<tls::Stream>(socket_, *tls_context_);
                tls::prepare_client(*tls_, s.remote().host, clock_.now(), *tls_check_);
                tls::take_errors();  // start from an empty error queue: what follows is this handshake's
                arm(action.timeout);
                co_await tls_->async_handshake(asio::ssl::stream_base::client,
                                               asio::redirect_error(asio::use_awaitable, ec));
                bool timed_out = disarm();
                if (!ec) {
                    s.on_tls(tls::negotiated(*tls_, *tls_check_), clock_.now());
                } else if (timed_out && ec == asio::error::operation_aborted) {
                    s.on_timeout(clock_.now());
                } else {
                    std::string why = tls::take_errors();
                    s.on_tls_failed(why.empty() ? ec.message() : why, clock_.now());
                }
                break;
            }
            case Action::Kind::Close:
                close_socket();
                break;
            case Action::Kind::Idle:
            case Action::Kind::Finished:
                co_return;
        }
    }
}

asio::awaitable<SessionStatus> Client::open(Remote remote) {
    if (session_) co_return session_->status();
    session_.emplace(config_, std::move(remote));
    co_await drive();
    co_return session_->status();
}

asio::awaitable<std::vector<RecipientOutcome>> Client::send(Message message) {
    std::vector<RecipientOutcome> out;
    if (!session_) {
        for (auto& rcpt : message.recipients) {
            RecipientOutcome o;
            o.address = std::move(rcpt);
            o.net = NetError::Local;  // never opened
            out.push_back(std::move(o));
        }
        co_return out;
    }
    session_->submit(std::move(message));
    co_await drive();
    for (auto& tx : session_->take_outcomes())
        for (auto& o : tx) out.push_back(std::move(o));
    co_return out;
}

bool Client::usable() const { return session_ && session_->usable() && socket_.is_open(); }

asio::awaitable<void> Client::quit() {
    if (session_) {
        session_->quit();
        co_await drive();
    }
    close_socket();
}

const std::vector<TranscriptLine>& Client::transcript() const {
    return session_ ? session_->transcript() : kNoTranscript;
}
std::vector<TranscriptLine> Client::take_transcript() {
    return session_ ? session_->take_transcript() : std::vector<TranscriptLine>{};
}
const Capabilities& Client::capabilities() const { return session_ ? session_->capabilities() : kNoCapabilities; }
const SessionStatus& Client::status() const { return session_ ? session_->status() : kNotOpened; }

}  // namespace relaylab::smtp
