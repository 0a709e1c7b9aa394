// A one-shot deadline timer on a caller-owned Clock, usable with any Asio completion token
// (callbacks, use_awaitable). On a RealClock it is an Asio steady timer; on a VirtualClock it waits
// until the clock is advanced past its expiry.
#pragma once

#include "clock/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <optional>

namespace relaylab {

class Timer {
public:
    Timer(boost::asio::any_io_executor ex, Clock& clock);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Setting the expiry cancels a pending wait (it completes with operation_aborted).
    // TimePoint::max() means "never": the wait ends only by cancel() (a wake-up signal), and on a
    // VirtualClock it is not a deadline the clock can jump to.
    void expires_at(TimePoint at);
    void expires_after(Duration d) { expires_at(clock_.now() + d); }
    TimePoint expiry() const { return expiry_; }
    Clock& clock() const { return clock_; }
    boost::asio::any_io_executor get_executor() const { return ex_; }

    // Completes with an empty error_code at expiry, or operation_aborted when cancelled.
    // One wait at a time: a second wait cancels the first.
    template <typename Token>
    auto async_wait(Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this](auto handler) { start_wait(std::move(handler)); }, token);
    }

    // Cancels a pending wait. Returns 1 if a wait was cancelled, else 0.
    std::size_t cancel();

private:
    friend class VirtualClock;

    struct Waiter {
        virtual ~Waiter() = default;
        virtual void complete(boost::system::error_code ec) = 0;
    };
    template <typename Handler>
    struct WaiterFor final : Waiter {
        // Holding tracked work makes a virtual wait count as pending work, as a real timer's does,
        // so io_context::run()/poll() do not consider the loop finished while it waits.
        WaiterFor(Handler h, boost::asio::any_io_executor e)
            : handler(std::move(h)),
              ex(boost::asio::prefer(std::move(e), boost::asio::execution::outstanding_work.tracked)) {}
        void complete(boost::system::error_code ec) override {
            auto target = boost::asio::get_associated_executor(handler, ex);
            boost::asio::post(target, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
        }
        Handler handler;
        boost::asio::any_io_executor ex;
    };

    template <typename Handler>
    void start_wait(Handler handler) {
        if (!clock_.is_virtual()) {
            if (expiry_ == TimePoint::max())
                real_->expires_at(std::chrono::steady_clock::time_point::max());
            else
                real_->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    expiry_ - clock_.now()));
            real_->async_wait(std::move(handler));
            return;
        }
        cancel();
        waiter_ = std::make_unique<WaiterFor<Handler>>(std::move(handler), ex_);
        arm_virtual();
    }
    void arm_virtual();
    void fire();  // called by VirtualClock at expiry

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    TimePoint expiry_;
    std::optional<boost::asio::steady_timer> real_;
    std::unique_ptr<Waiter> waiter_;
    std::optional<VirtualClock::Key> key_;
};

}  // namespace relaylab
