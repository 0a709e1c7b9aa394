#include "smtpclient/message.hpp"

namespace relaylab::smtp {

namespace {
// Calls line(text) for each line of `body` without its line end; a trailing unterminated line counts.
template <typename F>
void for_each_line(std::string_view body, F&& line) {
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t end = body.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) {
            line(body.substr(pos));
            return;
        }
        line(body.substr(pos, end - pos));
        // CRLF is one line end; a bare CR or a bare LF is one too.
        pos = end + ((body[end] == '\r' && end + 1 < body.size() && body[end + 1] == '\n') ? 2 : 1);
    }
}
}  // namespace

std::string encode_data(std::string_view body) {
    std::string out;
    out.reserve(body.size() + body.size() / 32 + 8);
    for_each_line(body, [&](std::string_view l) {
        if (!l.empty() && l.front() == '.') out += '.';
        out.append(l);
        out += "\r\n";
    });
    out += ".\r\n";
    return out;
}

std::size_t message_size(std::string_view body) {
    std::size_t n = 0;
    for_each_line(body, [&](std::string_view l) { n += l.size() + 2; });
    return n;
}

bool has_8bit(std::string_view text) {
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x80) return true;
    return false;
}

bool unsafe_in_command(std::string_view address) {
    return address.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace relaylab::smtp
