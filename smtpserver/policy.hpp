// What a server says, decided outside the protocol core. The gateway's intake and the scripted
// remote MTAs are two policies over the same ServerSession.
#pragma once

#include "clock/clock.hpp"
#include "smtpserver/command.hpp"
#include "smtpserver/reply.hpp"
#include "tls/negotiated.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

enum class DecisionAction {
    Reply,   // send the reply (after `delay`)
    Drop,    // close the connection without a reply (after `delay`)
    Silent,  // never answer again: a tarpit; the client's own timeout ends the session
};
std::string_view to_string(DecisionAction a);

struct Decision {
    std::optional<ServerReply> reply;  // absent: the session's normal reply for this stage
    Duration delay{};                  // zero: at once
    DecisionAction action = DecisionAction::Reply;
    // Durability is a step of the session, not something a hook does behind its back: before a
    // Reply with a non-zero `commit` leaves, the session asks its driver to make the policy's token
    // durable (NextStep::Commit; e.g. a spool sequence) and resumes with the result: this reply
    // when it succeeded, `451 4.3.0 Error: queue file write error` when it did not.
    std::uint64_t commit = 0;

    static Decision send(ServerReply r, Duration d = {}) { return {std::move(r), d, DecisionAction::Reply}; }
    static Decision drop(Duration d = {}) { return {std::nullopt, d, DecisionAction::Drop}; }
    static Decision silent() { return {std::nullopt, {}, DecisionAction::Silent}; }
    // `r` once `token` is durable; `window` first lets other sessions' commits join the same one.
    static Decision send_when_durable(ServerReply r, std::uint64_t token, Duration window = {}) {
        return {std::move(r), window, DecisionAction::Reply, token};
    }
};

// Cut the message text short: after `after_bytes` raw bytes of DATA, apply `decision`
// (Drop or Silent; a Reply is sent and then the connection is closed).
struct DataCut {
    std::size_t after_bytes = 0;
    Decision decision = Decision::drop();
};

struct Envelope {
    std::string helo;                     // name given with HELO/EHLO, raw
    bool esmtp = false;                   // EHLO rather than HELO
    std::string mail_from;                // raw path, "" for the null sender
    CommandParams mail_params;
    std::vector<std::string> rcpt_to;     // raw paths the policy accepted
};

enum class CloseReason { Quit, Dropped, IdleTimeout, TooManyErrors, ServiceClosing, PeerClosed, Stopped, TlsFailed };
std::string_view to_string(CloseReason r);

// Every hook has a default that behaves like a plain accepting MTA. Hooks run on the driver's
// executor, in protocol order.
class ServerPolicy {
public:
    virtual ~ServerPolicy() = default;
    virtual Decision on_connect() { return {}; }
    virtual Decision on_helo(std::string_view /*name*/) { return {}; }
    virtual Decision on_ehlo(std::string_view /*name*/) { return {}; }
    virtual Decision on_mail(const ClientCommand& /*cmd*/) { return {}; }
    virtual Decision on_rcpt(const ClientCommand& /*cmd*/) { return {}; }
    virtual Decision on_data_start() { return {}; }
    virtual std::optional<DataCut> on_data_body() { return std::nullopt; }
    virtual Decision on_message(const Envelope& /*env*/, std::string_view /*body*/) { return {}; }
    virtual Decision on_rset() { return {}; }
    virtual Decision on_noop() { return {}; }
    virtual Decision on_quit() { return {}; }
    // STARTTLS (RFC 3207), when the session offers it: the normal reply is 220, and the handshake
    // follows; a 4xx/5xx (454 "TLS not available") or a drop refuses it.
    virtual Decision on_starttls() { return {}; }
    // Observation: the TLS handshake after STARTTLS ended (`ok`), with what it negotiated.
    virtual void on_tls(bool /*ok*/, const tls::Negotiated& /*negotiated*/) {}

    // Observation only: a command line as received, a reply as it is sent, the end.
    virtual void on_command_line(std::string_view /*line*/) {}
    virtual void on_reply(const ServerReply& /*reply*/) {}
    virtual void on_message_received(const Envelope& /*env*/, std::string_view /*body*/, bool /*oversized*/) {}
    virtual void on_closed(CloseReason /*why*/) {}
};

}  // namespace relaylab::smtp
