#include "smtpserver/reply.hpp"

namespace relaylab::smtp {

namespace {
bool has_code(std::string_view line) {
    return line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
           line[2] >= '0' && line[2] <= '9' && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}
}  // namespace

ServerReply ServerReply::single(int code, std::string_view text) {
    // One allocation for the line (four per reply as a chain of temporaries; every command gets one).
    std::string line;
    line.reserve(12 + text.size());
    line += std::to_string(code);
    if (!text.empty()) {
        line += ' ';
        line += text;
    }
    ServerReply r;
    r.lines.push_back(std::move(line));
    return r;
}

ServerReply ServerReply::multi(int code, const std::vector<std::string>& texts) {
    if (texts.empty()) return single(code, "");
    ServerReply r;
    for (std::size_t i = 0; i < texts.size(); ++i)
        r.lines.push_back(std::to_string(code) + (i + 1 < texts.size() ? "-" : " ") + texts[i]);
    return r;
}

ServerReply ServerReply::from_lines(const std::vector<std::string>& lines) {
    ServerReply r;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (!has_code(l) || l.compare(0, 3, lines[0], 0, 3) != 0) return {};
        std::string text = l.size() > 4 ? l.substr(4) : "";
        bool last = i + 1 == lines.size();
        if (last && text.empty()) r.lines.push_back(l.substr(0, 3));
        else r.lines.push_back(l.substr(0, 3) + (last ? " " : "-") + text);
    }
    return r;
}

int ServerReply::code() const {
    if (lines.empty() || lines[0].size() < 3) return 0;
    return (lines[0][0] - '0') * 100 + (lines[0][1] - '0') * 10 + (lines[0][2] - '0');
}

std::string ServerReply::wire() const {
    std::string out;
    std::size_t size = 0;
    for (const auto& l : lines) size += l.size() + 2;
    out.reserve(size);
    for (const auto& l : lines) {
        out += l;
        out += "\r\n";
    }
    return out;
}

}  // namespace relaylab::smtp
