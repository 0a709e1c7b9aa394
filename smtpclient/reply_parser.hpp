// Sans-I/O parser for SMTP replies (RFC 5321 §4.2): bytes in, complete Reply values out.
// Put-style (as Boost.Beast's parsers): put() consumes bytes until one reply is complete and returns
// how many it took; the caller keeps the rest (pipelined replies, RFC 2920) and calls put() again
// after take(). Nothing is buffered beyond one reply, so memory is bounded by ReplyLimits.
#pragma once

#include "smtpclient/outcome.hpp"
#include "smtpclient/reply.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace relaylab::smtp {

struct ReplyLimits {
    // RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers exceed it.
    std::size_t max_line_length = 4096;  // bytes of one line, without its line end
    std::size_t max_lines = 100;         // lines of one multi-line reply
    std::size_t max_reply_bytes = 64 * 1024;
};

class ReplyParser {
public:
    explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}

    // Consumes bytes up to and including the line that completes a reply (or all of `bytes` when
    // none completes). Returns 0 while a complete reply waits to be taken or after an error.
    std::size_t put(std::string_view bytes);
    // The complete reply, once; nullopt when none is ready.
    std::optional<Reply> take();
    bool ready() const { return ready_; }
    // Sticky: after an error the parser ignores all input (the session is going to be dropped).
    ProtocolError error() const { return error_; }
    bool failed() const { return error_ != ProtocolError::None; }
    // True between replies: no partial line or partial multi-line reply is held.
    bool idle() const { return line_.empty() && !in_reply_ && !ready_; }

private:
    void finish_line();
    void fail(ProtocolError e) { error_ = e; }

    ReplyLimits limits_;
    std::string line_;       // the line being received, without its line end
    bool in_reply_ = false;  // a continuation line ("NNN-") was seen
    bool ready_ = false;
    std::size_t reply_bytes_ = 0;
    Reply reply_;
    ProtocolError error_ = ProtocolError::None;
};

// The RFC 3463 code at the start of `text` ("5.1.7 ..."), when its class matches `reply_code`.
std::optional<EnhancedCode> parse_enhanced_code(std::string_view text, int reply_code);

}  // namespace relaylab::smtp
