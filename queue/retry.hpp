// When to try again, and when to give up (RFC 5321 §4.5.4.1; Postfix's backoff parameters).
#pragma once

#include "clock/clock.hpp"

#include <optional>

namespace relaylab::gw {

struct RetrySchedule {
    // Postfix defaults: minimal_backoff_time, maximal_backoff_time, maximal_queue_lifetime.
    Duration min_backoff = std::chrono::seconds(300);
    Duration max_backoff = std::chrono::seconds(4000);
    Duration lifetime = std::chrono::hours(24 * 5);
    // Optional delay warning to the handset (Postfix's delay_warning_time; off by default).
    std::optional<Duration> delay_warning;

    // The backoff after `attempts` failed attempts: min_backoff doubled per attempt, capped at max.
    Duration backoff(unsigned attempts) const;
    // The next attempt after a temporary failure at `now`, or nullopt when the message has outlived
    // its lifetime by then (the recipient expires). A retry is never scheduled past the expiry: the
    // last attempt happens at arrival + lifetime at the latest, so "5d" means what it says.
    std::optional<TimePoint> next_attempt(TimePoint arrival, unsigned attempts, TimePoint now) const;
};

}  // namespace relaylab::gw
