#include "smtpclient/reply_parser.hpp"

namespace relaylab::smtp {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads 1..3 digits at `pos`; returns the value and advances `pos`, or nullopt.
std::optional<int> read_number(std::string_view s, std::size_t& pos) {
    std::size_t start = pos;
    int value = 0;
    while (pos < s.size() && is_digit(s[pos]) && pos - start < 3) value = value * 10 + (s[pos++] - '0');
    if (pos == start) return std::nullopt;
    return value;
}
}  // namespace

std::optional<EnhancedCode> parse_enhanced_code(std::string_view text, int reply_code) {
    // RFC 3463 §2: class "." subject "." detail; subject and detail are 1-3 digits.
    std::size_t pos = 0;
    auto klass = read_number(text, pos);
    if (!klass || pos != 1 || pos >= text.size() || text[pos++] != '.') return std::nullopt;
    auto subject = read_number(text, pos);
    if (!subject || pos >= text.size() || text[pos++] != '.') return std::nullopt;
    auto detail = read_number(text, pos);
    if (!detail || (pos < text.size() && text[pos] != ' ')) return std::nullopt;
    // RFC 2034 §4: the class digit repeats the reply code's first digit.
    if (*klass != reply_code / 100 || (*klass != 2 && *klass != 4 && *klass != 5)) return std::nullopt;
    return EnhancedCode{*klass, *subject, *detail};
}

std::size_t ReplyParser::put(std::string_view bytes) {
    if (failed() || ready_) return 0;
    std::size_t consumed = 0;
    while (consumed < bytes.size()) {
        std::string_view rest = bytes.substr(consumed);
        std::size_t nl = rest.find('\n');
        std::string_view chunk = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl);
        // Checked before appending, so a flood without line ends never grows the buffer.
        // (+1: the line may still end in the CR of its CRLF.)
        if (line_.size() + chunk.size() > limits_.max_line_length + 1) {
            fail(ProtocolError::LineTooLong);
            return consumed + chunk.size();
        }
        reply_bytes_ += chunk.size() + (nl == std::string_view::npos ? 0 : 1);
        if (reply_bytes_ > limits_.max_reply_bytes) {
            fail(ProtocolError::ReplyTooLarge);
            return consumed + chunk.size();
        }
        line_.append(chunk);
        consumed += chunk.size();
        if (nl == std::string_view::npos) return consumed;
        ++consumed;  // the LF; a bare LF ends a line too (real servers send them)
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (line_.size() > limits_.max_line_length) {
            fail(ProtocolError::LineTooLong);
            return consumed;
        }
        finish_line();
        if (failed() || ready_) return consumed;
    }
    return consumed;
}

void ReplyParser::finish_line() {
    // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    //                             Reply-code [ SP textstring ] CRLF
    const std::string& l = line_;
    if (l.size() < 3 || l[0] < '2' || l[0] > '5' || !is_digit(l[1]) || !is_digit(l[2]))
        return fail(ProtocolError::BadCode);
    if (l.size() > 3 && l[3] != ' ' && l[3] != '-') return fail(ProtocolError::BadSeparator);
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    bool last = l.size() == 3 || l[3] == ' ';
    if (in_reply_ && code != reply_.code) return fail(ProtocolError::MismatchedCode);
    if (!in_reply_) {
        reply_ = Reply{};
        reply_.code = code;
    }
    if (reply_.lines.size() >= limits_.max_lines) return fail(ProtocolError::TooManyLines);
    reply_.lines.push_back(l.size() > 4 ? l.substr(4) : std::string{});
    if (reply_.lines.size() == 1) reply_.enhanced = parse_enhanced_code(reply_.lines.front(), code);
    line_.clear();
    in_reply_ = !last;
    if (last) {
        ready_ = true;
        reply_bytes_ = 0;
    }
}

std::optional<Reply> ReplyParser::take() {
    if (!ready_) return std::nullopt;
    ready_ = false;
    return std::move(reply_);
}

}  // namespace relaylab::smtp
