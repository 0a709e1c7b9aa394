// The HTML report from hand-made run records: the sequence diagram read back from the timeline's
// words, escaping of everything a scenario supplies, no external assets, phones and delivery-status.
#include "clock/duration.hpp"
#include "scenarios/html_report.hpp"
#include "taxonomy/classify.hpp"
#include "scenarios/presenter_words.hpp"
#include "scenarios/sequence_diagram.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::scn;
using namespace std::chrono_literals;

namespace {

TimePoint t0() { return *parse_time("2009-06-01T10:00:00Z"); }

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

// The 2009 incident as the runner records it (shortened), under the policy whose words are `subject`.
ScenarioReport incident(const std::string& name, const std::string& claims, const std::string& subject,
                        const std::string& body) {
    ScenarioReport r;
    r.name = name;
    r.file = "scenarios/library/" + name + ".json";
    RunRecord& run = r.run;
    run.start = t0();
    run.end = t0();
    run.finished = true;
    run.remotes.push_back({"mx1.isp.example", "127.0.0.10", false, 1, {}});
    for (const char* line : {
             "handset q.@docomo.ne.jp submits to <user@isp.example>, subject \"meeting\"",
             "relay: message 1 queued from <q.@docomo.ne.jp> for <user@isp.example>, 294 bytes",
             "intake accepted user@isp.example: 250 2.0.0 Ok: queued as 1",
             "dns: ? isp.example MX -> answer NOERROR",
             "mx: isp.example found: 10 mx1.isp.example [127.0.0.10]",
             "*: connected to mx1.isp.example[127.0.0.10]",
             "S: 220 mx1.isp.example ESMTP ready",
             "C: EHLO relay.carrier.example",
             "S: 250-mx1.isp.example",
             "S: 250-8BITMIME",
             "S: 250 SIZE 10240000",
             "C: MAIL FROM:<q.@docomo.ne.jp> SIZE=294",
             "S: 553 malformed address",
             "attempt 1 for user@isp.example: bounced, sender_rejected 5.1.7 (mx1.isp.example[127.0.0.10] at mail: "
             "553 malformed address)",
         })
        run.timeline.push_back({t0(), line});
    run.timeline.push_back({t0(), "notice to q.@docomo.ne.jp (failure, claims " + claims + "): q.@docomo.ne.jp/new/1"});
    run.timeline.push_back({t0(), "  Subject: " + subject});
    run.timeline.push_back({t0(), "  | " + body});
    run.timeline.push_back({t0(), "  Status: 5.1.7"});
    RecipientRecord rr;
    rr.address = "user@isp.example";
    rr.status = "bounced";
    rr.attempts = 1;
    rr.stage = "mail";
    rr.reply = "553 malformed address";
    rr.failure_class = "sender_rejected";
    rr.dsn = "5.1.7";
    rr.remote = "mx1.isp.example";
    rr.final_at = t0();
    run.recipients.push_back(rr);
    NoticeRecord n;
    n.at = t0();
    n.handset = "q.@docomo.ne.jp";
    n.kind = gw::NoticeKind::Failure;
    n.subject = subject;
    n.body = body;
    // A claim is an enum now: text that names none (the hostile test's) cannot reach the page.
    if (auto c = gw::claim_from_string(claims)) n.claims = *c;
    n.final_recipient = "user@isp.example";
    n.delivery_status = {{"Final-Recipient", "rfc822; user@isp.example"}, {"Action", "failed"}, {"Status", "5.1.7"},
                         {"Remote-MTA", "dns; mx1.isp.example"}, {"Diagnostic-Code", "smtp; 553 malformed address"}};
    run.notices.push_back(n);
    r.results.push_back({"the delivery-status part stays truthful", "/expect/0", true, {}});
    return r;
}

ScenarioReport legacy() { return incident("2009-legacy", "host_unknown", "送信メールエラー", "Host Unknown"); }
ScenarioReport accurate() {
    return incident("2009-accurate", "sender_rejected", "送信エラー: 送信元アドレスが受信側に拒否されました", "応答: 553");
}

}  // namespace

