// Scenario files in, typed scenarios or precise errors out; run records in, PASS/FAIL out.
#include "scenarios/expectations.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::scn;
using namespace std::chrono_literals;

namespace {

const std::string minimal = R"({
  "world": { "dns": { "names": { "isp.example": { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ] } } },
             "remotes": { "mx1.isp.example": { "profile": "exchange-2009", "script": { "ehlo": {"reply": "502 5.5.2 no"} } } } },
  "gateway": { "policy": "accurate", "retry": { "lifetime": "1h" } },
  "submissions": [ { "at": "5m", "from": "q.@docomo.ne.jp", "to": "user@isp.example" },
                   { "from": "a@docomo.ne.jp", "to": ["b@isp.example", "c@isp.example"], "subject": "hi" } ],
  "expect": [ { "recipient": "user@isp.example", "status": "bounced", "dsn": "5.1.7", "final_at": {"before": "10m"} },
              { "notice": "q.@docomo.ne.jp", "contains": "553", "delivery_status": {"Status": "5.1.7"} },
              { "remote": "MX1.isp.example", "mail_from": "q.@docomo.ne.jp", "rcpt_to": ["user@isp.example"] },
              { "handset": "a@docomo.ne.jp", "notices": 0, "name": "no notice" },
              { "nothing_lost": true } ]
})";

std::string error_of(const std::string& text) {
    try {
        parse_scenario(JsonSource("s.json", text));
    } catch (const JsonSourceError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a scenario file becomes a typed scenario", "[scenario]") {
    Scenario s = parse_scenario(JsonSource("dir/my-case.json", minimal));
    SECTION("defaults: name from the file, the 2009 start, gateway keys as in live mode") {
        CHECK(s.name == "my-case");
        CHECK(s.start == default_start);
        CHECK(s.gateway.policy == "accurate");
        CHECK(s.gateway.retry.lifetime == 1h);
        CHECK_FALSE(s.has_external());
    }
    SECTION("submissions are sorted by time, a single recipient may be a string") {
        REQUIRE(s.submissions.size() == 2);
        CHECK(s.submissions[0].from == "a@docomo.ne.jp");
        CHECK(s.submissions[0].to == std::vector<std::string>{"b@isp.example", "c@isp.example"});
        CHECK(s.submissions[1].at == 5min);
        CHECK(s.submissions[1].to == std::vector<std::string>{"user@isp.example"});
        CHECK(s.submissions[1].subject == "test");
    }
    SECTION("a profile fills the script, the scenario's keys override it, the host names it") {
        REQUIRE(s.remotes.size() == 1);
        const auto& m = s.remotes[0].script;
        CHECK(m.hostname == "mx1.isp.example");
        REQUIRE(m.base.malformed_sender);
        CHECK(m.base.malformed_sender->reply->lines.front().find("malformed address") != std::string::npos);
        auto ehlo = m.step(world::MtaStage::Ehlo, 0);
        REQUIRE(ehlo);
        CHECK(ehlo->reply->code() == 502);
        auto greeting = m.step(world::MtaStage::Greeting, 0);
        REQUIRE(greeting);
        CHECK(greeting->reply->lines.front().find("mx1.isp.example") != std::string::npos);
    }
    SECTION("expectations: kinds, names, pointers, lower-cased remote hosts") {
        REQUIRE(s.expectations.size() == 5);
        CHECK(s.expectations[0].kind == ExpectKind::Recipient);
        CHECK(s.expectations[0].final_at->before == 10min);
        CHECK(s.expectations[1].contains == std::vector<std::string>{"553"});
        CHECK(s.expectations[2].subject == "mx1.isp.example");
        CHECK(s.expectations[3].name == "no notice");
        CHECK(s.expectations[3].pointer == "/expect/3");
        CHECK(s.expectations[4].kind == ExpectKind::NothingLost);
        CHECK(s.expectations[0].name == "1: recipient user@isp.example");
    }
}

TEST_CASE("scenario mistakes are reported at file:line:col with the key", "[scenario]") {
    SECTION("unknown top-level key") {
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}],
  "expectations": []})") .rfind("s.json:2:3:", 0) == 0);
    }
    SECTION("unknown key inside a remote's script points into the script") {
        auto e = error_of(R"({"world": {"remotes": {"mx.isp.example": {"script": {
    "rcpt": {"reply": "250 ok", "delya": "1s"}}}}},
  "submissions": [{"from": "a@b", "to": "c@d"}]})");
        CHECK(e.rfind("s.json:2:", 0) == 0);
        CHECK(e.find("delya") != std::string::npos);
    }
    SECTION("unknown profile lists the known ones") {
        auto e = error_of(R"({"world": {"remotes": {"mx.isp.example": {"profile": "lotus"}}},
  "submissions": [{"from": "a@b", "to": "c@d"}]})");
        CHECK(e.rfind("s.json:1:", 0) == 0);
        CHECK(e.find("exchange-2009") != std::string::npos);
        CHECK(e.find("opensmtpd") != std::string::npos);
    }
    SECTION("bad duration") {
        auto e = error_of(R"({"world": {}, "submissions": [{"at": "5 minutes", "from": "a@b", "to": "c@d"}]})");
        CHECK(e.find("s.json:1:") == 0);
        CHECK(e.find("at: expected a duration") != std::string::npos);
    }
    SECTION("gateway keys are checked by the live-mode reader") {
        auto e = error_of(R"({"world": {}, "gateway": {"polcy": "accurate"}, "submissions": [{"from": "a@b", "to": "c@d"}]})");
        CHECK(e.find("polcy") != std::string::npos);
    }
    SECTION("zone errors keep their position") {
        auto e = error_of(R"({"world": {"dns": {"names": {"x.example": {"a": ["not-an-ip"]}}}},
  "submissions": [{"from": "a@b", "to": "c@d"}]})");
        CHECK(e.rfind("s.json:1:", 0) == 0);
    }
    SECTION("an expectation must say what it is about; statuses are a closed set") {
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}], "expect": [{"status": "bounced"}]})")
                  .find("recipient, notice, remote, handset, nothing_lost") != std::string::npos);
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}], "expect": [{"recipient": "c@d", "status": "lost"}]})")
                  .find("status: expected delivered") != std::string::npos);
    }
    SECTION("an external remote is IP:PORT on loopback, without a script") {
        CHECK(error_of(R"({"world": {"remotes": {"mx.x": {"external": "192.0.2.1:25"}}}, "submissions": [{"from": "a@b", "to": "c@d"}]})")
                  .find("127.0.0.0/8") != std::string::npos);
        auto s = parse_scenario(JsonSource("s.json", R"({"world": {"remotes": {"mx.x": {"external": "127.0.0.1:2525"}}}, "submissions": [{"from": "a@b", "to": "c@d"}]})"));
        CHECK(s.has_external());
        CHECK(s.remotes[0].external_port == 2525);
    }
    SECTION("no submissions") {
        CHECK(error_of(R"({"world": {}, "submissions": []})").find("non-empty") != std::string::npos);
    }
}

