// Sans-I/O SMTP client session (RFC 5321), in the style of Boost.MySQL's / Boost.Redis' FSMs: the
// driver reports events (connected, bytes, written, timeout, error) and asks next() what to do.
// No socket, no timer, no clock: time comes in with each event, deadlines go out as Durations.
#pragma once

#include "clock/clock.hpp"
#include "smtpclient/capabilities.hpp"
#include "smtpclient/message.hpp"
#include "smtpclient/outcome.hpp"
#include "smtpclient/reply_parser.hpp"
#include "tls/negotiated.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

// STARTTLS (RFC 3207) as Postfix's smtp_tls_security_level: none; may (opportunistic: TLS when
// offered, plain text when not or when the remote refuses STARTTLS; a failed handshake is retried
// in plain text on a new connection by the caller); encrypt (TLS required, any certificate); verify
// (TLS required, and a certificate chain to a trusted authority, valid now, for the MX host's name).
enum class TlsLevel { None, May, Encrypt, Verify };
std::string_view to_string(TlsLevel level);  // "none", "may", "encrypt", "verify"
std::optional<TlsLevel> tls_level_from_string(std::string_view s);

struct ClientConfig {
    std::string helo_name = "localhost";
    // RFC 5321 §4.5.3.2 minimum timeouts; connect as Postfix's smtp_connect_timeout.
    Duration connect_timeout = std::chrono::seconds(30);
    Duration greeting_timeout = std::chrono::minutes(5);
    Duration ehlo_timeout = std::chrono::minutes(5);
    Duration mail_timeout = std::chrono::minutes(5);
    Duration rcpt_timeout = std::chrono::minutes(5);
    Duration data_init_timeout = std::chrono::minutes(2);
    Duration data_block_timeout = std::chrono::minutes(3);
    Duration dot_timeout = std::chrono::minutes(10);
    Duration rset_timeout = std::chrono::minutes(2);
    Duration quit_timeout = std::chrono::minutes(2);
    Duration starttls_timeout = std::chrono::minutes(5);  // Postfix smtp_starttls_timeout: reply and handshake
    bool use_pipelining = true;  // RFC 2920, when the server offers it
    TlsLevel tls = TlsLevel::None;
    ReplyLimits reply_limits;
    std::size_t data_block_bytes = 64 * 1024;   // one Write action of the message body
    std::size_t max_transcript_lines = 2000;    // then one "* transcript truncated" line
};

// How open() ended: ok, or the stage and the reason the session failed.
struct SessionStatus {
    bool ok = true;
    Stage stage = Stage::Connect;
    std::optional<Reply> reply;
    NetError net = NetError::None;
    ProtocolError protocol = ProtocolError::None;
};

struct Action {
    enum class Kind {
        Connect,   // open the TCP connection within `timeout`, then on_connected / on_error / on_timeout
        Write,     // write all of `bytes` within `timeout`, then on_written
        Read,      // read some bytes within `timeout`, then on_bytes
        StartTls,  // TLS handshake and certificate check within `timeout`, then on_tls (or
                   // on_error(NetError::TlsHandshake) / on_timeout); reads and writes are then in TLS
        Close,     // close the connection; next() then says Finished
        Idle,      // open and ready: waiting for submit() or quit()
        Finished,  // nothing more to do; outcomes are final
    };
    Kind kind = Kind::Idle;
    std::string bytes;
    Duration timeout{};
};

class ClientSession {
public:
    explicit ClientSession(ClientConfig config, Remote remote = {});

    // Events from the driver.
    void on_connected(TimePoint now);
    void on_bytes(std::string_view bytes, TimePoint now);
    void on_written(TimePoint now);
    void on_timeout(TimePoint now);
    void on_error(NetError error, TimePoint now);
    void on_tls(const tls::Negotiated& negotiated, TimePoint now);
    // The handshake failed; `why` is OpenSSL's words, for the transcript.
    void on_tls_failed(std::string_view why, TimePoint now);

