// The remote-MTA profiles shipped in scenarios/profiles/*.json, compiled into the binary.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

namespace relaylab::scn {

using ShippedProfile = std::pair<std::string_view, std::string_view>;  // name, JSON text

const std::vector<ShippedProfile>& shipped_profiles();

}  // namespace relaylab::scn
