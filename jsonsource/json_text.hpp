// JSON out: text that came from the network or a handset is not always UTF-8 (a Latin-1 reply from
// a remote MTA, a MAIL FROM with raw 8-bit bytes). nlohmann's dump() throws on such bytes; every
// JSON relaylab writes goes through here instead, and they become U+FFFD.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace relaylab {

// `indent` as for dump(): -1 is one line.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace relaylab
