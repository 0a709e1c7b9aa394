// Small text helpers shared by the bounce and log readers.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace relaylab::diag {

inline bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

inline std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

inline std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace relaylab::diag
