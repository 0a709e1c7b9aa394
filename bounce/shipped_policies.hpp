// The policies shipped in policies/*.json, compiled into the binary.
#pragma once

#include "bounce/policy.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

namespace relaylab::gw {

struct ShippedPolicy {
    std::string_view name;  // "legacy-2009"
    std::string_view json;
};

const std::vector<ShippedPolicy>& shipped_policies();

// A shipped policy by name, else a policy file (a path, or NAME.json in `policy_dir`).
PolicyLoad load_named_policy(std::string_view name_or_path, const std::filesystem::path& policy_dir = ".");

}  // namespace relaylab::gw
