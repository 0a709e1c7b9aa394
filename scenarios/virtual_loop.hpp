// Runs an io_context in virtual time: handlers run until the world is quiet (nothing ready, twice
// in a row — on Linux loopback a write lands in the peer's buffer before the call returns), then
// the clock jumps to the earliest armed deadline. Days of retries take milliseconds, and the order
// of events depends only on the scenario and the seed.
#pragma once

#include "clock/clock.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>

namespace relaylab::scn {

// A safety net: a world that never goes quiet (a busy loop between peers) is stopped after this
// many handler runs without a clock jump.
inline constexpr std::size_t max_handlers_between_jumps = 10'000'000;
// How many consecutive empty polls count as quiet.
inline constexpr int quiet_polls = 2;

class VirtualLoop {
public:
    VirtualLoop(boost::asio::io_context& io, VirtualClock& clock) : io_(io), clock_(clock) {}

    // Runs ready handlers until none is ready. Returns the number run.
    std::size_t settle();
    // Settles, then jumps the clock, until `done()` holds, no timer is armed, or the clock would pass
    // `limit`. Returns true when `done()` held.
    bool run_until(const std::function<bool()>& done, TimePoint limit);
    // Runs until nothing is armed or the clock would pass `limit`.
    void run(TimePoint limit) { run_until([] { return false; }, limit); }

    std::size_t jumps() const { return jumps_; }
    bool overran() const { return overran_; }

private:
    boost::asio::io_context& io_;
    VirtualClock& clock_;
    std::size_t jumps_ = 0;
    bool overran_ = false;
};

}  // namespace relaylab::scn
