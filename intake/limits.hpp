// What one handset session may send: the config's "limits" object, read by relay/config without
// pulling in the listener (the scenario loader and its fuzzer read configs, and never listen).
#pragma once

#include "clock/clock.hpp"

#include <chrono>
#include <cstddef>

namespace relaylab::gw {

struct IntakeLimits {
    std::size_t max_message_size = 10 * 1024 * 1024;  // Postfix message_size_limit: 10240000
    std::size_t max_recipients = 100;                 // per message; more → 452 (RFC 5321 §4.5.3.1.8)
    std::size_t max_line_length = 2048;               // command and data lines
    Duration idle_timeout = std::chrono::minutes(5);  // RFC 5321 §4.5.3.2.7 server timeout
};

}  // namespace relaylab::gw
