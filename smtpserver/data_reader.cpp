#include "smtpserver/data_reader.hpp"

namespace relaylab::smtp {

void DataReader::put(char c) {
    ++counted_;
    if (counted_ > max_bytes_) {
        oversized_ = true;
        return;
    }
    body_.push_back(c);
}

std::size_t DataReader::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && state_ != State::Done) {
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
