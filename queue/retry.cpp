#include "queue/retry.hpp"

#include <algorithm>

namespace relaylab::gw {

Duration RetrySchedule::backoff(unsigned attempts) const {
    Duration d = min_backoff;
    for (unsigned i = 1; i < attempts && d < max_backoff; ++i) d *= 2;
    return std::min(d, max_backoff);
}

std::optional<TimePoint> RetrySchedule::next_attempt(TimePoint arrival, unsigned attempts, TimePoint now) const {
    TimePoint expiry = arrival + lifetime;
    if (now >= expiry) return std::nullopt;
    return std::min(now + backoff(attempts), expiry);
}

}  // namespace relaylab::gw
