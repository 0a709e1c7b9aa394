#include "smtpclient/capabilities.hpp"

#include <cctype>
#include <charconv>
#include <string_view>

namespace relaylab::smtp {

namespace {
std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}
}  // namespace

Capabilities Capabilities::from_ehlo(const Reply& reply) {
    Capabilities caps;
    caps.esmtp = true;
    // The first line is the server's name and greeting text, not a keyword.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = reply.lines[i];
        std::string_view keyword = line.substr(0, line.find(' '));
        std::string_view param = keyword.size() < line.size() ? line.substr(keyword.size() + 1) : "";
        std::string key = upper(keyword);
        if (key == "PIPELINING") {
            caps.pipelining = true;
        } else if (key == "SIZE") {
            caps.size = true;
            std::uint64_t n = 0;
            auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), n);
            if (ec == std::errc{} && end != param.data()) caps.size_limit = n;
        } else if (key == "8BITMIME") {
            caps.eight_bit_mime = true;
        } else if (key == "SMTPUTF8") {
            caps.smtputf8 = true;
        } else if (key == "STARTTLS") {
            caps.starttls = true;
        } else if (key == "ENHANCEDSTATUSCODES") {
            caps.enhanced_status_codes = true;
        } else if (!key.empty()) {
            caps.others.emplace_back(line);
        }
    }
    return caps;
}

}  // namespace relaylab::smtp
