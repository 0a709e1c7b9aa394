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

TEST_CASE("the loader names every mistake in a file, in file order, each at file:line:col", "[scenario]") {
    SECTION("mistakes in different parts: a duration, a remote, a submission, two expectations") {
        auto e = error_of(R"({"limit": "soon",
  "world": {"remotes": {"mx.isp.example": {"profile": "lotus"}}},
  "submissions": [{"from": "a@b", "to": "c@d", "at": "later"}],
  "expect": [{"recipient": "c@d", "stage": "rcp"},
             {"notice": "a@b", "kind": "bounce", "claims": "host_unknwon"}]})");
        CHECK(e.find("s.json:1:2: at /limit: limit: expected a duration") == 0);
        CHECK(e.find("\ns.json:2:") != std::string::npos);
        CHECK(e.find("lotus") != std::string::npos);
        CHECK(e.find("\ns.json:3:") != std::string::npos);
        CHECK(e.find("at: expected a duration") != std::string::npos);
        CHECK(e.find("\ns.json:4:") != std::string::npos);
        CHECK(e.find("\"rcp\" is not a stage: expected dns, connect, greeting") != std::string::npos);
        CHECK(e.find("\"bounce\" is not a notice kind: expected failure or delay") != std::string::npos);
        CHECK(e.find("\"host_unknwon\" is not a claim") != std::string::npos);
        CHECK(std::count(e.begin(), e.end(), '\n') == 5);  // six mistakes, one a line
    }
    SECTION("the exception's own position is the first mistake's, and the list is there to walk") {
        try {
            parse_scenario(JsonSource("s.json", R"({"world": {},
  "submissions": [{"from": "a@b", "to": "c@d"}],
  "expect": [{"recipient": "c@d", "class": "mailbox_ful", "status": "lost"}]})"));
            FAIL("loaded");
        } catch (const ScenarioErrors& e) {
            CHECK(e.line() == 3);
            REQUIRE(e.mistakes().size() == 2);
            CHECK(e.mistakes()[0].message().find("\"mailbox_ful\" is not a failure class") != std::string::npos);
            CHECK(e.mistakes()[1].message().find("not \"lost\"") != std::string::npos);
        }
    }
    SECTION("it stops after max_reported_mistakes, and says so") {
        std::string expect;
        for (int i = 0; i < 60; ++i) expect += std::string(i ? ", " : "") + R"({"recipient": "c@d", "stage": "rcp"})";
        try {
            parse_scenario(JsonSource("s.json", R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}], "expect": [)" + expect + "]}"));
            FAIL("loaded");
        } catch (const ScenarioErrors& e) {
            CHECK(e.mistakes().size() == max_reported_mistakes);
            CHECK(std::string(e.what()).find("\ns.json: stopped after 50 mistakes") != std::string::npos);
        }
    }
    SECTION("the values the library uses load") {
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}],
  "expect": [{"recipient": "c@d", "stage": "dns", "class": "dns_nxdomain", "status": "bounced"},
             {"notice": "a@b", "kind": "delay", "claims": "host_unknown"}]})") == "");
    }
    SECTION("a scenario may pin its seed, a whole number") {
        auto s = parse_scenario(JsonSource("s.json", R"({"seed": 7, "world": {}, "submissions": [{"from": "a@b", "to": "c@d"}]})"));
        CHECK(s.seed == std::uint64_t{7});
        CHECK(error_of(R"({"seed": -1, "world": {}, "submissions": [{"from": "a@b", "to": "c@d"}]})").find("seed: expected a whole number") !=
              std::string::npos);
        CHECK_FALSE(parse_scenario(JsonSource("s.json", R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}]})")).seed);
    }
}

