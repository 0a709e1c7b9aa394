// The Asio driver of ClientSession: one SMTP session on one TCP connection. It owns the socket
// and a deadline Timer on the caller's Clock, and does what the session's next() says. Nothing
// throws on network errors: every error_code becomes a NetError in the outcomes.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "clock/timer.hpp"
#include "smtpclient/client_session.hpp"
#include "tls/context.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace relaylab::smtp {

class Client {
public:
    // One read; the parser bounds the rest. Each open session has its own buffer so that a read
    // can wait in the reactor: Asio then reads only once the socket is readable (no EAGAIN read
    // first, no epoll_ctl per wait as a bare readiness wait costs). Kept small for the many
    // sessions a tarpit holds (10,000 × 1 KB); a longer reply takes more reads.
    static constexpr std::size_t kReadBufferBytes = 1024;

    // `tls_context` is needed when config.tls is not None (else STARTTLS fails as a handshake
    // failure): the authorities to check the peer against.
    Client(boost::asio::any_io_executor ex, Clock& clock, ClientConfig config,
           std::shared_ptr<boost::asio::ssl::context> tls_context);
    Client(boost::asio::any_io_executor ex, Clock& clock, ClientConfig config);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connect (config.connect_timeout), greeting, EHLO (HELO on 5xx). Call once.
    boost::asio::awaitable<SessionStatus> open(Remote remote);
    // One transaction on the open session: one outcome per recipient, in order, remote filled in.
    boost::asio::awaitable<std::vector<RecipientOutcome>> send(Message message);
    // Open and idle: can take another transaction.
    bool usable() const;
    // QUIT (its reply or failure changes nothing) and close.
    boost::asio::awaitable<void> quit();

    const std::vector<TranscriptLine>& transcript() const;
    // The lines since the last take (see ClientSession::take_transcript).
    std::vector<TranscriptLine> take_transcript();
    const Capabilities& capabilities() const;
    const SessionStatus& status() const;

    // Maps a socket error to the outcome's words; `connecting` for errors of the connect step.
    static NetError net_error(const boost::system::error_code& ec, bool connecting);

private:
    boost::asio::awaitable<void> drive();  // until the session is Idle or Finished
    void arm(Duration timeout);
    bool disarm();  // true when the deadline fired during the operation
    void close_socket();

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    ClientConfig config_;
    std::optional<ClientSession> session_;
    boost::asio::ip::tcp::socket socket_;
    Timer deadline_;
    std::unique_ptr<std::array<char, kReadBufferBytes>> read_buffer_;  // from the first read on
    // Bumped per operation: a deadline handler of an earlier operation must not cancel a later one.
    std::shared_ptr<std::uint64_t> generation_ = std::make_shared<std::uint64_t>(0);
    bool timed_out_ = false;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    // After STARTTLS: the TLS stream over socket_ and the check its handshake filled in.
    std::unique_ptr<tls::PeerCheck> tls_check_;
    std::unique_ptr<tls::Stream> tls_;
};

}  // namespace relaylab::smtp
