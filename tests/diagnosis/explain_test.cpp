// Findings in, explanations out: taxonomy/classify's interpretation, the address's problem, the remedy.
#include "diagnosis/explanation.hpp"
#include "diagnosis/mta_profiles.hpp"
#include "bounce/notice.hpp"

#include <catch2/catch.hpp>

#include "tests/diagnosis/fixture.hpp"

#include <fstream>
#include <sstream>

using namespace relaylab;
using namespace relaylab::diag;

namespace {


bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("explaining the 2009 case from each MTA's bounce", "[diagnosis][explain]") {
    for (const auto* name : {"postfix-553-mail.eml", "exim-553-mail.eml", "sendmail-553-mail.eml"}) {
        SECTION(name) {
            auto e = explain(read_any(fixture(name)), gw::Language::En);
            REQUIRE(e.can_tell());
            CHECK(e.classification->failure == gw::FailureClass::SenderRejected);
            CHECK(e.classification->status.str() == "5.1.7");
            CHECK(has(e.what_failed, "MAIL FROM"));
            CHECK(has(e.what_failed, "553 malformed address"));
            CHECK(has(e.meaning, "Bad sender's mailbox address syntax"));
            CHECK(has(e.meaning, "mailbox name not allowed"));
            CHECK(has(e.likely_cause, "RFC 5322 §3.4.1"));
            CHECK(has(e.what_to_do, "smtp_quote_rfc821_envelope"));
            CHECK(has(render_text(e, gw::Language::En), "Host unknown"));  // the note that it is not one
        }
    }
    SECTION("the trailing dot of q. is named") {
        auto e = explain(read_any(fixture("postfix-553-mail.eml")), gw::Language::En);
        CHECK(has(e.likely_cause, "the local part \"q.\" ends with a dot"));
        CHECK(has(e.what_to_do, "\"q.\"@docomo.ne.jp"));
        REQUIRE_FALSE(e.notes.empty());
        CHECK(has(e.notes.front(), "5.0.0"));  // the bounce's own status said nothing
    }
    SECTION("in Japanese") {
        auto e = explain(read_any(fixture("postfix-553-mail.eml")), gw::Language::Ja);
        CHECK(has(e.likely_cause, "ローカルパート「q.」"));
        CHECK(has(render_text(e, gw::Language::Ja), "考えられる原因"));
    }
}

TEST_CASE("other classes and the honest 'cannot tell'", "[diagnosis][explain]") {
    SECTION("550 5.1.1 at RCPT is a recipient unknown") {
        auto e = explain(read_any(fixture("postfix-550-rcpt.eml")), gw::Language::En);
        REQUIRE(e.can_tell());
        CHECK(e.classification->failure == gw::FailureClass::RecipientUnknown);
    }
    SECTION("a sender that is well-formed: the refusal is policy") {
        auto e = explain(read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.7.1, "
                                  "status=bounced (host mx[192.0.2.1] said: 550 5.7.1 Sender rejected (in reply to MAIL FROM command))\n"
                                  "postfix/qmgr[2]: 4F: from=<alice@docomo.ne.jp>, size=100, nrcpt=1 (queue active)"),
                         gw::Language::En);
        REQUIRE(e.can_tell());
        CHECK(e.classification->status.str() == "5.7.1");
        CHECK(has(e.likely_cause, "policy"));
    }
    SECTION("NXDOMAIN is a real host unknown") {
        auto e = explain(read_any("2009-06-01 19:00:02 1MB2Xa-0001Ab-Cd ** bob@nowhere.example: Unrouteable address"), gw::Language::En);
        REQUIRE(e.can_tell());
        CHECK(e.classification->failure == gw::FailureClass::DnsNxdomain);
        CHECK(has(e.likely_cause, "does not exist"));
    }
    SECTION("an expiry with nothing else (fuzz_explain found an empty 'what failed' and a doubled cause)") {
        const auto f = read_any("2009-06-05 19:00:02 1MB2Xa-0001Ab-Cd ** bob@isp.example: retry timeout exceeded");
        for (const auto lang : {gw::Language::En, gw::Language::Ja}) {
            auto e = explain(f, lang);
            REQUIRE(e.can_tell());
            CHECK(e.classification->failure == gw::FailureClass::Expired);
            CHECK_FALSE(e.what_failed.empty());
            const auto half = e.likely_cause.size() / 2;
            CHECK(e.likely_cause.find(e.likely_cause.substr(0, half), 1) == std::string::npos);
        }
        CHECK(has(explain(f, gw::Language::En).what_failed, "expired"));
    }
    SECTION("not a bounce") {
        auto e = explain(read_any(fixture("not-a-bounce.txt")), gw::Language::En);
        CHECK_FALSE(e.can_tell());
        CHECK(has(render_text(e, gw::Language::En), "cannot tell"));
    }
    SECTION("a reply without its command") {
        auto e = explain(read_any("postfix/smtp[1]: 4F: to=<bob@isp.example>, relay=none, delay=1, dsn=5.0.0, status=bounced (550 nope)"),
                         gw::Language::En);
        CHECK_FALSE(e.can_tell());
        CHECK(to_json(e)["can_tell"] == false);
    }
}

