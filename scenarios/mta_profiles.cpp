// Remote-MTA profiles: data files (scenarios/profiles/*.json) compiled into the binary, each an MTA
// script that answers like a real MTA (see ../shared/notes/mta-facts.md for the wording).
#include "scenarios/scenario.hpp"
#include "scenarios/shipped_profiles.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>
#include <vector>

namespace relaylab::scn {

std::vector<std::string> profile_names() {
    std::vector<std::string> out;
    for (const auto& [name, text] : shipped_profiles()) out.emplace_back(name);
    return out;
}

std::optional<nlohmann::json> profile_script(const std::string& name, const std::string& hostname) {
    for (const auto& [n, text] : shipped_profiles()) {
        if (n != name) continue;
        std::string filled(text);
        const std::string_view key = "${hostname}";
        for (auto p = filled.find(key); p != std::string::npos; p = filled.find(key, p + hostname.size()))
            filled.replace(p, key.size(), hostname);
        auto j = nlohmann::json::parse(filled);
        j.erase("comment");
        return j;
    }
    return std::nullopt;
}

}  // namespace relaylab::scn
