#include "scenarios/virtual_loop.hpp"

#include <thread>

namespace relaylab::scn {

std::size_t VirtualLoop::settle() {
    std::size_t total = 0;
    int empty = 0;
    while (empty < quiet_polls) {
        if (io_.stopped()) io_.restart();
        std::size_t n = io_.poll();
        total += n;
        if (n == 0) {
            ++empty;
            // Give the kernel a moment to deliver what a peer just wrote before calling it quiet.
            std::this_thread::yield();
        } else {
            empty = 0;
        }
        if (total > max_handlers_between_jumps) {
            overran_ = true;
            break;
        }
    }
    return total;
}

bool VirtualLoop::run_until(const std::function<bool()>& done, TimePoint limit) {
    for (;;) {
        settle();
        if (done()) return true;
        if (overran_) return false;
        auto next = clock_.next_deadline();
        if (!next || *next > limit) return false;
        clock_.advance();
        ++jumps_;
    }
}

}  // namespace relaylab::scn
