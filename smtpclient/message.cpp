#include "smtpclient/message.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace relaylab::smtp {

namespace {
// Calls line(text) for each line of `body` without its line end; a trailing unterminated line counts.
// The next CR and the next LF are each found with memchr and remembered until passed: two
// vectorised scans over the body in all (find_first_of("\r\n") calls memchr once per byte).
template <typename F>
void for_each_line(std::string_view body, F&& line) {
    const char* p = body.data();
    const char* const end = p + body.size();
    auto find = [end](const char* from, char c) {
        auto* hit = static_cast<const char*>(std::memchr(from, c, static_cast<std::size_t>(end - from)));
        return hit ? hit : end;
    };
    const char* cr = p;
    const char* lf = p;
    bool first = true;
    while (p < end) {
        if (first || cr < p) cr = find(p, '\r');
        if (first || lf < p) lf = find(p, '\n');
        first = false;
        const char* e = std::min(cr, lf);
        line(std::string_view(p, static_cast<std::size_t>(e - p)));
        if (e == end) return;
        // CRLF is one line end; a bare CR or a bare LF is one too.
        p = e + ((*e == '\r' && e + 1 < end && e[1] == '\n') ? 2 : 1);
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
    // Eight bytes at a time: a message body is scanned once per transaction.
    constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, 8);
        if (word & kHighBits) return true;
    }
    for (; i < text.size(); ++i)
        if (static_cast<unsigned char>(text[i]) >= 0x80) return true;
    return false;
}

bool unsafe_in_command(std::string_view address) {
    return address.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace relaylab::smtp
