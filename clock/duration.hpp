// Durations as people write them in configs and scenarios: "300s", "5m", "1h", "5d", "250ms",
// also combined ("1h30m"). RFC-free; matches Postfix's time units (s, m, h, d, w).
#pragma once

#include "clock/clock.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace relaylab {

// Returns nullopt for anything malformed (empty, no unit, unknown unit, overflow, negative).
std::optional<Duration> parse_duration(std::string_view text);
// The shortest exact form: "5d", "1h30m", "250ms", "0s".
std::string format_duration(Duration d);
// ISO 8601 UTC with milliseconds, "2009-06-01T10:00:00.000Z" — for reports and logs.
std::string format_time(TimePoint t);
// RFC 5322 §3.3 date-time in UTC, "Mon, 01 Jun 2009 10:00:00 +0000" — for Date: headers and DSNs.
std::string format_rfc5322(TimePoint t);
// Parses "2009-06-01T10:00:00Z" (seconds optional fraction). nullopt when malformed.
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace relaylab
