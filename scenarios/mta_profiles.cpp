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

namespace {

// ${hostname} is filled in inside the parsed profile's strings, not in its text: a host name is
// whatever the scenario's key says, and a quote or backslash in it must not break the JSON.
void fill_hostname(nlohmann::json& j, const std::string& hostname) {
    const std::string_view key = "${hostname}";
    if (j.is_string()) {
        auto& s = j.get_ref<std::string&>();
        for (auto p = s.find(key); p != std::string::npos; p = s.find(key, p + hostname.size()))
            s.replace(p, key.size(), hostname);
    } else if (j.is_structured()) {
        for (auto& v : j) fill_hostname(v, hostname);
    }
}

}  // namespace

std::optional<nlohmann::json> profile_script(const std::string& name, const std::string& hostname) {
    for (const auto& [n, text] : shipped_profiles()) {
        if (n != name) continue;
        auto j = nlohmann::json::parse(text);
        j.erase("comment");
        fill_hostname(j, hostname);
        return j;
    }
    return std::nullopt;
}

}  // namespace relaylab::scn
