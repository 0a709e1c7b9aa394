#include "queue/control.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace relaylab::gw {

namespace {

constexpr std::array kErrors{ControlError::Malformed,  ControlError::LineTooLong, ControlError::NoSuchMessage,
                             ControlError::InFlight,   ControlError::Busy,        ControlError::Timeout,
                             ControlError::SpoolWrite, ControlError::NotPermitted};

bool blank(char c) { return c == ' ' || c == '\t'; }

bool same_word(std::string_view a, std::string_view keyword) {
    if (a.size() != keyword.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != keyword[i]) return false;
    }
    return true;
}

std::optional<MessageId> queue_id(std::string_view s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    MessageId v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v == 0) return std::nullopt;
    return v;
}

}  // namespace

std::string_view to_string(ControlError e) {
    switch (e) {
    case ControlError::Malformed: return "malformed command";
    case ControlError::LineTooLong: return "line too long";
    case ControlError::NoSuchMessage: return "unknown queue id";
    case ControlError::InFlight: return "in flight, try again";
    case ControlError::Busy: return "busy, try again";
    case ControlError::Timeout: return "timeout waiting for the command";
    case ControlError::SpoolWrite: return "spool write failed";
    case ControlError::NotPermitted: return "not permitted";
    }
    return "?";
}

ControlParse parse_control_command(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        if (blank(line[i])) {
            ++i;
            continue;
        }
        if (c < 0x21 || c > 0x7e) return ControlError::Malformed;  // controls, NUL, 8-bit: never a command
        std::size_t end = i;
        while (end < line.size() && !blank(line[end])) {
            unsigned char d = static_cast<unsigned char>(line[end]);
            if (d < 0x21 || d > 0x7e) return ControlError::Malformed;
            ++end;
        }
        words.push_back(line.substr(i, end - i));
        i = end;
    }
    if (words.size() != 2) return ControlError::Malformed;
    if (same_word(words[0], "retry")) {
        if (same_word(words[1], "all")) return ControlCommand{ControlVerb::RetryAll, 0};
        if (auto id = queue_id(words[1])) return ControlCommand{ControlVerb::Retry, *id};
        return ControlError::Malformed;
    }
    if (same_word(words[0], "delete")) {
        if (auto id = queue_id(words[1])) return ControlCommand{ControlVerb::Delete, *id};
    }
    return ControlError::Malformed;
}

std::string control_command_line(const ControlCommand& c) {
    switch (c.verb) {
    case ControlVerb::RetryAll: return "retry all\n";
    case ControlVerb::Retry: return "retry " + std::to_string(c.id) + "\n";
    case ControlVerb::Delete: return "delete " + std::to_string(c.id) + "\n";
    }
    return "\n";
}

std::optional<ControlParse> ControlLineReader::feed(std::string_view bytes) {
    if (done_) return done_;
    auto nl = bytes.find('\n');
    std::string_view part = bytes.substr(0, nl);
    // The line with its LF must fit max_: without the LF it may take max_ - 1 bytes.
    std::size_t room = max_ > 0 ? max_ - 1 : 0;
    if (line_.size() + part.size() > room) {
        done_ = ControlError::LineTooLong;
        return done_;
    }
    line_.append(part);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF or LF
    done_ = parse_control_command(line);
    return done_;
}

std::string format_control_answer(const ControlAnswer& a) {
    if (a.error) return "error " + std::string(to_string(*a.error)) + "\n";
    return "ok " + std::to_string(a.affected) + "\n";
}

std::optional<ControlAnswer> parse_control_answer(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 3) == "ok ") {
        std::string_view n = line.substr(3);
        std::size_t v = 0;
        auto r = std::from_chars(n.data(), n.data() + n.size(), v);
        if (n.empty() || r.ec != std::errc() || r.ptr != n.data() + n.size()) return std::nullopt;
        return ControlAnswer{std::nullopt, v};
    }
    if (line.substr(0, 6) == "error ") {
        std::string_view reason = line.substr(6);
        for (auto e : kErrors)
            if (to_string(e) == reason) return ControlAnswer{e, 0};
    }
    return std::nullopt;
}

}  // namespace relaylab::gw
