// The languages a handset notice can be written in. Policies carry every text in each of them.
#pragma once

#include <optional>
#include <string_view>

namespace relaylab::gw {

enum class Language { Ja, En };

constexpr std::string_view to_string(Language l) { return l == Language::Ja ? "ja" : "en"; }

constexpr std::optional<Language> language_from_string(std::string_view s) {
    if (s == "ja") return Language::Ja;
    if (s == "en") return Language::En;
    return std::nullopt;
}

}  // namespace relaylab::gw