TEST_CASE("a relaylab notice, rendered by the gateway, read back", "[diagnosis][explain]") {
    gw::HandsetNotice n;
    n.from_address = "MAILER-DAEMON@relay.carrier.example";
    n.to_address = "q.@docomo.ne.jp";
    n.hostname = "relay.carrier.example";
    n.subject = "送信メールエラー";
    n.body = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown";
    n.original_headers = "From: <q.@docomo.ne.jp>\r\nTo: <user@isp.example>\r\nSubject: hi\r\n";
    gw::NoticeRecipient r;
    r.final_recipient = "user@isp.example";
    r.status = "5.1.7";
    r.remote_mta = "mx1.isp.example";
    r.remote_mta_ip = "127.0.0.21";
    r.diagnostic_code = "smtp; 553 malformed address";
    n.recipients.push_back(r);
    const auto message = gw::render_notice(n).bytes;

    auto f = read_any(message);
    CHECK(f.source == SourceKind::RelaylabNotice);
    CHECK(f.sender == "q.@docomo.ne.jp");
    CHECK(f.recipient == "user@isp.example");
    CHECK(f.remote_ip == "127.0.0.21");
    CHECK(f.stage == smtp::Stage::Mail);
    CHECK(f.stage_inferred);
    auto e = explain(f, gw::Language::En);
    REQUIRE(e.can_tell());
    CHECK(e.classification->failure == gw::FailureClass::SenderRejected);
    CHECK(has(e.likely_cause, "ends with a dot"));
}

TEST_CASE("MTA profiles at MAIL FROM", "[diagnosis][address]") {
    auto answers = [](const std::string& a) { return mail_from_answers(gw::check_address(a)); };
    auto find = [](const std::vector<ProfileAnswer>& v, std::string_view p) {
        for (const auto& a : v)
            if (a.profile.find(p) != std::string_view::npos) return a;
        FAIL("no profile " << p);
        return v.front();
    };
    SECTION("q. : Exchange 5.5 and OpenSMTPD refuse, Postfix and Exim accept; Exchange takes the quoted form") {
        const auto v = answers("q.@docomo.ne.jp");
        CHECK_FALSE(find(v, "Exchange").raw.accepted);
        CHECK(find(v, "Exchange").raw.reply.rfind("553 malformed address", 0) == 0);
        CHECK(find(v, "Exchange").quoted.accepted);
        CHECK(find(v, "OpenSMTPD").raw.reply == "553 5.1.0 Sender address syntax error");
        CHECK_FALSE(find(v, "OpenSMTPD").quoted.accepted);
        CHECK(find(v, "Postfix").raw.accepted);
        CHECK(find(v, "Exim").raw.accepted);
    }
    SECTION("a leading dot: Exim's note about RCPT") {
        const auto v = answers(".q@docomo.ne.jp");
        CHECK(find(v, "Exim").raw.note.find("Restricted characters") != std::string::npos);
    }
    SECTION("a valid address: everyone accepts, no quoted form") {
        for (const auto& a : answers("alice@docomo.ne.jp")) {
            CHECK(a.raw.accepted);
            CHECK_FALSE(a.has_quoted);
        }
    }
}

TEST_CASE("Postfix's (and relaylab's) TLS deferrals in a log line", "[diagnosis][explain][tls]") {
    struct Case {
        const char* reason;
        const char* dsn;
        gw::FailureClass expected;
    };
    for (const auto& c : {Case{"TLS is required, but was not offered by host mail.isp.test[192.0.2.1]", "4.7.4",
                               gw::FailureClass::TlsNotOffered},
                          Case{"Cannot start TLS: handshake failure", "4.7.5", gw::FailureClass::TlsHandshakeFailed},
                          Case{"Server certificate not trusted", "4.7.5", gw::FailureClass::TlsCertUntrusted},
                          Case{"Server certificate not verified (mail.isp.test[192.0.2.1])", "4.7.5",
                               gw::FailureClass::TlsCertWrongName}}) {
        CAPTURE(c.reason);
        auto e = explain(read_any(std::string("postfix/smtp[1]: 4F: to=<bob@isp.test>, relay=mail.isp.test[192.0.2.1]:25, "
                                              "delay=1, dsn=") +
                                  c.dsn + ", status=deferred (" + c.reason + ")"),
                         gw::Language::En);
        REQUIRE(e.can_tell());
        CHECK(e.classification->failure == c.expected);
        CHECK(e.classification->status.str() == c.dsn);
        CHECK(has(e.what_failed, "STARTTLS"));
    }
    SECTION("a reply to STARTTLS is charged to STARTTLS") {
        auto e = explain(read_any("postfix/smtp[1]: 4F: to=<bob@isp.test>, relay=mail.isp.test[192.0.2.1]:25, delay=1, "
                                  "dsn=4.7.0, status=deferred (host mail.isp.test[192.0.2.1] said: 454 4.7.0 TLS not "
                                  "available due to local problem (in reply to STARTTLS command))"),
                         gw::Language::En);
        REQUIRE(e.can_tell());
        CHECK(e.classification->failure == gw::FailureClass::StartTlsRefused);
    }
}
