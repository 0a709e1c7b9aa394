// The time source every layer takes from its caller. Live mode passes a RealClock; scenario mode a
// VirtualClock that the runner advances to the next deadline when the world is quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace relaylab {

// Wall-clock shaped, so that one value serves log lines, Date: headers and deadlines.
using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Timer;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
    // True when timers are driven by advance() rather than by the operating system.
    virtual bool is_virtual() const = 0;
};

// The operating system's clock. Timers on it run on Asio's steady timers.
class RealClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
    bool is_virtual() const override { return false; }
};

// Time that moves only when the owner says so. Timers armed on it fire in (deadline, arming order),
// which makes runs repeatable.
class VirtualClock final : public Clock {
public:
    explicit VirtualClock(TimePoint start) : now_(start) {}
    // Detaches the timers still armed: one that is cancelled or destroyed after the clock (a world
    // torn down stuck, members declared in the wrong order) then has nothing to disarm.
    ~VirtualClock() override;
    VirtualClock(const VirtualClock&) = delete;
    VirtualClock& operator=(const VirtualClock&) = delete;

    TimePoint now() const override { return now_; }
    bool is_virtual() const override { return true; }

    // The earliest armed deadline, if any timer is waiting.
    std::optional<TimePoint> next_deadline() const;
    // Jumps to the earliest deadline (never backwards) and completes every timer due then.
    // Returns false when no timer is armed.
    bool advance();
    // Moves time forward to `t` (no-op if in the past), completing every timer due by then.
    void advance_to(TimePoint t);
    std::size_t armed() const { return armed_.size(); }

private:
    friend class Timer;
    using Key = std::pair<TimePoint, std::uint64_t>;
    Key arm(TimePoint at, Timer* t);
    void disarm(const Key& k) { armed_.erase(k); }
    void fire_due();

    TimePoint now_;
    std::uint64_t seq_ = 0;
    std::map<Key, Timer*> armed_;
};

}  // namespace relaylab
