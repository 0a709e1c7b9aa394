// The truth about one SMTP session: where it stopped, what the remote said, per recipient.
// These values travel unflattened to the gateway's edge, where policies turn them into words.
#pragma once

#include "clock/clock.hpp"
#include "smtpclient/reply.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

// The step of the SMTP dialogue an outcome belongs to. "Done" means accepted after the final dot.
// StartTls covers the STARTTLS command (RFC 3207), the TLS handshake and the certificate check.
enum class Stage { Connect, Greeting, Ehlo, Helo, StartTls, Mail, Rcpt, Data, Dot, Rset, Quit, Done };
std::string_view to_string(Stage s);           // "connect", "greeting", "ehlo", "helo", "starttls", "mail", ...
std::optional<Stage> stage_from_string(std::string_view s);
// The one place a stage becomes words: "connect", "initial greeting", "EHLO", "MAIL FROM", "RCPT TO",
// "DATA", "end of DATA" (Done too: the message was accepted there), "RSET", "QUIT".
std::string_view command_words(Stage s);
// The words Postfix uses after "in reply to": "MAIL FROM command", "RCPT TO command", "end of DATA
// command"; "initial greeting" and "" (connect) are no command.
std::string command_name(Stage s);

// Why a session ended without a reply to blame.
enum class NetError {
    None,
    ConnectRefused,
    ConnectTimeout,
    Unreachable,
    Timeout,       // a stage's deadline passed while waiting for the remote
    Reset,         // connection reset / broken pipe
    Closed,        // the remote closed the connection (EOF) mid-dialogue
    Protocol,      // the remote's bytes were not a valid reply (see ProtocolError)
    TooLarge,      // message exceeds the remote's announced SIZE
    // An address needs SMTPUTF8 and the remote did not offer it: never sent (RFC 6531 §3.2).
    Smtputf8NotOffered,
    // STARTTLS (RFC 3207) at a security level that requires it (Postfix's smtp_tls_security_level):
    TlsNotOffered,     // encrypt/verify, and the remote's EHLO did not offer STARTTLS
    TlsHandshake,      // the TLS handshake failed (after 220 to STARTTLS)
    TlsUntrusted,      // verify: no chain to a trusted authority (self-signed, unknown issuer)
    TlsExpired,        // verify: the certificate is expired or not yet valid
    TlsWrongName,      // verify: the certificate is for another name than the MX host
    Local,         // any other local socket error
};
std::string_view to_string(NetError e);

// A malformed reply, typed. Never a crash or a hang.
enum class ProtocolError {
    None,
    BadCode,            // line does not start with three digits 2xx..5xx
    BadSeparator,       // fourth byte not ' ' or '-' (or missing)
    MismatchedCode,     // continuation line with a different code
    LineTooLong,
    TooManyLines,
    ReplyTooLarge,
    UnexpectedReply,    // a reply arrived when none was asked for
};
std::string_view to_string(ProtocolError e);

struct Remote {
    std::string host;  // MX name, or the literal the caller connected to
    std::string ip;
    unsigned short port = 0;
};

// One recipient's end. `stage` is Stage::Done when the remote accepted the message for it.
struct RecipientOutcome {
    std::string address;
    Stage stage = Stage::Connect;
    std::optional<Reply> reply;          // absent for network failures
    NetError net = NetError::None;
    ProtocolError protocol = ProtocolError::None;
    Remote remote;                       // the server this outcome comes from (smtpclient fills it)
    bool delivered() const { return stage == Stage::Done; }
    // Permanent: a 5xx reply. Everything else that is not delivered may be retried.
    bool permanent() const { return reply && reply->permanent(); }
};

struct TranscriptLine {
    TimePoint at;
    char dir;  // 'C' client to server, 'S' server to client, '*' event (connect, timeout, close)
    std::string text;
};

}  // namespace relaylab::smtp
