// The server side of one SMTP session (RFC 5321 §3, §4.1.4 order of commands), sans I/O: the driver
// feeds it bytes and carries out the actions it returns. No socket, no timer, no clock.
//
// Every call returns ServerActions: bytes to write, then Read, Wait or Close. Pipelined commands (RFC 2920) found in one feed are answered in
// order and their replies batched into one Write.
#pragma once

#include "clock/clock.hpp"
#include "smtpserver/command.hpp"
#include "smtpserver/data_reader.hpp"
#include "smtpserver/policy.hpp"
#include "smtpserver/reply.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

// Defaults of the session's limits; each is a ServerConfig field.
inline constexpr std::size_t default_max_message_bytes = 10'240'000;  // Postfix message_size_limit
inline constexpr std::size_t default_max_recipients = 1000;           // smtpd_recipient_limit
inline constexpr std::size_t default_max_errors = 20;                 // smtpd_hard_error_limit
// RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for the next command.
inline constexpr Duration default_idle_timeout = std::chrono::minutes(5);

// STARTTLS on the server side (RFC 3207), as Postfix's smtpd_tls_security_level: none; offer it
// (may); offer it and refuse MAIL before it (encrypt, "required" in relaylab's config).
enum class ServerTls { None, Offer, Require };

struct ServerConfig {
    std::string hostname = "localhost";
    // EHLO keywords after the greeting line, e.g. "PIPELINING", "SIZE 10240000".
    std::vector<std::string> capabilities{"PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"};
    std::size_t max_line = max_command_line;
    std::size_t max_message_bytes = default_max_message_bytes;
    std::size_t max_recipients = default_max_recipients;
    std::size_t max_errors = default_max_errors;
    Duration idle_timeout = default_idle_timeout;
    bool require_helo = true;  // MAIL before HELO/EHLO gets 503, as Postfix's smtpd_helo_required
    ServerTls tls = ServerTls::None;  // the driver must then have a TLS context
    // With "SMTPUTF8" among the capabilities the session enforces RFC 6531: a MAIL or RCPT path with
    // non-ASCII octets needs the SMTPUTF8 parameter on MAIL (else 553 5.6.7). Without it, the
    // SMTPUTF8 parameter is refused (555 5.5.4, RFC 5321 §4.1.1.11) and paths go to the policy as sent.
};
// True when `capabilities` holds the keyword (case-insensitive, RFC 5321 §2.4).
bool offers(const std::vector<std::string>& capabilities, std::string_view keyword);

// What the driver does after a session call: first send `write` (when not empty), then
//   Read   wait for client bytes, then feed(); if none come within `duration`, idle_timeout()
//   Wait   let `duration` pass on the caller's clock, then resume()
//   Commit make `commit` durable (the driver's committer), then committed(whether it worked)
//   StartTls  do the server's TLS handshake (within `duration`), then tls_started(ok, what)
//   Close  close the connection; the session is over
enum class NextStep { Read, Wait, Commit, StartTls, Close };
std::string_view to_string(NextStep s);

struct ServerActions {
    std::string write;
    NextStep next = NextStep::Read;
    Duration duration{};  // Read: idle timeout; Wait: delay; Commit, Close: unused
    std::uint64_t commit = 0;  // Commit: the policy's token
};

class ServerSession {
public:
    ServerSession(ServerPolicy& policy, ServerConfig config);

    ServerActions start();                      // the greeting (policy.on_connect)
    ServerActions feed(std::string_view bytes);  // client bytes arrived
    ServerActions resume();                      // a Wait has elapsed
    ServerActions committed(bool durable);       // a Commit ended: the reply, or 451 4.3.0
    ServerActions idle_timeout();                // no bytes within the Read's idle timeout
    ServerActions tls_started(bool ok, const tls::Negotiated& negotiated);  // a StartTls ended
    bool encrypted() const { return tls_active_; }
    // The connection ended from outside (client EOF, reset, listener stopped).
    void abort(CloseReason why);

    bool closed() const { return phase_ == Phase::Closed; }
    // Part of a command line has arrived (or an overlong one is being discarded): the driver keeps
    // the deadline of that line's first byte, so that a client dripping bytes cannot hold the
    // session open forever (Postfix's smtpd_per_record_deadline).
    bool mid_command() const { return phase_ == Phase::Commands && (!input_.empty() || discarding_long_line_); }
    const Envelope& envelope() const { return env_; }

private:
    enum class Phase { Greeting, Commands, Data, Handshake, Silent, Closed };
    struct Deferred {
        Decision decision;
        ServerReply reply;
        std::optional<CloseReason> close_after;
    };

    ServerActions pump();
    void handle_line(std::string_view line);
    void handle_command(const ClientCommand& cmd);
    void handle_data_bytes();
    void finish_message();
    // Applies a decision: sends now, or parks it until resume() when it carries a delay.
    void decide(const Decision& d, ServerReply normal, std::optional<CloseReason> close_after = std::nullopt);
    void carry_out(Deferred d);
    void send(const Deferred& d);
    void reply_now(const ServerReply& r);
    void error_reply(const ServerReply& r);
    void close(CloseReason why);
    void reset_transaction();
    ServerReply ehlo_reply() const;
    // RFC 6531 §3.4/§3.5: what a MAIL or RCPT path needs before the policy sees it; nullopt when fine.
    std::optional<ServerReply> smtputf8_refusal(const ClientCommand& cmd) const;

    ServerPolicy& policy_;
    ServerConfig config_;
    Phase phase_ = Phase::Greeting;
    std::string input_;
    bool discarding_long_line_ = false;
    std::string output_;
    std::optional<Deferred> deferred_;
    std::optional<Deferred> committing_;  // a reply held until the driver reports its commit
    std::optional<DataReader> data_;
    std::optional<DataCut> cut_;
    Envelope env_;
    bool have_helo_ = false;
    bool in_transaction_ = false;
    bool refused_ = false;  // a 554 greeting: only QUIT is served (RFC 5321 §3.1)
    bool smtputf8_offered_ = false;  // "SMTPUTF8" is among config_.capabilities (RFC 6531)
    bool tls_active_ = false;
    bool tls_next_ = false;  // a 220 to STARTTLS is being sent: the handshake follows it
    std::size_t rcpts_tried_ = 0;
    std::size_t errors_ = 0;
};

}  // namespace relaylab::smtp
