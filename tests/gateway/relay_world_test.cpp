// The relay end to end on loopback sockets in virtual time: handset → intake → queue → DNS →
// remote MTA → classification → policy → notice in the handset's Maildir.
#include "tests/gateway/relay_world.hpp"
#include "delivery/session_cache.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::test;
using namespace std::chrono_literals;

namespace {

const std::string zone = R"({ "names": {
  "isp.example":      { "mx": [ {"preference": 10, "host": "mx1.isp.example"}, {"preference": 20, "host": "mx2.isp.example"} ] },
  "mx1.isp.example":  { "a": ["127.0.0.21"] },
  "mx2.isp.example":  { "a": ["127.0.0.22"] },
  "nullmx.example":   { "mx": [ {"preference": 0, "host": "."} ] },
  "broken.example":   { "behaviour": "servfail" },
  "healing.example":  { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ],
                        "schedule": [ {"from": "0s", "until": "30m", "behaviour": "servfail"} ] }
} })";

// Microsoft Exchange 5.5's IMC in 2009: a local part that is not a dot-atom is a "malformed address".
const std::string exchange_2009 = R"({ "hostname": "mx1.isp.example",
  "malformed_sender": {"reply": "553 malformed address"} })";
const std::string accepting = R"({ "hostname": "mx.isp.example" })";

const std::string legacy_host_unknown = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown";

std::string human_part(const std::string& notice) {
    auto end = notice.find("Content-Type: message/delivery-status");
    return notice.substr(0, end);
}

}  // namespace

TEST_CASE("the 2009 incident: a 553 at MAIL FROM reaches the handset as 'Host Unknown' under legacy-2009",
          "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", exchange_2009}}, R"({"policy": "legacy-2009"})");
    auto at_intake = w.submit("q.@docomo.ne.jp", {"user@isp.example"});
    REQUIRE(at_intake.size() == 1);
    CHECK(at_intake[0].delivered());  // the carrier's intake is lenient, as in 2009
    REQUIRE(w.run_until_idle());

    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].disposition == gw::Disposition::Bounced);
    CHECK(attempts[0].outcome.classification.failure == gw::FailureClass::SenderRejected);
    CHECK(attempts[0].outcome.classification.status.str() == "5.1.7");
    CHECK(w.clock.now() == world_start);  // a permanent failure: no retry, no waiting

    auto notices = w.recorded.notices();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].handset == "q.@docomo.ne.jp");
    CHECK(notices[0].subject == "送信メールエラー");
    CHECK(notices[0].body == legacy_host_unknown);
    CHECK(notices[0].claims == gw::Claim::HostUnknown);

    auto files = w.notice_files("q.@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    CHECK(human_part(files[0]).find("553") == std::string::npos);  // no trace of the cause on the handset
    CHECK(files[0].find("Content-Type: multipart/report; report-type=delivery-status") != std::string::npos);
    CHECK(files[0].find("charset=ISO-2022-JP") != std::string::npos);
    CHECK(files[0].find("Status: 5.1.7\r\n") != std::string::npos);  // the delivery-status part stays truthful
    CHECK(files[0].find("Diagnostic-Code: smtp; 553 malformed address\r\n") != std::string::npos);
    CHECK(files[0].find("Remote-MTA: dns; mx1.isp.example\r\n") != std::string::npos);

    auto got = w.received("127.0.0.21");
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].transactions.size() == 1);
    CHECK(got[0].transactions[0].mail_from == "q.@docomo.ne.jp");  // sent raw: local_part "pass"
}

TEST_CASE("the accurate policy names the remote, its reply, MAIL FROM and the trailing dot", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", exchange_2009}}, R"({"policy": "accurate", "notice_language": "en"})");
    w.submit("q.@docomo.ne.jp", {"user@isp.example"});
    REQUIRE(w.run_until_idle());
    auto notices = w.recorded.notices();
    REQUIRE(notices.size() == 1);
    const auto& body = notices[0].body;
    CHECK(notices[0].claims == gw::Claim::SenderRejected);
    CHECK(body.find("mx1.isp.example") != std::string::npos);
    CHECK(body.find("553 malformed address") != std::string::npos);
    CHECK(body.find("MAIL FROM") != std::string::npos);
    CHECK(body.find("ends with a dot") != std::string::npos);
    CHECK(body.find("Host Unknown") == std::string::npos);
}