TEST_CASE("the delivery-status part of a notice is read back field by field, unfolded", "[scenario]") {
    std::string notice =
        "Subject: x\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay\r\n\r\n"
        "Final-Recipient: rfc822; user@isp.example\r\nAction: failed\r\nStatus: 5.1.7\r\n"
        "Diagnostic-Code: smtp; 553 a very long\r\n reply text\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: x\r\n";
    auto f = delivery_status_fields(notice);
    CHECK(f["Reporting-MTA"] == "dns; relay");
    CHECK(f["Status"] == "5.1.7");
    CHECK(f["Diagnostic-Code"] == "smtp; 553 a very long reply text");
    CHECK(f.count("From") == 0);
    CHECK(delivery_status_fields("no such part").empty());
}

TEST_CASE("expectations pass and fail against a run record", "[scenario]") {
    Scenario s = parse_scenario(JsonSource("s.json", minimal));
    RunRecord run;
    run.start = s.start;
    run.finished = true;
    RecipientRecord r;
    r.submission = 1;
    r.address = "user@isp.example";
    r.status = "bounced";
    r.dsn = "5.1.7";
    r.final_at = s.start + 5min;
    run.recipients.push_back(r);
    NoticeRecord n;
    n.handset = "q.@docomo.ne.jp";
    n.kind = "failure";
    n.body = "It replied: 553 malformed address";
    n.final_recipient = "user@isp.example";
    n.delivery_status["Status"] = "5.1.7";
    run.notices.push_back(n);
    run.remotes.push_back({"mx1.isp.example", "127.0.0.10", false, 1, {{"q.@docomo.ne.jp", {"user@isp.example"}, false}}});

    SECTION("all hold") {
        auto results = check_expectations(s, run);
        REQUIRE(results.size() == 5);
        for (const auto& x : results) CHECK(x.passed);
        ScenarioReport rep{"s.json", "s", "", std::nullopt, run, results};
        CHECK(summary_line({rep}) == "5 passed, 0 failed");
        CHECK(junit_report({rep}).find("tests=\"5\" failures=\"0\"") != std::string::npos);
    }
    SECTION("each kind can fail, and says why") {
        run.recipients[0].dsn = "5.0.0";
        run.notices[0].delivery_status["Status"] = "5.0.0";
        run.remotes[0].transactions[0].mail_from = "\"q.\"@docomo.ne.jp";
        run.notices.push_back(n);
        run.notices.back().handset = "a@docomo.ne.jp";
        run.recipients.push_back(r);
        run.recipients.back().address = "b@isp.example";
        run.recipients.back().status = "pending";
        auto results = check_expectations(s, run);
        for (const auto& x : results) CHECK_FALSE(x.passed);
        CHECK(results[0].failures.front() == "dsn: expected \"5.1.7\", got \"5.0.0\"");
        ScenarioReport rep{"s.json", "s", "", std::nullopt, run, results};
        CHECK(summary_line({rep}) == "0 passed, 5 failed");
        auto text = text_report(rep);
        CHECK(text.find("FAIL 1: recipient user@isp.example\n       dsn: expected") != std::string::npos);
        auto junit = junit_report({rep});
        CHECK(junit.find("<failure message=\"dsn: expected &quot;5.1.7&quot;") != std::string::npos);
    }
    SECTION("a scenario that could not run counts as one failure") {
        ScenarioReport rep;
        rep.error = "s.json:1:1: broken";
        CHECK(summary_line({rep}) == "0 passed, 1 failed");
        CHECK(json_report({rep})["failed"] == 1);
    }
}