TEST_CASE("the timeline becomes lanes and steps", "[html]") {
    SequenceDiagram d = sequence_of(legacy().run);
    REQUIRE(d.lanes.size() == 4);
    CHECK(d.lanes[handset_lane].name == "handset");
    CHECK(d.lanes[gateway_lane].name == "gateway");
    CHECK(d.lanes[dns_lane].name == "DNS");
    CHECK(d.lanes[mx_lane_first].name == "mx1.isp.example");
    CHECK(d.lanes[mx_lane_first].detail == "127.0.0.10");
    // 18 lines: the DNS line gives two steps, the 3-line EHLO reply one, the notice's 3 lines fold in.
    REQUIRE(d.steps.size() == 14);

    SECTION("the submission goes from the handset to the gateway, the intake's answer back") {
        CHECK(d.steps[0].kind == StepKind::Submission);
        CHECK(d.steps[0].from == handset_lane);
        CHECK(d.steps[0].to == gateway_lane);
        CHECK(d.steps[0].label == "q.@docomo.ne.jp submits to <user@isp.example>, subject \"meeting\"");
        CHECK(d.steps[2].kind == StepKind::Intake);
        CHECK(d.steps[2].to == handset_lane);
        CHECK(d.steps[2].tone == Tone::Good);
    }
    SECTION("a DNS line is a question to the DNS lane and its answer back") {
        CHECK(d.steps[3].kind == StepKind::DnsQuestion);
        CHECK(d.steps[3].to == dns_lane);
        CHECK(d.steps[3].label == "? isp.example MX");
        CHECK(d.steps[4].kind == StepKind::DnsAnswer);
        CHECK(d.steps[4].from == dns_lane);
        CHECK(d.steps[4].label == "answer NOERROR");
        CHECK(d.steps[5].kind == StepKind::MxResult);
        CHECK(d.steps[5].from == d.steps[5].to);
    }
    SECTION("the session talks to the host it connected to; a multi-line reply is one step") {
        CHECK(d.steps[6].kind == StepKind::Connect);
        CHECK(d.steps[6].to == mx_lane_first);
        CHECK(d.steps[8].kind == StepKind::Command);
        CHECK(d.steps[8].label == "EHLO relay.carrier.example");
        CHECK(d.steps[9].kind == StepKind::Reply);
        CHECK(d.steps[9].from == mx_lane_first);
        CHECK(d.steps[9].label == "250-mx1.isp.example");
        CHECK(d.steps[9].detail == std::vector<std::string>{"250-8BITMIME", "250 SIZE 10240000"});
        CHECK(d.steps[9].tone == Tone::Good);
        CHECK(d.steps[11].label == "553 malformed address");
        CHECK(d.steps[11].tone == Tone::Permanent);
    }
    SECTION("the classification is a note; the notice goes to the handset with its lines") {
        CHECK(d.steps[12].kind == StepKind::Attempt);
        CHECK(d.steps[12].tone == Tone::Permanent);
        CHECK(d.steps[13].kind == StepKind::Notice);
        CHECK(d.steps[13].to == handset_lane);
        CHECK(d.steps[13].label == "notice to q.@docomo.ne.jp (failure, claims host_unknown)");
        CHECK(d.steps[13].detail == std::vector<std::string>{"Subject: 送信メールエラー", "| Host Unknown", "Status: 5.1.7"});
    }
}

TEST_CASE("failed connects, silent DNS, retries and unknown lines", "[html]") {
    RunRecord run;
    run.start = t0();
    for (const char* line : {
             "dns: ? isp.example MX -> drop no reply",
             "*: connect to mx9.isp.example[127.0.0.19] timed out",
             "*: connected to mx2.isp.example[127.0.0.12]",
             "S: 421 busy",
             "*: close",
             "attempt 1 for u@isp.example: deferred, temporary_failure 4.0.0 (x); retry at +5m",
             "something new the runner says",
         })
        run.timeline.push_back({t0() + 1s, line});
    SequenceDiagram d = sequence_of(run);
    REQUIRE(d.lanes.size() == 5);
    CHECK(d.lanes[3].name == "mx9.isp.example");
    CHECK(d.lanes[4].name == "mx2.isp.example");
    REQUIRE(d.steps.size() == 8);

    SECTION("no DNS reply is a note on the DNS lane") {
        CHECK(d.steps[1].kind == StepKind::DnsAnswer);
        CHECK(d.steps[1].from == dns_lane);
        CHECK(d.steps[1].to == dns_lane);
        CHECK(d.steps[1].tone == Tone::Temporary);
    }
    SECTION("a failed connect points at the host it tried; the reply comes from the next one") {
        CHECK(d.steps[2].kind == StepKind::ConnectFailed);
        CHECK(d.steps[2].to == 3);
        CHECK(d.steps[4].kind == StepKind::Reply);
        CHECK(d.steps[4].from == 4);
        CHECK(d.steps[4].tone == Tone::Temporary);
        CHECK(d.steps[5].kind == StepKind::Session);
        CHECK(d.steps[5].to == 4);
    }
    SECTION("a deferral with a retry is a retry note; anything else a note on the gateway") {
        CHECK(d.steps[6].kind == StepKind::Retry);
        CHECK(d.steps[6].tone == Tone::Temporary);
        CHECK(d.steps[7].kind == StepKind::Other);
        CHECK(d.steps[7].from == gateway_lane);
    }
}