namespace {

// A scenario whose one remote has the given "address" (JSON-escaped here, so that spaces survive).
std::string with_remote_address(const std::string& address) {
    return R"({"world": {"remotes": {"mx.isp.example": {"address": )" + nlohmann::json(address).dump() +
           R"(}}}, "submissions": [{"from": "a@b", "to": "c@d"}]})";
}

// The error a user sees for a remote address outside 127.0.0.0/8: at the "address" key, with its pointer.
std::string address_error_of(const std::string& address) {
    std::string text = with_remote_address(address);
    auto column = text.find("\"address\"") + 1;
    return "s.json:1:" + std::to_string(column) +
           ": at /world/remotes/mx.isp.example/address: address: expected an address in 127.0.0.0/8, or ::1";
}

}  // namespace

TEST_CASE("a remote may listen on ::1, IPv6's one loopback address, and only one remote may", "[scenario][address][ipv6]") {
    SECTION("::1 is taken as written") {
        Scenario s = parse_scenario(JsonSource("s.json", with_remote_address("::1")));
        REQUIRE(s.remotes.size() == 1);
        CHECK(s.remotes[0].address == "::1");
    }
    SECTION("no other IPv6 address, nor another spelling of ::1") {
        for (std::string a : {"::2", "0:0:0:0:0:0:0:1", "[::1]", "::ffff:127.0.0.1", "2001:db8::1"})
            CHECK(error_of(with_remote_address(a)) == address_error_of(a));
    }
    SECTION("two remotes on ::1: they could not be told apart, every remote has the one mx_port") {
        std::string text = R"({"world": {"remotes": {"mx1.isp.example": {"address": "::1"}, "mx2.isp.example": {"address": "::1"}}},
                               "submissions": [{"from": "a@b", "to": "c@d"}]})";
        CHECK(error_of(text).find("only one remote can listen on ::1 (mx1.isp.example and mx2.isp.example)") != std::string::npos);
    }
}

TEST_CASE("a remote's address is a strict dotted quad in 127.0.0.0/8", "[scenario][address]") {
    auto accepted = [](const std::string& address) {
        Scenario s = parse_scenario(JsonSource("s.json", with_remote_address(address)));
        REQUIRE(s.remotes.size() == 1);
        return s.remotes[0].address == address;
    };
    SECTION("127.0.0.5 is loopback") { CHECK(accepted("127.0.0.5")); }
    SECTION("127.255.255.254, the top of the /8, is loopback") { CHECK(accepted("127.255.255.254")); }
    SECTION("a single zero octet is fine") { CHECK(accepted("127.0.0.0")); }
    SECTION("10.0.0.1 is not loopback") { CHECK(error_of(with_remote_address("10.0.0.1")) == address_error_of("10.0.0.1")); }
    SECTION("128.0.0.1, just past the /8, is not loopback") {
        CHECK(error_of(with_remote_address("128.0.0.1")) == address_error_of("128.0.0.1"));
    }
    SECTION("three octets are not an address") {
        CHECK(error_of(with_remote_address("127.0.0")) == address_error_of("127.0.0"));
    }
    SECTION("five octets are not an address") {
        CHECK(error_of(with_remote_address("127.0.0.1.1")) == address_error_of("127.0.0.1.1"));
    }
    SECTION("an octet above 255") {
        CHECK(error_of(with_remote_address("127.0.0.256")) == address_error_of("127.0.0.256"));
        CHECK(error_of(with_remote_address("127.0.0.1000")) == address_error_of("127.0.0.1000"));
    }
    SECTION("trailing junk") {
        CHECK(error_of(with_remote_address("127.0.0.1x")) == address_error_of("127.0.0.1x"));
        CHECK(error_of(with_remote_address("127.0.0.1 ")) == address_error_of("127.0.0.1 "));
        CHECK(error_of(with_remote_address("127.0.0.1.")) == address_error_of("127.0.0.1."));
    }
    SECTION("leading junk") {
        CHECK(error_of(with_remote_address(" 127.0.0.1")) == address_error_of(" 127.0.0.1"));
        CHECK(error_of(with_remote_address("+127.0.0.1")) == address_error_of("+127.0.0.1"));
    }
    SECTION("empty parts") {
        CHECK(error_of(with_remote_address("127..0.1")) == address_error_of("127..0.1"));
        CHECK(error_of(with_remote_address("")) == address_error_of(""));
    }
    SECTION("leading zeros are refused, as inet_pton refuses them (inet_aton would read octal)") {
        CHECK(error_of(with_remote_address("0127.0.0.1")) == address_error_of("0127.0.0.1"));
        CHECK(error_of(with_remote_address("127.0.0.01")) == address_error_of("127.0.0.01"));
    }
    SECTION("an external MTA's address follows the same rule") {
        auto external = [](const std::string& ip_port) {
            return error_of(R"({"world": {"remotes": {"mx.x": {"external": ")" + ip_port +
                            R"("}}}, "submissions": [{"from": "a@b", "to": "c@d"}]})");
        };
        CHECK(external("127.0.0.9:2525").empty());
        CHECK(external("0127.0.0.1:2525").find("external: expected IP:PORT with an address in 127.0.0.0/8") !=
              std::string::npos);
        CHECK(external("127.0.0.256:2525").find("127.0.0.0/8") != std::string::npos);
    }
}

