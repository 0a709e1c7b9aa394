// Memory per queued recipient and the scheduler's cost per event, with gw::Queue alone (no I/O).
// N recipients are queued, taken, and deferred (every attempt failed temporarily), so all of them
// wait for their retry: the state of a relay whose destinations are down. Heap bytes come from
// mallinfo2 (what the allocator handed out), not RSS, so the figure is the queue's own.
// Usage: bench-queue-memory [RECIPIENTS=1000000] [PER_MESSAGE=1] [CONTENT_BYTES=0]
#include "queue/queue.hpp"

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

using namespace relaylab;
using Steady = std::chrono::steady_clock;

namespace {

std::size_t heap_in_use() {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

double ms_since(Steady::time_point t0) {
    return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t recipients = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    std::size_t per_message = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
    std::size_t content_bytes = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
    if (per_message == 0 || recipients == 0) return 2;
    constexpr std::size_t kDomains = 1000;

    gw::RetrySchedule schedule;
    schedule.delay_warning = std::chrono::hours(4);  // on, so that next_warning() has work to do
    gw::QueueLimits limits;
    limits.destination_concurrency = recipients;  // take everything at once
    limits.max_sessions = recipients;
    std::size_t heap0 = heap_in_use();
    std::size_t messages = (recipients + per_message - 1) / per_message;
    TimePoint t{std::chrono::hours(24 * 365 * 40)};

    auto q = std::make_unique<gw::Queue>(schedule, limits);
    auto t_add = Steady::now();
    std::size_t n = 0;
    for (std::size_t m = 0; m < messages; ++m) {
        gw::Envelope e;
        e.sender = "handset" + std::to_string(m % 100000) + "@docomo.ne.jp";
        for (std::size_t r = 0; r < per_message && n < recipients; ++r, ++n)
            e.recipients.push_back("user" + std::to_string(n) + "@isp" + std::to_string(n % kDomains) + ".example");
        q->add(std::move(e), std::string(content_bytes, 'x'), t);
    }
    double add_ms = ms_since(t_add);

    auto t_take = Steady::now();
    auto jobs = q->take_ready(t, recipients);
    double take_ms = ms_since(t_take);

    auto t_defer = Steady::now();
    for (const auto& job : jobs) {
        for (auto idx : job.recipients) q->record(job.message, idx, gw::AttemptVerdict::FailedTemporarily, t);
        q->finish_job(job);
    }
    double defer_ms = ms_since(t_defer);
    std::size_t job_count = jobs.size();
    jobs.clear();
    jobs.shrink_to_fit();
    std::size_t heap1 = heap_in_use();

    // One scheduler wake with everything waiting: what the relay's loop pays each time it wakes.
    TimePoint later = t + std::chrono::seconds(1);
    auto t_wake = Steady::now();
    auto none = q->take_ready(later, 100);
    auto next = q->next_due();
    auto warn = q->next_warning();
    auto warnings = q->take_delay_warnings(later);
    double wake_ms = ms_since(t_wake);

    // The same wake, split: next_warning() alone (O(messages) in the queue as it is).
    auto t_nw = Steady::now();
    for (int i = 0; i < 10; ++i) warn = q->next_warning();
    double next_warning_ms = ms_since(t_nw) / 10;

    // A wake while the one busy destination is at its concurrency limit and 10,000 messages wait
    // for it (the relay-throughput situation): take_ready() walks every waiting recipient.
    gw::Queue busy(schedule, gw::QueueLimits{});
    for (std::size_t m = 0; m < 10000; ++m) busy.add(gw::Envelope{"h@docomo.ne.jp", {"u@sink.example"}}, {}, t);
    auto first = busy.take_ready(t, 100);  // destination_concurrency (20) jobs start
    auto t_busy = Steady::now();
    std::size_t taken = 0;
    for (int i = 0; i < 100; ++i) taken += busy.take_ready(t, 100).size();
    double busy_wake_us = ms_since(t_busy) * 1000 / 100;

    double bytes = static_cast<double>(heap1 - heap0) / static_cast<double>(recipients);
    std::printf("queued_recipients %zu\nmessages %zu\nrecipients_per_message %zu\ncontent_bytes %zu\n", recipients,
                messages, per_message, content_bytes);
    std::printf("heap_bytes %zu\nbytes_per_recipient %.0f\n", heap1 - heap0, bytes);
    std::printf("add_ns_per_recipient %.0f\ntake_ns_per_recipient %.0f\ndefer_ns_per_recipient %.0f\n",
                add_ms * 1e6 / recipients, take_ms * 1e6 / recipients, defer_ms * 1e6 / recipients);
    std::printf("jobs %zu\nwake_ms %.2f\nnext_warning_ms %.2f\n", job_count, wake_ms, next_warning_ms);
    std::printf("busy_destination_wake_us %.1f\n", busy_wake_us);
    std::printf("check first=%zu taken=%zu next=%d warn=%d warnings=%zu\n", first.size(), taken, next.has_value(),
                warn.has_value(), warnings.size());
    return next.has_value() && none.empty() ? 0 : 1;
}