    // Requests. A transaction submitted after the session ended fails at once with its reason.
    void submit(Message message);
    void quit();

    Action next();

    // Outcomes of the transactions finished so far, in submission order (removed from the session).
    std::vector<std::vector<RecipientOutcome>> take_outcomes();
    const SessionStatus& status() const { return status_; }
    const Capabilities& capabilities() const { return caps_; }
    const std::vector<TranscriptLine>& transcript() const { return transcript_; }
    // The transcript so far, removed from the session. A reused session handed on per transaction
    // stays short, and max_transcript_lines then bounds each batch, not the session's whole life.
    std::vector<TranscriptLine> take_transcript() { return std::exchange(transcript_, {}); }
    const Remote& remote() const { return remote_; }
    bool finished() const { return phase_ == Phase::Finished; }
    // Open and waiting for a transaction.
    bool usable() const;
    // TLS is up on this session (on_tls came and the level accepted the peer).
    bool encrypted() const { return tls_active_; }
    const std::optional<tls::Negotiated>& tls() const { return tls_; }

private:
    enum class Phase { Start, Connecting, Running, Closing, Finished };
    enum class RcptState { Pending, Accepted, Failed };
    struct Expect {
        Stage stage;
        std::size_t index = 0;  // recipient index for Stage::Rcpt
    };
    struct Transaction {
        Message message;
        std::vector<RecipientOutcome> outcomes;
        std::vector<RcptState> states;
        bool mail_failed = false;
        bool dot_sent = false;
    };

    void log(TimePoint at, char dir, std::string text);
    void queue_write(Stage stage, std::string bytes, Duration timeout);
    void expect(Stage stage, std::size_t index = 0);
    void arm_reply_deadline();
    void handle(const Reply& reply);
    void handle_transaction_reply(const Expect& e, const Reply& reply);
    void after_rcpts();
    void start_transaction();
    void send_body();
    void end_transaction(bool needs_rset);
    void fail_session(Stage stage, const std::optional<Reply>& reply, NetError net, ProtocolError protocol,
                      bool quit_anyway = false);
    void after_ehlo(const Reply& reply);
    void fail_io(NetError net, ProtocolError protocol = ProtocolError::None);
    void fail_transaction(Transaction& tx, Stage stage, const std::optional<Reply>& reply, NetError net,
                          ProtocolError protocol, bool only_open);
    Duration timeout_for(Stage stage) const;

    ClientConfig config_;
    Remote remote_;
    ReplyParser parser_;
    Capabilities caps_;
    SessionStatus status_;
    Phase phase_ = Phase::Start;
    Stage stage_ = Stage::Connect;  // where the dialogue is: failures are charged here
    TimePoint now_{};

    std::string out_;  // bytes the driver must write next
    Duration write_timeout_{};
    // Vectors, not deques: an empty std::deque still allocates ~600 bytes, and a session waiting
    // in a tarpit should cost little. Both stay short (one entry per pipelined command).
    std::vector<Expect> expects_;
    std::optional<TimePoint> reply_deadline_;

    std::optional<Transaction> tx_;
    std::vector<Message> pending_;
    std::vector<std::vector<RecipientOutcome>> done_;
    std::string body_;  // encoded DATA of the current transaction while it is being written
    std::size_t body_sent_ = 0;
    bool ready_ = false;          // greeting and EHLO/HELO done
    bool quit_requested_ = false;
    bool quitting_ = false;       // QUIT sent (or being sent)
    bool rset_pending_ = false;   // RSET sent, reply awaited
    bool tls_handshake_ = false;  // 220 to STARTTLS came: the driver's handshake is next
    bool tls_active_ = false;
    std::optional<tls::Negotiated> tls_;
    std::vector<TranscriptLine> transcript_;
};

}  // namespace relaylab::smtp
