// The control protocol of a running `relaylab serve`, spoken on DIR/control (docs/spool.md): the
// operator's client sends ONE line, the daemon answers ONE line and closes. Commands mirror
// Postfix's live queue tools: `retry all` (postqueue -f), `retry ID` (postqueue -i ID),
// `delete ID` (postsuper -d ID). Answers: `ok N` or `error <reason>`.
// Sans-I/O: bytes in, a typed command or a typed error out; no socket, no clock.
#pragma once

#include "clock/clock.hpp"
#include "queue/queue.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace relaylab::gw {

// Fixed name inside the spool directory: never built from input.
inline constexpr std::string_view kControlSocketName = "control";

struct ControlLimits {
    // A command line, its LF or CRLF included. Answers are held to the same bound.
    std::size_t max_line_bytes = 256;
    // From accepting a connection to the end of its command line.
    Duration receive_timeout = std::chrono::seconds(5);
    // To write the answer.
    Duration answer_timeout = std::chrono::seconds(5);
    // Control connections served at once; more are answered `error busy` at once and closed.
    std::size_t max_connections = 4;
};

// `relaylab queue`: connect, send, and read the answer, all within this.
inline constexpr Duration kControlClientTimeout = std::chrono::seconds(10);

enum class ControlVerb {
    RetryAll,  // postqueue -f: every waiting recipient of every message is due now
    Retry,     // postqueue -i ID: the message's waiting recipients are due now
    Delete,    // postsuper -d ID: the message leaves the queue, no notice to the handset
};

struct ControlCommand {
    ControlVerb verb = ControlVerb::RetryAll;
    MessageId id = 0;  // Retry, Delete
    bool operator==(const ControlCommand&) const = default;
};

enum class ControlError {
    Malformed,      // not one of the commands (or the peer closed before the line ended)
    LineTooLong,    // no line end within ControlLimits::max_line_bytes
    NoSuchMessage,  // the queue id is not in the queue
    InFlight,       // a recipient is being delivered right now: try again
    Busy,           // too many control connections at once: try again
    Timeout,        // the line did not arrive within ControlLimits::receive_timeout
    SpoolWrite,     // the edit could not be recorded in the spool; nothing changed
    NotPermitted,   // the peer is neither the daemon's user nor root (SO_PEERCRED)
};
// The reason as sent on the wire, after "error ".
std::string_view to_string(ControlError e);

using ControlParse = std::variant<ControlCommand, ControlError>;

// Parses one command line, its line end already removed. Keywords are case-insensitive and
// separated by spaces or tabs; an id is a decimal queue id (1 .. 2^64-1).
ControlParse parse_control_command(std::string_view line);
// The line a client sends for `c`, LF included.
std::string control_command_line(const ControlCommand& c);

// Collects the command line from bytes as they arrive, bounded by max_line_bytes.
class ControlLineReader {
public:
    explicit ControlLineReader(std::size_t max_line_bytes = ControlLimits{}.max_line_bytes)
        : max_(max_line_bytes) {}
    // Empty while more bytes are needed; the parse once the line ended (or grew too long). Bytes
    // after the line end are ignored: one command per connection.
    std::optional<ControlParse> feed(std::string_view bytes);
    // The peer closed its side before the line ended.
    ControlParse end_of_input() const { return ControlError::Malformed; }

private:
    std::size_t max_;
    std::string line_;
    std::optional<ControlParse> done_;
};

struct ControlAnswer {
    std::optional<ControlError> error;
    std::size_t affected = 0;  // recipients made due (retry), messages removed (delete)
    bool ok() const { return !error; }
    bool operator==(const ControlAnswer&) const = default;
};

// "ok N\n" or "error <reason>\n".
std::string format_control_answer(const ControlAnswer& a);
// Reads an answer line (line end removed); empty when it is not one this protocol sends.
std::optional<ControlAnswer> parse_control_answer(std::string_view line);

}  // namespace relaylab::gw
