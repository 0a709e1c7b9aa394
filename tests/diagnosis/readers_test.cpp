// Bounces and log lines in, typed findings out.
#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/log_reader.hpp"

#include <catch2/catch.hpp>

#include "tests/diagnosis/fixture.hpp"

#include <fstream>
#include <sstream>

using namespace relaylab;
using namespace relaylab::diag;

namespace {


}  // namespace

TEST_CASE("bounces from Postfix, Exim and Sendmail for a 553 at MAIL FROM", "[diagnosis][bounce]") {
    SECTION("Postfix: wrapped reason, stage from 'in reply to', status 5.0.0 as given") {
        auto f = read_any(fixture("postfix-553-mail.eml"));
        CHECK(f.source == SourceKind::PostfixBounce);
        CHECK(f.sender == "q.@docomo.ne.jp");
        CHECK(f.recipient == "user@isp.example");
        REQUIRE(f.stage);
        CHECK(*f.stage == smtp::Stage::Mail);
        CHECK_FALSE(f.stage_inferred);
        CHECK(f.remote_host == "mx1.isp.example");
        CHECK(f.remote_ip == "192.0.2.25");
        REQUIRE(f.reply);
        CHECK(f.reply->one_line() == "553 malformed address");
        CHECK(f.reported_status == "5.0.0");
        CHECK(f.action == "failed");
    }
    SECTION("Exim: 'SMTP error from remote mail server after MAIL FROM'") {
        auto f = read_any(fixture("exim-553-mail.eml"));
        CHECK(f.source == SourceKind::EximBounce);
        CHECK(f.sender == "p..q.@docomo.ne.jp");
        CHECK(f.recipient == "user@isp.example");
        REQUIRE(f.stage);
        CHECK(*f.stage == smtp::Stage::Mail);
        CHECK(f.remote_ip == "192.0.2.25");
        REQUIRE(f.reply);
        CHECK(f.reply->code == 553);
    }
    SECTION("Sendmail: the transcript's last command before the error") {
        auto f = read_any(fixture("sendmail-553-mail.eml"));
        CHECK(f.source == SourceKind::SendmailBounce);
        CHECK(f.remote_host == "mx1.isp.example");
        REQUIRE(f.stage);
        CHECK(*f.stage == smtp::Stage::Mail);
        CHECK(f.reported_status == "5.1.3");
    }
    SECTION("Postfix: 550 5.1.1 at RCPT with a folded Diagnostic-Code") {
        auto f = read_any(fixture("postfix-550-rcpt.eml"));
        REQUIRE(f.stage);
        CHECK(*f.stage == smtp::Stage::Rcpt);
        REQUIRE(f.reply);
        REQUIRE(f.reply->enhanced);
        CHECK(f.reply->enhanced->str() == "5.1.1");
        CHECK(f.recipient == "nobody@isp.example");
    }
    SECTION("text that is no bounce is recognised as nothing") {
        auto f = read_any(fixture("not-a-bounce.txt"));
        CHECK(f.source == SourceKind::Unknown);
        CHECK_FALSE(to_outcome(f));
    }
}

TEST_CASE("Postfix log lines", "[diagnosis][log]") {
    SECTION("553 at MAIL FROM") {
        auto f = read_any("Jun  1 19:00:02 relay postfix/smtp[4242]: 4F1A2B: to=<user@isp.example>, "
                          "relay=mx1.isp.example[192.0.2.25]:25, delay=0.52, delays=0.01/0/0.3/0.2, dsn=5.0.0, "
                          "status=bounced (host mx1.isp.example[192.0.2.25] said: 553 malformed address (in reply to MAIL FROM command))");
        CHECK(f.source == SourceKind::PostfixLog);
        CHECK(f.stage == smtp::Stage::Mail);
        CHECK(f.remote_host == "mx1.isp.example");
        CHECK(f.reported_status == "5.0.0");
        CHECK(f.action == "bounced");
        REQUIRE(f.reply);
        CHECK(f.reply->code == 553);
    }
    SECTION("NXDOMAIN, relay=none") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@nowhere.example>, relay=none, delay=0.1, dsn=5.4.4, status=bounced "
                          "(Host or domain name not found. Name service error for name=nowhere.example type=MX: Host not found)");
        REQUIRE(f.dns_status);
        CHECK(*f.dns_status == dns::Status::NxDomain);
        CHECK(f.dns_name == "nowhere.example");
        CHECK_FALSE(f.mx_host_lookup);
        CHECK(f.remote_host.empty());
    }
    SECTION("SERVFAIL is 'try again'") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@broken.example>, relay=none, delay=300, dsn=4.4.3, status=deferred "
                          "(Host or domain name not found. Name service error for name=broken.example type=MX: Host not found, try again)");
        REQUIRE(f.dns_status);
        CHECK(*f.dns_status == dns::Status::ServFail);
    }
    SECTION("connection refused") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=none, delay=30, dsn=4.4.1, status=deferred "
                          "(connect to mx1.isp.example[192.0.2.25]:25: Connection refused)");
        CHECK(f.stage == smtp::Stage::Connect);
        CHECK(f.net == smtp::NetError::ConnectRefused);
        CHECK(f.remote_ip == "192.0.2.25");
    }
    SECTION("greeting timeout") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=mx1.isp.example[192.0.2.25]:25, delay=300, dsn=4.4.2, "
                          "status=deferred (conversation with mx1.isp.example[192.0.2.25] timed out while receiving the initial server greeting)");
        CHECK(f.stage == smtp::Stage::Greeting);
        CHECK(f.net == smtp::NetError::Timeout);
    }
    SECTION("a greeting refusal") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=mx1.isp.example[192.0.2.25]:25, delay=1, dsn=5.7.1, "
                          "status=bounced (host mx1.isp.example[192.0.2.25] refused to talk to me: 554 5.7.1 no service)");
        CHECK(f.stage == smtp::Stage::Greeting);
        REQUIRE(f.reply);
        CHECK(f.reply->code == 554);
    }
    SECTION("a line without a reason in parentheses still yields what it says") {
        auto f = read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=none, delay=1, dsn=5.0.0, status=bounced");
        CHECK(f.source == SourceKind::PostfixLog);
        CHECK(f.reported_status == "5.0.0");
        CHECK_FALSE(to_outcome(f));
    }
}

