// The control protocol's core (queue/control.hpp): command lines in, typed commands or errors
// out; answers formatted and read back. No sockets.
#include "queue/control.hpp"
#include "queue/queue.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace relaylab;
using namespace relaylab::gw;

namespace {

ControlParse parse(std::string_view line) { return parse_control_command(line); }

bool is_error(const ControlParse& p, ControlError e) {
    const auto* got = std::get_if<ControlError>(&p);
    return got && *got == e;
}

bool is_command(const ControlParse& p, ControlCommand c) {
    const auto* got = std::get_if<ControlCommand>(&p);
    return got && *got == c;
}

}  // namespace

TEST_CASE("control commands parse into typed commands", "[control]") {
    SECTION("retry all") { CHECK(is_command(parse("retry all"), {ControlVerb::RetryAll, 0})); }
    SECTION("retry ID") { CHECK(is_command(parse("retry 42"), {ControlVerb::Retry, 42})); }
    SECTION("delete ID") { CHECK(is_command(parse("delete 7"), {ControlVerb::Delete, 7})); }
    SECTION("keywords in any case, words separated by spaces or tabs") {
        CHECK(is_command(parse("RETRY ALL"), {ControlVerb::RetryAll, 0}));
        CHECK(is_command(parse("  Delete\t 9 "), {ControlVerb::Delete, 9}));
    }
    SECTION("the largest queue id") {
        CHECK(is_command(parse("delete 18446744073709551615"), {ControlVerb::Delete, 18446744073709551615u}));
    }
}

TEST_CASE("control commands that are not commands are malformed", "[control]") {
    const std::vector<std::string_view> lines{"", " ", "retry", "delete", "delete all", "retry 0", "retry -1", "retry +1",
                                 "retry 0x10", "retry 1a", "retry 18446744073709551616", "retry 1 2", "flush",
                                 "retry all now", "delete 1;rm", "retry\x01 1", std::string_view("retry \0 1", 9),
                                 "retry \xe3\x81\x82"};
    for (std::string_view bad : lines) {
        INFO("line: " << bad);
        CHECK(is_error(parse(bad), ControlError::Malformed));
    }
}

TEST_CASE("the line reader finds one line, LF or CRLF, and bounds it", "[control]") {
    ControlLineReader reader(256);
    SECTION("LF") { CHECK(is_command(*reader.feed("retry 3\n"), {ControlVerb::Retry, 3})); }
    SECTION("CRLF") { CHECK(is_command(*reader.feed("retry 3\r\n"), {ControlVerb::Retry, 3})); }
    SECTION("split at every byte position") {
        const std::string line = "delete 12345\r\n";
        for (std::size_t cut = 0; cut <= line.size(); ++cut) {
            ControlLineReader r(256);
            auto first = r.feed(line.substr(0, cut));
            auto result = first ? first : r.feed(line.substr(cut));
            INFO("cut at " << cut);
            REQUIRE(result);
            CHECK(is_command(*result, {ControlVerb::Delete, 12345}));
        }
    }
    SECTION("byte by byte, with bytes after the line ignored") {
        std::optional<ControlParse> result;
        for (char c : std::string("retry all\nretry 5\n"))
            if (!result) result = reader.feed(std::string_view(&c, 1));
        REQUIRE(result);
        CHECK(is_command(*result, {ControlVerb::RetryAll, 0}));
        CHECK(is_command(*reader.feed("more"), {ControlVerb::RetryAll, 0}));  // the answer stays
    }
    SECTION("no line end yet: more is needed") {
        CHECK_FALSE(reader.feed("retry 1"));
        CHECK(is_error(reader.end_of_input(), ControlError::Malformed));
    }
    SECTION("256 bytes with the LF is the most a line may take") {
        std::string fits = "retry 1" + std::string(255 - 7, ' ') + "\n";
        REQUIRE(fits.size() == 256);
        CHECK(is_command(*reader.feed(fits), {ControlVerb::Retry, 1}));
    }
    SECTION("257 bytes is too long, whether it ends or not") {
        std::string longer = "retry 1" + std::string(256 - 7, ' ') + "\n";
        REQUIRE(longer.size() == 257);
        CHECK(is_error(*reader.feed(longer), ControlError::LineTooLong));
        ControlLineReader r2(256);
        CHECK_FALSE(r2.feed(std::string(200, ' ')));
        CHECK(is_error(*r2.feed(std::string(56, ' ')), ControlError::LineTooLong));
    }
    SECTION("a megabyte without a line end stops at the bound") {
        CHECK(is_error(*reader.feed(std::string(1 << 20, 'x')), ControlError::LineTooLong));
    }
}

