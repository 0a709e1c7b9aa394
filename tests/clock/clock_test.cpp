#include "clock/timer.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

using namespace relaylab;
using namespace std::chrono_literals;

TEST_CASE("virtual timers fire in deadline order only when the clock advances", "[clock]") {
    boost::asio::io_context io;
    VirtualClock clock(TimePoint{} + 1000s);
    Timer a(io.get_executor(), clock), b(io.get_executor(), clock), c(io.get_executor(), clock);
    std::vector<std::string> fired;
    a.expires_after(5min);
    b.expires_after(30s);
    c.expires_after(30s);
    a.async_wait([&](auto ec) { fired.push_back(ec ? "a-aborted" : "a"); });
    b.async_wait([&](auto ec) { fired.push_back(ec ? "b-aborted" : "b"); });
    c.async_wait([&](auto ec) { fired.push_back(ec ? "c-aborted" : "c"); });

    io.poll();
    CHECK(fired.empty());
    REQUIRE(clock.next_deadline() == TimePoint{} + 1030s);

    SECTION("equal deadlines fire in arming order") {
        REQUIRE(clock.advance());
        io.poll();
        CHECK(fired == std::vector<std::string>{"b", "c"});
        CHECK(clock.now() == TimePoint{} + 1030s);
        REQUIRE(clock.advance());
        io.poll();
        CHECK(fired == std::vector<std::string>{"b", "c", "a"});
        CHECK_FALSE(clock.advance());
    }
    SECTION("cancel completes with operation_aborted and disarms") {
        CHECK(a.cancel() == 1);
        io.poll();
        CHECK(fired == std::vector<std::string>{"a-aborted"});
        clock.advance_to(TimePoint{} + 2000s);
        io.poll();
        CHECK(fired == std::vector<std::string>{"a-aborted", "b", "c"});
        CHECK(clock.armed() == 0);
    }
    SECTION("destroying a waiting timer disarms it") {
        {
            Timer d(io.get_executor(), clock);
            d.expires_after(1s);
            d.async_wait([&](auto ec) { fired.push_back(ec ? "d-aborted" : "d"); });
        }
        io.poll();
        CHECK(fired == std::vector<std::string>{"d-aborted"});
        CHECK(clock.armed() == 3);
    }
}

// Issue 12: a world that declares its io_context before its VirtualClock destroys the clock first;
// the timers its coroutines own then disarm on a dead clock (heap-use-after-free under ASan).
TEST_CASE("a timer armed on a virtual clock that is destroyed first disarms as a no-op", "[clock]") {
    boost::asio::io_context io;
    auto clock = std::make_unique<VirtualClock>(TimePoint{} + 1000s);
    std::vector<std::string> fired;
    SECTION("cancelled after the clock is gone") {
        Timer t(io.get_executor(), *clock);
        t.expires_after(30s);
        t.async_wait([&](auto ec) { fired.push_back(ec ? "aborted" : "fired"); });
        REQUIRE(clock->armed() == 1);
        clock.reset();
        CHECK(t.cancel() == 1);
        io.poll();
        CHECK(fired == std::vector<std::string>{"aborted"});
    }
    SECTION("destroyed after the clock is gone") {
        auto t = std::make_unique<Timer>(io.get_executor(), *clock);
        t->expires_after(30s);
        t->async_wait([&](auto ec) { fired.push_back(ec ? "aborted" : "fired"); });
        clock.reset();
        t.reset();
        io.poll();
        CHECK(fired == std::vector<std::string>{"aborted"});
    }
}

TEST_CASE("a past deadline on a virtual clock waits for the next advance", "[clock]") {
    boost::asio::io_context io;
    VirtualClock clock(TimePoint{});
    Timer t(io.get_executor(), clock);
    bool done = false;
    t.expires_at(TimePoint{});
    t.async_wait([&](auto ec) { done = !ec; });
    io.poll();
    CHECK_FALSE(done);
    CHECK(clock.advance());
    io.poll();
    CHECK(done);
    CHECK(clock.now() == TimePoint{});
}

TEST_CASE("a real-clock timer completes after its duration", "[clock]") {
    boost::asio::io_context io;
    RealClock clock;
    Timer t(io.get_executor(), clock);
    bool done = false;
    t.expires_after(10ms);
    t.async_wait([&](auto ec) { done = !ec; });
    io.run_for(2s);
    CHECK(done);
}

#include "clock/duration.hpp"

TEST_CASE("durations parse the way configs write them", "[duration]") {
    SECTION("single units") {
        CHECK(parse_duration("300s") == Duration(300s));
        CHECK(parse_duration("5m") == Duration(5min));
        CHECK(parse_duration("1h") == Duration(1h));
        CHECK(parse_duration("5d") == Duration(120h));
        CHECK(parse_duration("250ms") == Duration(250ms));
    }
    SECTION("combined") { CHECK(parse_duration("1h30m") == Duration(90min)); }
    SECTION("malformed") {
        for (auto bad : {"", "5", "m", "5x", "-5s", "5 s", "1h-", "99999999999999999999d"})
            CHECK_FALSE(parse_duration(bad).has_value());
    }
    SECTION("too long for the nanosecond clock: refused, not overflowed") {
        // fuzz_zone, 10-minute run: "037754781559494s" fit in milliseconds but overflowed the
        // conversion to nanoseconds (UBSan: signed integer overflow in <chrono>).
        CHECK_FALSE(parse_duration("037754781559494s"));
        CHECK_FALSE(parse_duration("30000d"));   // 82 years
        CHECK_FALSE(parse_duration("26000d1000d"));
        CHECK(parse_duration("3650d") == Duration(std::chrono::hours(24 * 3650)));  // ten years are fine
    }
    SECTION("format round-trips") {
        for (auto text : {"5d", "1h30m", "250ms", "0s", "4000s"}) {
            auto d = parse_duration(text);
            REQUIRE(d);
            CHECK(parse_duration(format_duration(*d)) == d);
        }
        CHECK(format_duration(4000s) == "1h6m40s");
    }
}

