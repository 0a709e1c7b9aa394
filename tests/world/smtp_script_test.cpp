#include "scenarios/world/smtp_policy.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "smtpserver/session.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab;
using namespace relaylab::world;
using namespace std::chrono_literals;

namespace {

MtaScript script(std::string_view text) {
    auto r = parse_mta_script(text);
    if (auto* e = std::get_if<MtaScriptError>(&r)) FAIL("script error: " << e->str());
    return std::get<MtaScript>(r);
}

std::string error(std::string_view text) {
    auto r = parse_mta_script(text);
    if (auto* e = std::get_if<MtaScriptError>(&r)) return e->str();
    return "(no error)";
}

// Runs a whole client dialogue through ServerSession with a ScriptedPolicy, no sockets.
struct Harness {
    Harness(const MtaScript& s, std::size_t attempt)
        : clock(TimePoint{} + 1000s),
          policy(s, attempt, clock, [this](const auto& f) { f(record); }),
          session(policy, s.server_config()) {}
    VirtualClock clock;
    ReceivedConnection record;
    ScriptedPolicy policy;
    smtp::ServerSession session;
};

}  // namespace

TEST_CASE("MTA scripts load with precise errors", "[world][smtp][script]") {
    SECTION("defaults are an accepting MTA") {
        auto s = script("{}");
        CHECK(s.hostname == "mx.example");
        CHECK(s.max_message_bytes == 10240000);
        CHECK_FALSE(s.step(MtaStage::Mail, 0));
    }
    SECTION("the brief's example") {
        auto s = script(R"({ "hostname": "mx1.isp.example",
          "capabilities": ["PIPELINING", "SIZE 2048", "8BITMIME", "ENHANCEDSTATUSCODES"],
          "greeting": {"reply": "220 mx1.isp.example ESMTP"},
          "mail": {"reply": "553 malformed address"},
          "rcpt": {"reply": "250 2.1.5 Ok"},
          "recipients": {"nobody@isp.example": {"reply": "550 5.1.1 <nobody@isp.example>: User unknown"}},
          "attempts": [ {"rcpt": {"reply": "451 4.7.1 Greylisted, try again", "delay": "2s"}} ],
          "data_body": {"action": "drop", "after_bytes": 100} })");
        CHECK(s.max_message_bytes == 2048);
        CHECK(s.mail_step("q.@docomo.ne.jp", 0)->reply->code() == 553);
        CHECK(s.rcpt_step("x@isp.example", 0)->reply->code() == 451);
        CHECK(s.rcpt_step("x@isp.example", 0)->delay == 2s);
        CHECK(s.rcpt_step("x@isp.example", 1)->reply->code() == 250);
        CHECK(s.rcpt_step("NOBODY@isp.example", 1)->reply->code() == 550);
        CHECK(s.step(MtaStage::DataBody, 5)->after_bytes == 100);
    }
    SECTION("unknown keys name their JSON path") {
        CHECK(error(R"({"mial": {}})") == "mial: unknown key");
        CHECK(error(R"({"attempts": [{}, {"rcpt": {"delya": "2s"}}]})") == "attempts[1].rcpt.delya: unknown key");
        CHECK(error(R"({"recipients": {"a@b": {"after_bytes": 3}}})") == "recipients[\"a@b\"].after_bytes: unknown key");
    }
    SECTION("bad values") {
        CHECK_THAT(error(R"({"mail": {"reply": "malformed"}})"), Catch::Matchers::StartsWith("mail.reply: "));
        CHECK_THAT(error(R"({"mail": {"reply": ["550-a", "551 b"]}})"), Catch::Matchers::StartsWith("mail.reply: "));
        CHECK_THAT(error(R"({"mail": {"delay": "2 parsecs"}})"), Catch::Matchers::StartsWith("mail.delay: bad duration"));
        CHECK_THAT(error(R"({"mail": {"action": "explode"}})"), Catch::Matchers::StartsWith("mail.action: "));
        CHECK_THAT(error(R"({"mail": {"action": "drop", "reply": "421 x"}})"), Catch::Matchers::StartsWith("mail.reply: "));
        CHECK_THAT(error(R"([])"), Catch::Matchers::StartsWith("(top): "));
    }
    SECTION("syntax errors give line:col") {
        CHECK_THAT(error("{\n  \"mail\": {\"reply\": \"553 x\",}\n}"), Catch::Matchers::StartsWith("2:29: syntax error"));
        CHECK_THAT(error(""), Catch::Matchers::StartsWith("1:1: "));
    }
    SECTION("malformed local parts") {
        CHECK(malformed_local_part("q.@docomo.ne.jp"));
        CHECK(malformed_local_part("p..q.@docomo.ne.jp"));
        CHECK(malformed_local_part(".q@docomo.ne.jp"));
        CHECK_FALSE(malformed_local_part("\"q.\"@docomo.ne.jp"));
        CHECK_FALSE(malformed_local_part("p.q@docomo.ne.jp"));
        CHECK_FALSE(malformed_local_part(""));
    }
}