TEST_CASE("the page shows phones, the truthful delivery-status and verdicts", "[html]") {
    SECTION("legacy and accurate: two phones, one delivery-status card for both") {
        std::string h = html_report({legacy(), accurate()});
        CHECK(count(h, "class=\"phone\"") == 2);
        CHECK(count(h, "class=\"dsn-card\"") == 1);
        CHECK(h.find("The same in every notice") != std::string::npos);
        CHECK(h.find("<h3 class=\"mail-subject\">送信メールエラー</h3>") != std::string::npos);
        CHECK(h.find("送信元アドレスが受信側に拒否されました") != std::string::npos);
        CHECK(count(h, "class=\"verdict mislabel\"") == 1);
        CHECK(count(h, "class=\"verdict truthful\"") == 1);
        CHECK(h.find("<dd class=\"main\">smtp; 553 malformed address</dd>") != std::string::npos);
        CHECK(count(h, "<section class=\"scenario\"") == 2);
    }
    SECTION("one scenario: one phone") {
        std::string h = html_report({legacy()});
        CHECK(count(h, "class=\"phone\"") == 1);
        CHECK(h.find("The same in every notice") == std::string::npos);
    }
    SECTION("different delivery-status parts get a card each") {
        auto b = accurate();
        b.run.notices[0].delivery_status["Status"] = "5.7.1";
        std::string h = html_report({legacy(), b});
        CHECK(count(h, "class=\"dsn-card\"") == 2);
    }
    SECTION("a failed expectation and a scenario that could not run are shown as such") {
        auto a = legacy();
        a.results.push_back({"the handset is told the truth", "/expect/1", false, {"contains: expected \"553\""}});
        ScenarioReport e;
        e.name = "broken";
        e.error = "broken.json:2:2: unknown key";
        std::string h = html_report({a, e});
        CHECK(h.find("<span class=\"mark\">FAIL</span> the handset is told the truth") != std::string::npos);
        CHECK(h.find("contains: expected &quot;553&quot;") != std::string::npos);
        CHECK(h.find("<span class=\"mark\">ERROR</span> broken.json:2:2: unknown key") != std::string::npos);
        CHECK(h.find("1 passed, 2 failed") != std::string::npos);
    }
    SECTION("virtual times only, the same bytes every time") {
        std::string h = html_report({legacy(), accurate()});
        CHECK(h == html_report({legacy(), accurate()}));
        CHECK(h.find("data-abs=\"2009-06-01T10:00:00.000Z\"") != std::string::npos);
        CHECK(h.find("data-at=\"+0s\"") != std::string::npos);
    }
}