TEST_CASE("Exim log lines", "[diagnosis][log]") {
    SECTION("** with an SMTP error after MAIL FROM, and the sender from the <= line") {
        auto f = read_any("2009-06-01 19:00:01 1MB2Xa-0001Ab-Cd <= q.@docomo.ne.jp H=localhost [127.0.0.1] P=esmtp S=1855\n"
                          "2009-06-01 19:00:02 1MB2Xa-0001Ab-Cd ** user@isp.example R=dnslookup T=remote_smtp H=mx1.isp.example "
                          "[192.0.2.25]: SMTP error from remote mail server after MAIL FROM:<q.@docomo.ne.jp> SIZE=1855: 553 malformed address\n");
        CHECK(f.source == SourceKind::EximLog);
        CHECK(f.sender == "q.@docomo.ne.jp");
        CHECK(f.recipient == "user@isp.example");
        CHECK(f.stage == smtp::Stage::Mail);
        CHECK(f.remote_host == "mx1.isp.example");
        CHECK(f.remote_ip == "192.0.2.25");
        REQUIRE(f.reply);
        CHECK(f.reply->one_line() == "553 malformed address");
    }
    SECTION("Unrouteable address") {
        auto f = read_any("2009-06-01 19:00:02 1MB2Xa-0001Ab-Cd ** bob@nowhere.example: Unrouteable address");
        REQUIRE(f.dns_status);
        CHECK(*f.dns_status == dns::Status::NxDomain);
        CHECK(f.dns_name == "nowhere.example");
    }
    SECTION("deferred: connection refused") {
        auto f = read_any("2009-06-01 19:00:02 1MB2Xa-0001Ab-Cd == bob@isp.example R=dnslookup T=remote_smtp defer (111): Connection refused");
        CHECK(f.action == "deferred");
        CHECK(f.net == smtp::NetError::ConnectRefused);
    }
}

TEST_CASE("relaylab JSON log lines", "[diagnosis][log]") {
    SECTION("remote reply") {
        auto f = read_any(R"({"to":"user@isp.example","relay":{"host":"mx1.isp.example","ip":"127.0.0.21","port":25},)"
                          R"("delay":0,"dsn":"5.1.7","status":"bounced","reason":{"kind":"remote_reply","stage":"mail",)"
                          R"("host":"mx1.isp.example","ip":"127.0.0.21","reply":"553 malformed address"}})");
        CHECK(f.source == SourceKind::RelaylabJson);
        CHECK(f.stage == smtp::Stage::Mail);
        CHECK(f.reported_status == "5.1.7");
        REQUIRE(f.reply);
        CHECK(f.reply->code == 553);
    }
    SECTION("DNS") {
        auto f = read_any(R"({"to":"bob@nullmx.example","relay":null,"dsn":"5.1.10","status":"bounced",)"
                          R"("reason":{"kind":"dns","name":"nullmx.example","type":"MX","status":"null_mx"}})");
        REQUIRE(f.dns_status);
        CHECK(*f.dns_status == dns::Status::NullMx);
    }
    SECTION("broken JSON is not a JSON line") {
        CHECK_FALSE(read_relaylab_json("{\"to\": "));
    }
}

TEST_CASE("readers survive hostile input", "[diagnosis][robust]") {
    SECTION("every prefix of a bounce") {
        const auto text = fixture("postfix-553-mail.eml");
        for (std::size_t n = 0; n <= text.size(); n += 7) CHECK_NOTHROW(read_any(text.substr(0, n)));
    }
    SECTION("binary noise, long lines, NULs") {
        std::string noise;
        for (int i = 0; i < 20000; ++i) noise.push_back(static_cast<char>((i * 131) % 256));
        CHECK_NOTHROW(read_any(noise));
        CHECK_NOTHROW(read_any(std::string(100000, 'x')));
        CHECK_NOTHROW(read_any("Content-Type: message/delivery-status\n\n\n"));
        CHECK_NOTHROW(read_any("to=<status=(host [said: "));
        CHECK_NOTHROW(read_any("x ** y H=[: SMTP error from remote mail server after : : "));
    }
}