TEST_CASE("local_part quote sends the sender quoted, and the same remote accepts it", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", exchange_2009}}, R"({"local_part": "quote"})");
    w.submit("q.@docomo.ne.jp", {"user@isp.example"});
    REQUIRE(w.run_until_idle());
    auto got = w.received("127.0.0.21");
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].transactions.size() == 1);
    CHECK(got[0].transactions[0].mail_from == "\"q.\"@docomo.ne.jp");
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].disposition == gw::Disposition::Delivered);
    CHECK(w.recorded.notices().empty());
}

TEST_CASE("local_part reject refuses the sender at intake with 553 5.1.7 and a reason", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}}, R"({"local_part": "reject"})");
    auto at_intake = w.submit("p..q.@docomo.ne.jp", {"user@isp.example"});
    REQUIRE(at_intake.size() == 1);
    CHECK(at_intake[0].stage == smtp::Stage::Mail);
    REQUIRE(at_intake[0].reply);
    CHECK(at_intake[0].reply->code == 553);
    CHECK(at_intake[0].reply->enhanced->str() == "5.1.7");
    CHECK(at_intake[0].reply->text().find("dot") != std::string::npos);
    CHECK(w.relay->idle());
    CHECK(w.received("127.0.0.21").empty());
}

TEST_CASE("a domain that does not exist bounces at once: a true host unknown", "[relay]") {
    RelayWorld w(zone, {}, R"({"policy": "legacy-2009"})");
    w.submit("alice@docomo.ne.jp", {"bob@nowhere.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].outcome.classification.failure == gw::FailureClass::DnsNxdomain);
    CHECK(attempts[0].outcome.classification.status.str() == "5.1.2");
    CHECK(w.clock.now() == world_start);
    auto notices = w.recorded.notices();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].body == legacy_host_unknown);
}