TEST_CASE("everything from the run is escaped and nothing is fetched", "[html]") {
    const std::string evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    auto r = incident("</title><b>evil", evil, evil, evil);
    r.description = evil;
    r.run.timeline.push_back({t0(), evil});
    r.run.timeline.push_back({t0(), "S: " + evil});
    r.run.remotes.push_back({evil, evil, false, 0, {}});
    r.run.recipients[0].reply = evil;
    r.run.notices[0].handset = evil;
    r.run.notices[0].delivery_status["Diagnostic-Code"] = evil;
    r.results.push_back({evil, "/expect/9", false, {evil}});
    std::string h = html_report({r});

    SECTION("no markup of the run's survives") {
        CHECK(count(h, "<script") == 1);  // the page's own
        CHECK(h.find("<img") == std::string::npos);
        CHECK(h.find("</title><b>") == std::string::npos);
        CHECK(h.find("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;") !=
              std::string::npos);
    }
    SECTION("no external assets") {
        std::string page = html_report({legacy(), accurate()});
        for (const char* s : {"http://", "https://", " src=", "<link", "url(", "@import", "@font-face"}) {
            INFO(s);
            CHECK(page.find(s) == std::string::npos);
        }
    }
    SECTION("escaping itself") {
        CHECK(html_escape("a<b>&\"'\x01\n") == "a&lt;b&gt;&amp;&quot;&#39; \n");
        CHECK(html_escape("送信メールエラー") == "送信メールエラー");
    }
}

// The presenter form: one language, plain words, folds, the decisive step, the zone, no paths.
TEST_CASE("the presenter page speaks plain words and opens on the decisive step", "[html][presenter]") {
    auto a = legacy(), b = accurate();
    a.file = "/home/trainer/relaylab/scenarios/library/2009-legacy.json";
    a.presenter["ja"] = {"2009年の事例", "お客様のアドレスが拒否されました。"};
    a.presenter["en"] = {"The 2009 incident", "The customer's address was refused."};
    PresenterOptions ja{Lang::Ja, false, 9 * 60};
    const std::string h = presenter_report({a, b}, ja);

    SECTION("the language, the title and the story") {
        CHECK(h.find("<html lang=\"ja\">") != std::string::npos);
        CHECK(h.find("<h2>2009年の事例</h2><p class=\"story\">お客様のアドレスが拒否されました。</p>") != std::string::npos);
        CHECK(presenter_report({a}, {Lang::En, false, 0}).find("<html lang=\"en\"><head><meta charset=\"utf-8\">"
                                                              "<meta name=\"viewport\" content=\"width=device-width, "
                                                              "initial-scale=1\"><title>The 2009 incident</title>") !=
              std::string::npos);
        CHECK(h.find("body class=\"presenter\"") != std::string::npos);
        CHECK(presenter_report({a}, {Lang::Ja, true, 0}).find("body class=\"presenter large\"") != std::string::npos);
    }
    SECTION("no internal names, no test-runner header, no machine path") {
        for (const std::string& page : {h, presenter_report({a, b}, {Lang::En, false, 0})}) {
            for (const char* name : {"host_unknown", "sender_rejected", "claims ", "passed, ", "/home/trainer"}) {
                INFO(name);
                CHECK(page.find(name) == std::string::npos);
            }
        }
        CHECK(html_report({a}).find("/home/trainer") == std::string::npos);
        CHECK(html_report({a}).find("2009-legacy.json") != std::string::npos);
    }
    SECTION("captions in the chosen language") {
        CHECK(h.find("サーバーが送信元アドレスを拒否します（553）") != std::string::npos);
        CHECK(h.find("通知の内容：宛先のホストが見つからない") != std::string::npos);
        CHECK(h.find("実際の原因：<b>受信側サーバーが送信元アドレスを拒否した</b>") != std::string::npos);
        const std::string en = presenter_report({a}, {Lang::En, false, 0});
        CHECK(en.find("The server refuses the sender&#39;s address for good (553)") != std::string::npos);
        CHECK(en.find("The handset q.@docomo.ne.jp gets a notice that says: the destination host was not found") !=
              std::string::npos);
    }
    SECTION("DNS questions and the EHLO capabilities fold into one step each") {
        CHECK(count(h, "<details><summary>") == 4);  // 2 scenarios × (DNS, EHLO)
        CHECK(h.find("中継サーバーが DNS に isp.example のメールサーバーを問い合わせます（1 件の問い合わせ）") != std::string::npos);
        CHECK(h.find("サーバーが対応機能を 2 件挙げます") != std::string::npos);
        CHECK(h.find("<pre class=\"wire\">250-mx1.isp.example\n250-8BITMIME\n250 SIZE 10240000</pre>") != std::string::npos);
    }
    SECTION("the decisive step is the 553, and the page opens there") {
        auto at = h.find("id=\"decisive-1\"");
        REQUIRE(at != std::string::npos);
        auto end = h.find("</li>", at);
        CHECK(h.substr(at, end - at).find("553 malformed address") != std::string::npos);
        CHECK(h.find("id=\"decisive-2\"") != std::string::npos);
        // The 553 is the 9th line: submission, queued, accepted, DNS, connect, greeting, EHLO, MAIL FROM, 553.
        CHECK(h.find("data-open-step=\"9\"") != std::string::npos);
        CHECK(h.find("class=\"row tone-permanent decisive\" id=\"decisive-1\" data-step=\"9\"") != std::string::npos);
    }
    SECTION("a run that only failed in DNS opens on the folded DNS step, unfolded") {
        ScenarioReport r;
        r.name = "nx";
        r.run.start = r.run.end = t0();
        for (const char* line : {"handset a@docomo.ne.jp submits to <u@nx.example>, subject \"x\"",
                                 "dns: ? nx.example MX -> answer NXDOMAIN", "mx: nx.example nxdomain",
                                 "attempt 1 for u@nx.example: bounced, dns_nxdomain 5.1.2 (MX lookup of nx.example: nxdomain)"})
            r.run.timeline.push_back({t0(), line});
        RecipientRecord rr;
        rr.address = "u@nx.example";
        rr.status = "bounced";
        rr.failure_class = "dns_nxdomain";
        r.run.recipients.push_back(rr);
        const std::string p = presenter_report({r}, {Lang::En, false, 0});
        CHECK(p.find("id=\"decisive-1\" data-step=\"2\"") != std::string::npos);
        CHECK(p.find("<details open><summary>") != std::string::npos);
        CHECK(p.find("Delivery to u@nx.example failed for good: the recipient&#39;s domain does not exist") != std::string::npos);
    }
    SECTION("times at the configured offset") {
        CHECK(h.find("<span class=\"t\">19:00</span>") != std::string::npos);
        CHECK(h.find("時刻は UTC+09:00") != std::string::npos);
        CHECK(h.find("<span>19:00</span>") != std::string::npos);  // the phone's clock
        const std::string utc = presenter_report({a}, {Lang::En, false, 0});
        CHECK(utc.find("<span class=\"t\">10:00</span>") != std::string::npos);
        CHECK(presenter_report({a}, {Lang::En, false, -(5 * 60 + 30)}).find("<span class=\"t\">04:30</span>") != std::string::npos);
    }
    SECTION("the same bytes every time, and everything escaped") {
        CHECK(h == presenter_report({a, b}, ja));
        auto e = legacy();
        e.presenter["ja"] = {"<script>x</script>", "<img src=x>"};
        const std::string p = presenter_report({e}, ja);
        CHECK(count(p, "<script") == 1);
        CHECK(p.find("<img") == std::string::npos);
    }
}