TEST_CASE("a scripted policy answers per attempt and records what it received", "[world][smtp][policy]") {
    auto s = script(R"({ "hostname": "mx1.isp.example",
        "malformed_sender": {"reply": "553 malformed address"},
        "recipients": {"nobody@isp.example": {"reply": ["550-5.1.1 User unknown", "550 5.1.1 really"]}},
        "attempts": [ {"rcpt": {"reply": "451 4.7.1 Greylisted"}} ] })");
    const std::string client =
        "EHLO handset.gw\r\nMAIL FROM:<q.@docomo.ne.jp>\r\nMAIL FROM:<\"q.\"@docomo.ne.jp>\r\n"
        "RCPT TO:<x@isp.example>\r\nRCPT TO:<nobody@isp.example>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n";
    SECTION("first attempt: 553 for the raw form, greylisted recipient") {
        Harness h(s, 0);
        CHECK(h.session.start().write == "220 mx1.isp.example ESMTP\r\n");
        auto r = h.session.feed(client);
        CHECK(r.write.find("553 malformed address\r\n250 2.1.0 Ok\r\n451 4.7.1 Greylisted\r\n451 4.7.1 Greylisted\r\n"
                           "554 5.5.1 Error: no valid recipients\r\n") != std::string::npos);
        CHECK(h.record.helo == "handset.gw");
        REQUIRE(h.record.transactions.size() == 2);
        CHECK(h.record.transactions[0].mail_from == "q.@docomo.ne.jp");
        CHECK(h.record.transactions[1].mail_from == "\"q.\"@docomo.ne.jp");
        CHECK(h.record.transactions[1].rcpt_to == std::vector<std::string>{"x@isp.example", "nobody@isp.example"});
        CHECK(h.record.closed == smtp::CloseReason::Quit);
        REQUIRE(h.record.dialogue.size() > 3);
        CHECK(h.record.dialogue[0].dir == 'S');
        CHECK(h.record.dialogue[0].at == TimePoint{} + 1000s);
    }
    SECTION("second attempt: base script, message recorded") {
        Harness h(s, 1);
        h.session.start();
        auto r = h.session.feed(client);
        CHECK(r.write.find("250 2.1.5 Ok\r\n550-5.1.1 User unknown\r\n550 5.1.1 really\r\n354 ") != std::string::npos);
        REQUIRE(h.record.transactions.size() == 2);
        CHECK(h.record.transactions[1].message == std::string("hello\r\n"));
    }
}