TEST_CASE("a null MX (RFC 7505) bounces with 5.1.10", "[relay]") {
    RelayWorld w(zone, {});
    w.submit("alice@docomo.ne.jp", {"bob@nullmx.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].outcome.classification.failure == gw::FailureClass::NullMx);
    CHECK(attempts[0].outcome.classification.status.str() == "5.1.10");
    auto files = w.notice_files("alice@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    CHECK(files[0].find("Status: 5.1.10\r\n") != std::string::npos);
}

TEST_CASE("SERVFAIL is retried on the backoff schedule and expires with 4.4.3", "[relay]") {
    RelayWorld w(zone, {}, R"({"retry": {"min_backoff": "5m", "max_backoff": "20m", "lifetime": "1h"}})");
    w.submit("alice@docomo.ne.jp", {"bob@broken.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    // t=0, +5m, +10m (15m), +20m (35m), +20m (55m), then the last try at the lifetime (60m).
    REQUIRE(attempts.size() == 6);
    for (std::size_t i = 0; i + 1 < attempts.size(); ++i) {
        CHECK(attempts[i].disposition == gw::Disposition::Deferred);
        CHECK(attempts[i].outcome.classification.failure == gw::FailureClass::DnsTemporary);
    }
    CHECK(attempts.back().disposition == gw::Disposition::Expired);
    CHECK(attempts.back().outcome.classification.status.str() == "4.4.3");
    CHECK(w.clock.now() == world_start + 1h);
    auto files = w.notice_files("alice@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    CHECK(files[0].find("Action: failed\r\n") != std::string::npos);
    CHECK(files[0].find("Status: 4.4.3\r\n") != std::string::npos);
}

TEST_CASE("SERVFAIL that heals is delivered on a retry", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}}, R"({"retry": {"min_backoff": "10m", "max_backoff": "1h", "lifetime": "5d"}})");
    w.submit("alice@docomo.ne.jp", {"bob@healing.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 3);  // t=0 and 10m in the SERVFAIL window, 30m answers
    CHECK(attempts[0].disposition == gw::Disposition::Deferred);
    CHECK(attempts[2].disposition == gw::Disposition::Delivered);
    CHECK(w.clock.now() == world_start + 30min);
    CHECK(w.recorded.notices().empty());
}

TEST_CASE("a refused first MX is skipped and the second delivers", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.22", accepting}});  // nothing listens on mx1 (127.0.0.21)
    w.submit("alice@docomo.ne.jp", {"bob@isp.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].disposition == gw::Disposition::Delivered);
    CHECK(attempts[0].outcome.outcome.remote.host == "mx2.isp.example");
    CHECK(w.received("127.0.0.22").size() == 1);
}

TEST_CASE("a 4xx at RCPT is retried until the lifetime runs out", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", R"({"rcpt": {"reply": "451 4.7.1 Greylisted, try again"}})"}},
                 R"({"retry": {"min_backoff": "10m", "max_backoff": "10m", "lifetime": "30m"}})");
    w.submit("alice@docomo.ne.jp", {"bob@isp.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 4);  // 0, 10m, 20m, 30m
    CHECK(attempts.back().disposition == gw::Disposition::Expired);
    CHECK(attempts.back().outcome.classification.status.str() == "4.7.1");
    CHECK(w.received("127.0.0.21").size() == 4);
    CHECK(w.notice_files("alice@docomo.ne.jp").size() == 1);
}

TEST_CASE("a 550 at RCPT fails that recipient only: 'User Unknown' under legacy-2009", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", R"({"recipients": {"nobody@isp.example": {"reply": "550 5.1.1 <nobody@isp.example>: Recipient address rejected: User unknown"}}})"}},
                 R"({"policy": "legacy-2009"})");
    w.submit("alice@docomo.ne.jp", {"bob@isp.example", "nobody@isp.example"});
    REQUIRE(w.run_until_idle());
    auto attempts = w.recorded.attempts();
    REQUIRE(attempts.size() == 2);
    CHECK(attempts[0].disposition == gw::Disposition::Delivered);
    CHECK(attempts[1].disposition == gw::Disposition::Bounced);
    CHECK(attempts[1].outcome.classification.failure == gw::FailureClass::RecipientUnknown);
    auto notices = w.recorded.notices();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].claims == gw::Claim::UserUnknown);
    CHECK(notices[0].body.find("User Unknown") != std::string::npos);
    auto files = w.notice_files("alice@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    CHECK(files[0].find("Final-Recipient: rfc822; nobody@isp.example\r\n") != std::string::npos);
    CHECK(files[0].find("Final-Recipient: rfc822; bob@isp.example") == std::string::npos);
}

TEST_CASE("intake refuses networks outside the allow-list with 554 5.7.1 and queues nothing", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}}, R"({"intake_allow": ["10.0.0.0/8"]})");
    auto at_intake = w.submit("alice@docomo.ne.jp", {"bob@isp.example"});
    REQUIRE(at_intake.size() == 1);
    CHECK(at_intake[0].stage == smtp::Stage::Greeting);
    REQUIRE(at_intake[0].reply);
    CHECK(at_intake[0].reply->code == 554);
    CHECK(at_intake[0].reply->enhanced->str() == "5.7.1");
    CHECK(w.relay->idle());
    CHECK(w.recorded.events.empty());
}

TEST_CASE("a non-loopback intake without an allow-list is refused at start", "[relay]") {
    CHECK_THROWS_AS(gw::intake_networks("192.0.2.1", {}), gw::IntakeError);
    CHECK_NOTHROW(gw::intake_networks("127.0.0.1", {}));
    CHECK_THROWS_AS(gw::intake_networks("192.0.2.1", {"not-a-network"}), gw::IntakeError);
}

TEST_CASE("a session is reused for the next message to the same destination, then closed when idle", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}});
    w.submit("alice@docomo.ne.jp", {"bob@isp.example"});
    REQUIRE(w.loop.run_until([&] { return w.relay->idle(); }, w.clock.now() + 1s));
    w.submit("alice@docomo.ne.jp", {"carol@isp.example"});
    REQUIRE(w.loop.run_until([&] { return w.relay->idle(); }, w.clock.now() + 1s));
    auto got = w.received("127.0.0.21");
    REQUIRE(got.size() == 1);                  // one connection...
    CHECK(got[0].transactions.size() == 2);    // ...two transactions
    int lookups = 0;
    for (const auto& [at, e] : w.recorded.events) lookups += std::holds_alternative<gw::MxLookup>(e);
    CHECK(lookups == 1);                       // the parked session skipped DNS too
    // Each use of the session reports its own lines, once: the second shows the second MAIL FROM.
    std::vector<std::vector<std::string>> sessions;
    for (const auto& [at, e] : w.recorded.events)
        if (auto* s = std::get_if<gw::SmtpSession>(&e)) {
            sessions.emplace_back();
            for (const auto& l : s->transcript) sessions.back().push_back(l.text);
        }
    REQUIRE(sessions.size() == 2);
    auto count = [](const std::vector<std::string>& lines, const std::string& prefix) {
        return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
    };
    CHECK(count(sessions[0], "EHLO") == 1);
    CHECK(count(sessions[1], "EHLO") == 0);
    CHECK(count(sessions[1], "MAIL FROM:<alice@docomo.ne.jp>") == 1);
    CHECK(count(sessions[1], "RCPT TO:<carol@isp.example>") == 1);
    w.run_until_idle();
    w.loop.run(w.clock.now() + 10s);           // past the idle limit: QUIT
    got = w.received("127.0.0.21");
    REQUIRE(got.size() == 1);
    bool quit = false;
    for (const auto& line : got[0].dialogue) quit |= line.text == "QUIT";
    CHECK(quit);
}