TEST_CASE("timestamps format as ISO 8601 and RFC 5322", "[duration]") {
    auto t = parse_time("2009-06-01T10:00:00Z");
    REQUIRE(t);
    CHECK(format_time(*t + 1500ms) == "2009-06-01T10:00:01.500Z");
    CHECK(format_rfc5322(*t) == "Mon, 01 Jun 2009 10:00:00 +0000");
    CHECK_FALSE(parse_time("2009-13-01T10:00:00Z"));
    CHECK_FALSE(parse_time("yesterday"));
}

TEST_CASE("parse_time takes only what it can represent, digits where digits belong", "[duration]") {
    CHECK(format_time(*parse_time("2008-02-29T23:59:60.25Z")) == "2008-03-01T00:00:00.250Z");  // a leap second rolls over
    CHECK(format_time(*parse_time("1969-12-31T23:59:59")) == "1969-12-31T23:59:59.000Z");
    CHECK(parse_time("2009-06-01T10:00:00.5Z") == parse_time("2009-06-01T10:00:00.500Z"));
    CHECK_FALSE(parse_time("2009-02-29T10:00:00Z"));   // not a leap year
    CHECK_FALSE(parse_time("2009-06-31T10:00:00Z"));
    CHECK_FALSE(parse_time("2009-06-01T-1:00:00Z"));   // sscanf's %2d read -1
    CHECK_FALSE(parse_time("2009-06-01T10:-5:00Z"));
    CHECK_FALSE(parse_time("2009-06-01T24:00:00Z"));
    CHECK_FALSE(parse_time("0016-06-01T10:00:00Z"));   // before TimePoint's range: overflowed (UBSan, fuzz_scenario)
    CHECK_FALSE(parse_time("2262-06-01T10:00:00Z"));   // after it
    CHECK_FALSE(parse_time("2009-06-01T10:00:00.Z"));
    CHECK_FALSE(parse_time("2009-06-01T10:00:00+09:00"));
    CHECK_FALSE(parse_time("2009-06-01 10:00:00Z"));
    CHECK_FALSE(parse_time("2009-06-01T10:00"));
    CHECK_FALSE(parse_time(""));
}

// The formatters compute the calendar themselves; libc's gmtime_r + strftime is the reference, over
// leap days, year ends, every weekday, times before 1970 and sub-second parts.
TEST_CASE("timestamps agree with gmtime over leap days, year ends and times before 1970", "[duration]") {
    auto reference = [](TimePoint t, const char* fmt) {
        auto secs = std::chrono::floor<std::chrono::seconds>(t);
        std::time_t tt = secs.time_since_epoch().count();
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, fmt, &tm);
        return std::string(buf);
    };
    std::vector<std::int64_t> seconds = {0, -1, -86'400, -2'208'988'800, 951'782'400, 951'868'799, 1'230'767'999,
                                         1'243'850'400, 4'107'542'399, 9'214'000'000};  // TimePoint counts ns: 2262 is its end
    for (std::int64_t d = 0; d < 800; ++d) seconds.push_back(1'230'000'000 + d * 86'400 + d * 37);
    for (auto s : seconds) {
        for (auto ms : {0, 7, 999}) {
            TimePoint t = TimePoint{} + std::chrono::seconds(s) + std::chrono::milliseconds(ms);
            char millis[8];
            std::snprintf(millis, sizeof millis, ".%03dZ", ms);
            INFO(s << " s + " << ms << " ms");
            CHECK(format_time(t) == reference(t, "%Y-%m-%dT%H:%M:%S") + millis);
            CHECK(format_rfc5322(t) == reference(t, "%a, %d %b %Y %H:%M:%S +0000"));
        }
    }
    CHECK(format_time(TimePoint{} - 1ms) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("a timer set to TimePoint::max() waits for cancel, never for the clock", "[clock]") {
    boost::asio::io_context io;
    VirtualClock clock(TimePoint{});
    Timer t(io.get_executor(), clock);
    std::string result;
    t.expires_at(TimePoint::max());
    t.async_wait([&](auto ec) { result = ec ? "woken" : "expired"; });
    io.poll();
    CHECK_FALSE(clock.next_deadline());
    CHECK_FALSE(clock.advance());
    t.cancel();
    io.poll();
    CHECK(result == "woken");

    RealClock real;
    Timer r(io.get_executor(), real);
    r.expires_at(TimePoint::max());
    r.async_wait([&](auto ec) { result = ec ? "real-woken" : "real-expired"; });
    io.restart();
    io.poll();
    r.cancel();
    io.poll();
    CHECK(result == "real-woken");
}
