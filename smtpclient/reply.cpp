#include "smtpclient/reply.hpp"

namespace relaylab::smtp {

std::string EnhancedCode::str() const {
    return std::to_string(klass) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

std::string Reply::text() const {
    std::string out;
    for (const auto& line : lines) {
        if (line.empty()) continue;
        if (!out.empty()) out += ' ';
        out += line;
    }
    return out;
}

std::string Reply::one_line() const {
    std::string out = std::to_string(code);
    std::string t = text();
    if (!t.empty()) {
        out += ' ';
        out += t;
    }
    return out;
}

}  // namespace relaylab::smtp