TEST_CASE("a session that carried its destination's max_messages_per_session is closed, and the next opens anew",
          "[relay][shaping]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}},
                 R"({"queue": {"destinations": {"isp.example": {"max_messages_per_session": 2}}}})");
    for (const char* to : {"a@isp.example", "b@isp.example", "c@isp.example", "d@isp.example", "e@isp.example"}) {
        w.submit("alice@docomo.ne.jp", {to});
        REQUIRE(w.loop.run_until([&] { return w.relay->idle(); }, w.clock.now() + 1s));
    }
    w.run_until_idle();
    w.loop.run(w.clock.now() + 10s);  // the last session's idle limit
    auto got = w.received("127.0.0.21");
    REQUIRE(got.size() == 3);  // 2 + 2 + 1 messages
    CHECK(got[0].transactions.size() == 2);
    CHECK(got[1].transactions.size() == 2);
    CHECK(got[2].transactions.size() == 1);
    for (const auto& c : got) {
        bool quit = false;
        for (const auto& line : c.dialogue) quit |= line.text == "QUIT";
        CHECK(quit);  // each closed politely, the worn ones at once
    }
}

// Under load the next job takes a parked session before the loop has started the idle watch of
// its parking; parked again, the first watch must not close it (it did: ~5 messages per session).
TEST_CASE("a session taken and parked again before its idle watch began stays parked", "[relay]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}});
    auto ex = w.io.get_executor();
    gw::SessionCache cache(ex, w.clock, 2s);
    smtp::Remote remote{"mx1.isp.example", "127.0.0.21", w.mx_port};
    auto s = std::make_shared<gw::CachedSession>(ex, w.clock, std::make_unique<smtp::Client>(ex, w.clock, smtp::ClientConfig{}),
                                                 remote);
    bool opened = false;
    boost::asio::co_spawn(ex, s->client->open(remote),
                          [&](std::exception_ptr, smtp::SessionStatus st) { opened = st.ok; });
    REQUIRE(w.loop.run_until([&] { return opened; }, w.clock.now() + 1s));
    REQUIRE(s->client->usable());

    cache.put("isp.example", s);
    auto again = cache.take("isp.example");  // before the loop ran the watch of that parking
    REQUIRE(again == s);
    cache.put("isp.example", again);
    w.loop.run(w.clock.now() + 1s);
    CHECK(cache.parked() == 1);
    CHECK(s->client->usable());

    w.loop.run(w.clock.now() + 3s);  // idle past the limit: closed with QUIT
    CHECK(cache.parked() == 0);
    auto got = w.received("127.0.0.21");
    REQUIRE(got.size() == 1);
    bool quit = false;
    for (const auto& line : got[0].dialogue) quit |= line.text == "QUIT";
    CHECK(quit);
}

