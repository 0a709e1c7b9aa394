#include "queue/queue.hpp"
#include "queue/retry.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::gw;
using namespace std::chrono_literals;

namespace {
const TimePoint t0 = TimePoint{} + 1'243'850'400s;  // 2009-06-01T10:00:00Z
}

TEST_CASE("backoff doubles from the minimum and stops at the maximum", "[retry]") {
    RetrySchedule s;  // Postfix defaults: 300s .. 4000s, 5d
    CHECK(s.backoff(1) == Duration(300s));
    CHECK(s.backoff(2) == Duration(600s));
    CHECK(s.backoff(4) == Duration(2400s));
    CHECK(s.backoff(5) == Duration(4000s));
    CHECK(s.backoff(50) == Duration(4000s));
}

TEST_CASE("a retry is never scheduled past the lifetime, and after it the recipient expires", "[retry]") {
    RetrySchedule s;
    s.lifetime = 1h;
    CHECK(s.next_attempt(t0, 1, t0) == t0 + 300s);
    CHECK(s.next_attempt(t0, 5, t0 + 50min) == t0 + 1h);
    CHECK_FALSE(s.next_attempt(t0, 6, t0 + 1h).has_value());
}

TEST_CASE("the queue groups a message's recipients per destination", "[queue]") {
    Queue q(RetrySchedule{}, QueueLimits{});
    auto id = q.add({"q.@docomo.ne.jp", {"a@isp.example", "b@ISP.example", "c@other.example"}}, "Subject: x\r\n\r\nhi\r\n", t0);
    auto jobs = q.take_ready(t0, 10);
    REQUIRE(jobs.size() == 2);
    CHECK(jobs[0].message == id);
    CHECK(jobs[0].domain == "isp.example");
    CHECK(jobs[0].recipients == std::vector<std::size_t>{0, 1});
    CHECK(jobs[1].domain == "other.example");
    CHECK(q.take_ready(t0, 10).empty());  // in flight
    CHECK_FALSE(q.next_due().has_value());
}

TEST_CASE("the queue decides delivered, bounced, deferred and expired", "[queue]") {
    RetrySchedule s;
    s.lifetime = 20min;
    Queue q(s, QueueLimits{});
    auto id = q.add({"s@x", {"a@d", "b@d", "c@d"}}, "", t0);
    auto jobs = q.take_ready(t0, 10);
    REQUIRE(jobs.size() == 1);
    CHECK(q.record(id, 0, AttemptVerdict::Delivered, t0) == Disposition::Delivered);
    CHECK(q.record(id, 1, AttemptVerdict::FailedPermanently, t0) == Disposition::Bounced);
    CHECK(q.record(id, 2, AttemptVerdict::FailedTemporarily, t0) == Disposition::Deferred);
    q.finish_job(jobs[0]);
    CHECK(q.next_due() == t0 + 300s);
    CHECK(q.take_ready(t0 + 299s, 10).empty());

    SECTION("retries until the lifetime, then expires") {
        TimePoint now = t0;
        Disposition d = Disposition::Deferred;
        int attempts = 1;
        while (d == Disposition::Deferred) {
            now = *q.next_due();
            auto j = q.take_ready(now, 10);
            REQUIRE(j.size() == 1);
            d = q.record(id, 2, AttemptVerdict::FailedTemporarily, now);
            q.finish_job(j[0]);
            ++attempts;
        }
        CHECK(d == Disposition::Expired);
        CHECK(now == t0 + 20min);      // 300s, +600s, then clamped to the lifetime
        CHECK(attempts == 4);
        CHECK(q.find(id)->finished());
        q.forget_if_finished(id);
        CHECK(q.messages() == 0);
    }
}

TEST_CASE("a destination never has more jobs in flight than its limit", "[queue]") {
    QueueLimits limits;
    limits.destination_concurrency = 2;
    Queue q(RetrySchedule{}, limits);
    for (int i = 0; i < 5; ++i) q.add({"s@x", {"r@busy.example"}}, "", t0);
    q.add({"s@x", {"r@free.example"}}, "", t0);
    auto jobs = q.take_ready(t0, 100);
    REQUIRE(jobs.size() == 3);
    CHECK(q.in_flight("busy.example") == 2);
    CHECK(jobs[2].domain == "free.example");
    q.record(jobs[0].message, 0, AttemptVerdict::Delivered, t0);
    q.finish_job(jobs[0]);
    auto more = q.take_ready(t0, 100);
    REQUIRE(more.size() == 1);
    CHECK(more[0].domain == "busy.example");
}

TEST_CASE("delay warnings are due once per recipient after the warning time", "[queue]") {
    RetrySchedule s;
    s.delay_warning = 1h;
    Queue q(s, QueueLimits{});
    auto id = q.add({"s@x", {"a@d"}}, "", t0);
    auto j = q.take_ready(t0, 1);
    q.record(id, 0, AttemptVerdict::FailedTemporarily, t0);
    q.finish_job(j[0]);
    CHECK(q.take_delay_warnings(t0 + 59min).empty());
    CHECK(q.take_delay_warnings(t0 + 1h).size() == 1);
    CHECK(q.take_delay_warnings(t0 + 2h).empty());
}