TEST_CASE("presenter words: every cause has words, zone offsets parse strictly", "[html][presenter]") {
    for (auto c : gw::all_failure_classes()) {
        const std::string name(gw::to_string(c));
        INFO(name);
        for (Lang l : {Lang::En, Lang::Ja}) {
            const std::string w = cause_words(l, name);
            CHECK(w != cause_words(l, "no such class"));
            CHECK(w.find('_') == std::string::npos);
        }
    }
    CHECK(cause_words(Lang::Ja, "host_unknown") == "宛先のホストが見つからない");
    CHECK(cause_words(Lang::En, "made_up_thing") == "another cause");
    CHECK(parse_zone_offset("+09:00") == 540);
    CHECK(parse_zone_offset("-05:30") == -330);
    CHECK(parse_zone_offset("Z") == 0);
    CHECK(parse_zone_offset("+14:00") == 840);
    for (const char* bad : {"", "9", "+9:00", "+09", "+15:00", "+09:60", "JST", "+0900", "+09:00x"}) {
        INFO(bad);
        CHECK_FALSE(parse_zone_offset(bad));
    }
    CHECK(local_time(t0(), 540) == "2009-06-01 19:00:00 +09:00");
    CHECK(local_time(t0(), -330) == "2009-06-01 04:30:00 -05:30");
    CHECK(lang_from_string("ja") == Lang::Ja);
    CHECK_FALSE(lang_from_string("fr"));
}
