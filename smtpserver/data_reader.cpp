#include "smtpserver/data_reader.hpp"

#include <algorithm>

namespace relaylab::smtp {

void DataReader::put(char c) {
    ++counted_;
    if (counted_ > max_bytes_) {
        oversized_ = true;
        return;
    }
    body_.push_back(c);
}

void DataReader::put(std::string_view span) {
    if (counted_ < max_bytes_) body_.append(span.substr(0, max_bytes_ - counted_));
    counted_ += span.size();
    if (counted_ > max_bytes_) oversized_ = true;
}

std::size_t DataReader::feed(std::string_view bytes) {
    // Room for this chunk at once (a short message usually arrives in one read): one allocation
    // instead of a doubling per line; at least doubling, so that many small chunks stay linear.
    std::size_t want = std::min(max_bytes_, body_.size() + bytes.size());
    if (state_ != State::Done && want > body_.capacity())
        body_.reserve(std::min(max_bytes_, std::max(want, 2 * body_.capacity())));
    std::size_t i = 0;
    while (i < bytes.size() && state_ != State::Done) {
        if (state_ == State::InLine) {
            // The middle of a line needs no look at each byte: copy up to and with its LF at once.
            auto nl = bytes.find('\n', i);
            std::size_t end = nl == std::string_view::npos ? bytes.size() : nl + 1;
            put(bytes.substr(i, end - i));
            i = end;
            if (nl != std::string_view::npos) state_ = State::LineStart;
            continue;
        }
        char c = bytes[i++];
        switch (state_) {
            case State::LineStart:
                if (c == '.') {
                    state_ = State::Dot;
                } else {
                    put(c);
                    state_ = c == '\n' ? State::LineStart : State::InLine;
                }
                break;
            case State::InLine:
                put(c);
                if (c == '\n') state_ = State::LineStart;
                break;
            case State::Dot:
                // The first dot of a line is dropped: either the end marker or a stuffed dot.
                if (c == '\r') state_ = State::DotCr;
                else if (c == '\n') state_ = State::Done;
                else {
                    put(c);
                    state_ = State::InLine;
                }
                break;
            case State::DotCr:
                if (c == '\n') {
                    state_ = State::Done;
                } else {
                    put('\r');
                    put(c);
                    state_ = State::InLine;
                }
                break;
            case State::Done: break;
        }
    }
    raw_ += i;
    return i;
}

}  // namespace relaylab::smtp