TEST_CASE("a step's schedule changes the answer over time: attempt, then window, then base", "[world][smtp][script][schedule]") {
    auto s = script(R"({
      "recipients": {"bob@isp.example": {"reply": "552 5.2.2 Mailbox full",
                                         "schedule": [{"until": "2d", "reply": "452 4.2.2 Mailbox full, try again later"}]}},
      "rcpt": {"schedule": [{"from": "1h", "until": "2h", "reply": "451 4.3.0 busy"}]},
      "mail": {"reply": "250 2.1.0 Ok", "schedule": [{"from": "10m", "until": "20m", "action": "drop"},
                                                     {"from": "15m", "reply": "421 4.3.2 shutting down"}]},
      "attempts": [{"recipients": {"bob@isp.example": {"reply": "550 5.1.1 first attempt only"}}},
                   {"recipients": {"bob@isp.example": {"schedule": [{"from": "3d", "reply": "250 2.1.5 ok"}]}}}] })");
    SECTION("inside the window the window's step, outside it the step's own") {
        CHECK(s.rcpt_step("bob@isp.example", 5, 0s)->reply->code() == 452);
        CHECK(s.rcpt_step("bob@isp.example", 5, 47h)->reply->code() == 452);
        CHECK(s.rcpt_step("bob@isp.example", 5, 48h)->reply->code() == 552);  // until is exclusive
        CHECK(s.rcpt_step("BOB@isp.example", 5, 100h)->reply->code() == 552);
    }
    SECTION("the attempt's override beats the base's window") {
        CHECK(s.rcpt_step("bob@isp.example", 0, 1h)->reply->code() == 550);
    }
    SECTION("an attempt's schedule-only step applies only inside its window, then the base decides") {
        CHECK(s.rcpt_step("bob@isp.example", 1, 1h)->reply->code() == 452);   // base window
        CHECK(s.rcpt_step("bob@isp.example", 1, 49h)->reply->code() == 552);  // base step
        CHECK(s.rcpt_step("bob@isp.example", 1, 73h)->reply->code() == 250);  // the attempt's window
    }
    SECTION("a schedule-only stage key is an accepting MTA outside its windows") {
        CHECK_FALSE(s.rcpt_step("carol@isp.example", 5, 59min));
        CHECK(s.rcpt_step("carol@isp.example", 5, 90min)->reply->code() == 451);
        CHECK_FALSE(s.rcpt_step("carol@isp.example", 5, 2h));
    }
    SECTION("the first window that contains the time wins") {
        CHECK(s.mail_step("a@docomo.ne.jp", 5, 5min)->reply->code() == 250);
        CHECK(s.mail_step("a@docomo.ne.jp", 5, 16min)->action == smtp::DecisionAction::Drop);
        CHECK(s.mail_step("a@docomo.ne.jp", 5, 21min)->reply->code() == 421);
    }
    SECTION("a session asks at the time each command arrives, from the run's start") {
        VirtualClock clock(TimePoint{} + 1000s);
        ReceivedConnection record;
        ScriptedPolicy policy(s, 5, clock, [&](const auto& f) { f(record); }, {}, TimePoint{} + 1000s);
        smtp::ServerSession session(policy, s.server_config());
        session.start();
        session.feed("EHLO relay\r\nMAIL FROM:<a@docomo.ne.jp>\r\n");
        clock.advance_to(clock.now() + 24h);
        auto r = session.feed("RCPT TO:<bob@isp.example>\r\n");
        CHECK(r.write == "452 4.2.2 Mailbox full, try again later\r\n");
        clock.advance_to(clock.now() + 24h);
        r = session.feed("RCPT TO:<bob@isp.example>\r\n");
        CHECK(r.write == "552 5.2.2 Mailbox full\r\n");
    }
}

TEST_CASE("schedule mistakes name their JSON path", "[world][smtp][script][schedule]") {
    CHECK(error(R"({"rcpt": {"schedule": []}})") ==
          "rcpt.schedule: must be a non-empty list of windows {\"from\", \"until\", \"reply\", ...}");
    CHECK(error(R"({"rcpt": {"schedule": [{"from": "2h", "until": "1h", "reply": "451 x"}]}})") ==
          "rcpt.schedule[0].until: must be later than \"from\"");
    CHECK(error(R"({"recipients": {"a@b": {"schedule": [{"until": "2 days"}]}}})")
              .rfind("recipients[\"a@b\"].schedule[0].until: bad duration", 0) == 0);
    CHECK(error(R"({"malformed_sender": {"schedule": [{"reply": "553 x", "schedule": []}]}})") ==
          "malformed_sender.schedule[0].schedule: unknown key");
    CHECK(error(R"({"attempts": [{"mail": {"schedule": [{"action": "drop", "reply": "421 x"}]}}]})") ==
          "attempts[0].mail.schedule[0].reply: a reply is never sent with action \"drop\"");
    CHECK(error(R"({"senders": {"a@b": {"schedule": [7]}}})").rfind("senders[\"a@b\"].schedule[0]: a window must be", 0) == 0);
}