// Found with fuzz_scenario (issue 7): the profile's ${hostname} was filled in as raw text before parsing, so a host
// with a quote or a backslash made the profile invalid JSON and the loader threw nlohmann's parse_error.
TEST_CASE("a host name that JSON would escape still fills a profile", "[scenario]") {
    auto load = [](const std::string& host) {
        return parse_scenario(JsonSource("s.json", R"({"world": {"remotes": {)" + nlohmann::json(host).dump() +
                                                       R"(: {"profile": "postfix"}}}, "submissions": [{"from": "a@b", "to": "c@d"}]})"));
    };
    for (std::string host : {"mx\"1.isp.example", "mx\\1.isp.example", "mx\\u0022.isp.example"}) {
        SECTION(host) {
            Scenario s = load(host);
            REQUIRE(s.remotes.size() == 1);
            CHECK(s.remotes[0].host == host);
            CHECK(s.remotes[0].script.hostname == host);
            auto greeting = s.remotes[0].script.step(world::MtaStage::Greeting, 0);
            REQUIRE(greeting);
            CHECK(greeting->reply->lines.front().find(host + " ESMTP Postfix") != std::string::npos);
        }
    }
}

// Found by fuzz_scenario: "start": "0016-06-01T10:00:00Z" overflowed the nanosecond TimePoint in
// parse_time (signed overflow, UBSan). parse_time now refuses years the clock cannot hold, and the
// loader keeps starts from 1970 to 2099.
TEST_CASE("a scenario's start is a UTC time from 1970 to 2099", "[scenario]") {
    auto with_start = [](const std::string& start) {
        return R"({"start": ")" + start + R"(", "world": {}, "submissions": [{"from": "a@b", "to": "c@d"}]})";
    };
    const std::string range_error = "start: expected a UTC time from 1970 to 2099";
    SECTION("the edges load") {
        CHECK(parse_scenario(JsonSource("s.json", with_start("1970-01-01T00:00:00Z"))).start == TimePoint{});
        CHECK(error_of(with_start("2099-12-31T23:59:59Z")).empty());
    }
    SECTION("year 16, the fuzzer's input, is refused at the key") {
        auto e = error_of(with_start("0016-06-01T10:00:00Z"));
        CHECK(e.rfind("s.json:1:", 0) == 0);
        CHECK(e.find(range_error) != std::string::npos);
    }
    SECTION("years past the nanosecond clock's range, and years not written as four digits") {
        CHECK(error_of(with_start("2262-04-12T00:00:00Z")).find(range_error) != std::string::npos);
        CHECK(error_of(with_start("9999-01-01T00:00:00Z")).find(range_error) != std::string::npos);
        CHECK(error_of(with_start("-001-01-01T00:00:00Z")).find(range_error) != std::string::npos);
        CHECK(error_of(with_start(" 2009-06-01T10:00:00Z")).find(range_error) != std::string::npos);
    }
    SECTION("a year in range with a bad rest gets the same message") {
        CHECK(error_of(with_start("2009-13-01T10:00:00Z")).find(range_error) != std::string::npos);
        CHECK(error_of(with_start("2100-01-01T00:00:00Z")).find(range_error) != std::string::npos);
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
    n.kind = gw::NoticeKind::Failure;
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

TEST_CASE("a remote's schedule mistakes come at file:line:col", "[scenario][schedule]") {
    auto e = error_of(R"({"world": {"remotes": {"mx.isp.example": {"script": {
    "recipients": {"bob@isp.example": {"reply": "552 5.2.2 full",
      "schedule": [{"from": "2d", "until": "1d", "reply": "452 4.2.2 full"}]}}}}}},
  "submissions": [{"from": "a@b", "to": "c@d"}]})");
    CHECK(e.rfind("s.json:3:", 0) == 0);
    CHECK(e.find("/schedule/0/until") != std::string::npos);
    CHECK(e.find("must be later than \"from\"") != std::string::npos);
    auto s = parse_scenario(JsonSource("s.json", R"({"world": {"remotes": {"mx.isp.example": {"script": {
    "rcpt": {"schedule": [{"until": "1h", "reply": "451 4.3.0 later"}]}}}}},
  "submissions": [{"from": "a@b", "to": "c@d"}]})"));
    REQUIRE(s.remotes.size() == 1);
    CHECK(s.remotes[0].script.rcpt_step("c@d", 0, 30min)->reply->code() == 451);
    CHECK_FALSE(s.remotes[0].script.rcpt_step("c@d", 0, 1h));
}

