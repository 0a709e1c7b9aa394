#include "clock/clock.hpp"
#include "clock/timer.hpp"

namespace relaylab {

VirtualClock::~VirtualClock() {
    for (auto& [key, timer] : armed_) timer->key_.reset();
}

std::optional<TimePoint> VirtualClock::next_deadline() const {
    if (armed_.empty()) return std::nullopt;
    return armed_.begin()->first.first;
}

VirtualClock::Key VirtualClock::arm(TimePoint at, Timer* t) {
    Key k{at, seq_++};
    armed_.emplace(k, t);
    return k;
}

void VirtualClock::fire_due() {
    while (!armed_.empty() && armed_.begin()->first.first <= now_) {
        Timer* t = armed_.begin()->second;
        armed_.erase(armed_.begin());
        t->fire();
    }
}

bool VirtualClock::advance() {
    if (armed_.empty()) return false;
    now_ = std::max(now_, armed_.begin()->first.first);
    fire_due();
    return true;
}

void VirtualClock::advance_to(TimePoint t) {
    while (!armed_.empty() && armed_.begin()->first.first <= t) {
        now_ = std::max(now_, armed_.begin()->first.first);
        fire_due();
    }
    now_ = std::max(now_, t);
}

Timer::Timer(boost::asio::any_io_executor ex, Clock& clock) : ex_(std::move(ex)), clock_(clock), expiry_(clock.now()) {
    if (!clock_.is_virtual()) real_.emplace(ex_);
}

Timer::~Timer() { cancel(); }

void Timer::expires_at(TimePoint at) {
    cancel();
    expiry_ = at;
}

std::size_t Timer::cancel() {
    if (real_) return real_->cancel();
    if (key_) {
        static_cast<VirtualClock&>(clock_).disarm(*key_);
        key_.reset();
    }
    if (!waiter_) return 0;
    auto w = std::move(waiter_);
    w->complete(boost::asio::error::operation_aborted);
    return 1;
}

void Timer::arm_virtual() {
    // A deadline already in the past still waits for the next advance(): completing it here
    // would run the handler before the caller's current step has finished.
    if (expiry_ == TimePoint::max()) return;  // never: only cancel() ends this wait
    key_ = static_cast<VirtualClock&>(clock_).arm(expiry_, this);
}

void Timer::fire() {
    key_.reset();
    if (!waiter_) return;
    auto w = std::move(waiter_);
    w->complete({});
}

}  // namespace relaylab
