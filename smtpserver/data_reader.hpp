// The message text after DATA (RFC 5321 §4.1.1.4): ends at a line holding only ".", lines starting
// with "." lose that dot (§4.5.2 transparency). Bare LF ends a line too (lenient, like Postfix).
// Streaming: bytes may arrive split anywhere. Bounded: beyond `max_bytes` the text is counted but
// not kept, so the session can answer 552 after the end (RFC 1870 §6.3).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace relaylab::smtp {

class DataReader {
public:
    explicit DataReader(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    // Consumes bytes up to and including the terminating ".CRLF"; returns how many were used.
    // Bytes after the terminator are not consumed (they are the next pipelined command).
    std::size_t feed(std::string_view bytes);

    bool done() const { return state_ == State::Done; }
    bool oversized() const { return oversized_; }
    // The unstuffed message (line endings as received), without the terminating line.
    const std::string& body() const { return body_; }
    std::string take_body() { return std::move(body_); }
    std::size_t raw_bytes() const { return raw_; }      // bytes consumed so far, as on the wire
    std::size_t body_bytes() const { return counted_; }  // unstuffed size, kept or not

private:
    enum class State { LineStart, InLine, Dot, DotCr, Done };
    void put(char c);
    void put(std::string_view span);

    std::size_t max_bytes_;
    State state_ = State::LineStart;
    std::string body_;
    std::size_t raw_ = 0;
    std::size_t counted_ = 0;
    bool oversized_ = false;
};

}  // namespace relaylab::smtp