TEST_CASE("a destination expectation reads what the concurrency feedback did to its window", "[scenario][shaping]") {
    Scenario s = parse_scenario(JsonSource("s.json", R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@isp.example"}],
  "expect": [{"destination": "ISP.example", "lowest_concurrency": 2, "suspended": false},
             {"destination": "calm.example", "lowest_concurrency": 0}]})"));
    REQUIRE(s.expectations.size() == 2);
    CHECK(s.expectations[0].name == "1: destination isp.example");
    RunRecord run;
    run.start = s.start;
    SECTION("both hold") {
        run.destinations["isp.example"] = DestinationRecord{2, 3, 1, false};
        auto results = check_expectations(s, run);
        CHECK(results[0].passed);
        CHECK(results[1].passed);  // never lowered
    }
    SECTION("each check fails, and says why") {
        run.destinations["isp.example"] = DestinationRecord{1, 4, 0, true};
        run.destinations["calm.example"] = DestinationRecord{5, 1, 0, false};
        auto results = check_expectations(s, run);
        REQUIRE_FALSE(results[0].passed);
        CHECK(results[0].failures == std::vector<std::string>{"lowest_concurrency: expected 2, got 1",
                                                              "suspended: expected false, got true"});
        REQUIRE_FALSE(results[1].passed);
        CHECK(results[1].failures.front() == "lowest_concurrency: expected 0, got 5");
    }
    SECTION("a never lowered destination fails an expected lowering") {
        auto results = check_expectations(s, run);
        CHECK(results[0].failures.front() == "lowest_concurrency: expected 2, got never lowered (0)");
    }
    SECTION("mistakes are named") {
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}], "expect": [{"destination": "d", "lowest": 2}]})")
                  .find("lowest") != std::string::npos);
        CHECK(error_of(R"({"world": {}, "submissions": [{"from": "a@b", "to": "c@d"}], "expect": [{"destination": "d", "suspended": "yes"}]})")
                  .find("expected true or false") != std::string::npos);
    }
}