TEST_CASE("control answers are one line and read back", "[control]") {
    SECTION("ok N") {
        CHECK(format_control_answer({std::nullopt, 3}) == "ok 3\n");
        CHECK(parse_control_answer("ok 3") == ControlAnswer{std::nullopt, 3});
        CHECK(parse_control_answer("ok 0\r") == ControlAnswer{std::nullopt, 0});
    }
    SECTION("every error reads back as itself") {
        for (auto e : {ControlError::Malformed, ControlError::LineTooLong, ControlError::NoSuchMessage,
                       ControlError::InFlight, ControlError::Busy, ControlError::Timeout, ControlError::SpoolWrite,
                       ControlError::NotPermitted}) {
            std::string line = format_control_answer({e, 0});
            CHECK(line.back() == '\n');
            CHECK(line.size() <= ControlLimits{}.max_line_bytes);
            line.pop_back();
            CHECK(parse_control_answer(line) == ControlAnswer{e, 0});
        }
        CHECK(format_control_answer({ControlError::NoSuchMessage, 0}) == "error unknown queue id\n");
        CHECK(format_control_answer({ControlError::InFlight, 0}) == "error in flight, try again\n");
    }
    SECTION("anything else is not an answer") {
        for (std::string_view bad : {"", "ok", "ok ", "ok x", "ok 1 2", "error", "error who knows", "OK 1"}) {
            INFO("line: " << bad);
            CHECK_FALSE(parse_control_answer(bad));
        }
    }
    SECTION("what a client sends parses back into the same command") {
        for (auto c : {ControlCommand{ControlVerb::RetryAll, 0}, ControlCommand{ControlVerb::Retry, 5},
                       ControlCommand{ControlVerb::Delete, 77}}) {
            ControlLineReader r;
            CHECK(is_command(*r.feed(control_command_line(c)), c));
        }
    }
}

TEST_CASE("a forced retry makes a message's waiting recipients due now", "[control]") {
    const TimePoint t0 = TimePoint{} + std::chrono::hours(24 * 365 * 40);
    Queue q(RetrySchedule{}, QueueLimits{});
    auto id = q.add(Envelope{"a@docomo.ne.jp", {"b@x.example", "c@y.example"}}, "x", t0);
    auto jobs = q.take_ready(t0, 10);
    REQUIRE(jobs.size() == 2);
    for (auto& j : jobs) q.finish_job(j);
    q.record(id, 0, AttemptVerdict::FailedTemporarily, t0);  // deferred
    q.record(id, 1, AttemptVerdict::Delivered, t0);          // delivered
    REQUIRE(q.next_due());
    REQUIRE(*q.next_due() > t0 + std::chrono::minutes(1));
    SECTION("the deferred recipient is due at once, the delivered one stays done") {
        CHECK(q.make_due(id, t0 + std::chrono::seconds(1)) == 1);
        CHECK(q.next_due() == t0 + std::chrono::seconds(1));
        auto again = q.take_ready(t0 + std::chrono::seconds(1), 10);
        REQUIRE(again.size() == 1);
        CHECK(again[0].recipients == std::vector<std::size_t>{0});
    }
    SECTION("an unknown id changes nothing") {
        CHECK(q.make_due(id + 1, t0) == 0);
        CHECK(q.ids() == std::vector<MessageId>{id});
    }
}