// Issue 12: a notice whose Maildir write fails is not lost. It stays pending and is tried again
// after min_backoff, doubling up to max_backoff; once the obstacle is gone it is written exactly once.
TEST_CASE("a notice that cannot be written is retried with backoff until it is written, once", "[relay][notice]") {
    RelayWorld w(zone, {{"127.0.0.21", R"({"hostname": "mx1.isp.example", "rcpt": {"reply": "550 5.1.1 no such user"}})"}},
                 R"({"policy": "accurate", "retry": {"min_backoff": "1m", "max_backoff": "4m", "lifetime": "5d"}})");
    // A regular file where the handset's Maildir directory must go: even root cannot make it there.
    const auto mailboxes = w.dir.path() / "mailboxes";
    std::filesystem::create_directories(mailboxes);
    const auto obstacle = mailboxes / gw::mailbox_directory_name("alice@docomo.ne.jp");
    std::ofstream(obstacle) << "in the way\n";

    w.submit("alice@docomo.ne.jp", {"nobody@isp.example"});
    const TimePoint t0 = w.clock.now();
    w.loop.run_until([&] { return w.relay->queue().messages() == 0; }, t0 + 1s);
    REQUIRE(w.recorded.attempts().size() == 1);
    CHECK(w.recorded.attempts()[0].disposition == gw::Disposition::Bounced);
    CHECK(w.recorded.notices().empty());
    CHECK_FALSE(w.relay->idle());  // a notice is still to be written
    CHECK(w.relay->notice_errors() == 1);
    CHECK(w.relay->notices_pending() == 1);

    // Tries at t0, t0+1m, t0+3m (1m, then 2m): still in the way.
    w.loop.run_until([] { return false; }, t0 + 3min + 30s);
    CHECK(w.recorded.notices().empty());
    CHECK(w.notice_files("alice@docomo.ne.jp").empty());
    CHECK(w.relay->notice_errors() == 3);
    std::vector<TimePoint> tries, next_tries;
    for (const auto& [at, e] : w.recorded.events)
        if (const auto* f = std::get_if<gw::NoticeFailed>(&e)) {
            tries.push_back(at);
            next_tries.push_back(f->next_try);
            CHECK(f->handset == "alice@docomo.ne.jp");
            CHECK(f->kind == gw::NoticeKind::Failure);
            CHECK(f->error.rfind("create_directory", 0) == 0);
            CHECK(f->tries == tries.size());
        }
    CHECK(tries == std::vector<TimePoint>{t0, t0 + 1min, t0 + 3min});
    CHECK(next_tries == std::vector<TimePoint>{t0 + 1min, t0 + 3min, t0 + 7min});

    std::filesystem::remove(obstacle);
    REQUIRE(w.run_until_idle());
    CHECK(w.clock.now() == t0 + 7min);  // the next try after 4m
    CHECK(w.relay->notice_errors() == 3);
    CHECK(w.relay->notices_pending() == 0);
    auto notices = w.recorded.notices();
    REQUIRE(notices.size() == 1);
    CHECK_FALSE(notices[0].path.empty());
    auto files = w.notice_files("alice@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    CHECK(files[0].find("Final-Recipient: rfc822; nobody@isp.example\r\n") != std::string::npos);
    w.loop.run_until([] { return false; }, w.clock.now() + 1h);
    CHECK(w.notice_files("alice@docomo.ne.jp").size() == 1);  // exactly once
}

TEST_CASE("a failure notice's N record is written only once the notice is on disk", "[relay][notice]") {
    // The spool outlives the world: its relay may still write while it stops.
    TempDir spool_dir{"relaylab-notice-spool"};
    auto opened = gw::Spool::open(spool_dir.path());
    REQUIRE(opened);
    RelayWorld w(zone, {{"127.0.0.21", R"({"hostname": "mx1.isp.example", "rcpt": {"reply": "550 5.1.1 no such user"}})"}},
                 R"({"policy": "accurate", "retry": {"min_backoff": "1m", "max_backoff": "4m", "lifetime": "5d"}})");
    w.restart_on(**opened);
    const auto mailboxes = w.dir.path() / "mailboxes";
    std::filesystem::create_directories(mailboxes);
    const auto obstacle = mailboxes / gw::mailbox_directory_name("alice@docomo.ne.jp");
    std::ofstream(obstacle) << "in the way\n";
    // Records start after a line "<length> <crc>"; a failure notice's payload starts with "N ".
    auto n_records = [&] {
        std::string log = read_file(spool_dir.path() / std::string(gw::kSpoolLogName));
        std::size_t n = 0;
        for (auto p = log.find("\nN "); p != std::string::npos; p = log.find("\nN ", p + 1)) ++n;
        return n;
    };
    w.submit("alice@docomo.ne.jp", {"nobody@isp.example"});
    const TimePoint t0 = w.clock.now();
    w.loop.run_until([] { return false; }, t0 + 30s);
    REQUIRE(w.recorded.attempts().size() == 1);
    CHECK(n_records() == 0);  // bounced, but the notice is not in the Maildir
    std::filesystem::remove(obstacle);
    REQUIRE(w.run_until_idle());
    CHECK(w.notice_files("alice@docomo.ne.jp").size() == 1);
    CHECK(n_records() == 1);
}
