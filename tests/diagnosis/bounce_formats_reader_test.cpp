// Whole bounces in, one finding per recipient out: MIME encodings and charsets, multi-recipient
// DSNs, the reporters' own formats, non-failure reports, bare inputs, hostile input.
#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/finding.hpp"
#include "diagnosis/mime_message.hpp"

#include <catch2/catch.hpp>

#include "tests/diagnosis/fixture.hpp"

using namespace relaylab;
using namespace relaylab::diag;

namespace {

std::vector<Finding> read_fixture(const std::string& name) { return read_all(fixture("readers/" + name)); }

std::vector<std::string> lines_of(const Finding& f) {
    REQUIRE(f.reply);
    return f.reply->lines;
}

}  // namespace

TEST_CASE("a DSN about three recipients, base64 and quoted-printable", "[diagnosis][reader][mime]") {
    const auto all = read_fixture("postfix-three-recipients-b64-qp.eml");
    REQUIRE(all.size() == 3);
    SECTION("in the report's order, with the sender from X-Postfix-Sender") {
        CHECK(all[0].recipient == "ann@isp-a.example");
        CHECK(all[1].recipient == "ben@isp-b.example");
        CHECK(all[2].recipient == "cho@nowhere.example");
        for (const auto& f : all) {
            CHECK(f.sender == "taro@carrier.example");
            CHECK(f.source == SourceKind::PostfixBounce);
            CHECK(f.reporter == "postfix");
            CHECK(f.action == "failed");
        }
    }
    SECTION("each recipient's own stage, remote and reply") {
        CHECK(all[0].stage == smtp::Stage::Rcpt);
        CHECK_FALSE(all[0].stage_inferred);
        CHECK(all[0].remote_host == "mx1.isp-a.example");
        CHECK(all[0].remote_ip == "192.0.2.10");
        CHECK(all[0].reported_status == "5.1.1");
        CHECK(all[1].reported_status == "5.2.2");
        CHECK(lines_of(all[1]) == std::vector<std::string>{"5.2.2 The mailbox is full.", "5.2.2 Please try again much later."});
    }
    SECTION("an X-Postfix Diagnostic-Code is the reporter's own words: a DNS failure") {
        REQUIRE(all[2].dns_status);
        CHECK(*all[2].dns_status == dns::Status::NxDomain);
        CHECK(all[2].dns_name == "nowhere.example");
        CHECK_FALSE(all[2].reply);
        CHECK(all[2].diagnostic_text.find("Host or domain name not found") != std::string::npos);
    }
    SECTION("read_any is the first") { CHECK(read_any(fixture("readers/postfix-three-recipients-b64-qp.eml")).recipient == "ann@isp-a.example"); }
}

TEST_CASE("Japanese gateways' plain-text bounces in every charset", "[diagnosis][reader][charset]") {
    SECTION("ISO-2022-JP: labels with ideographic spaces, the reply, the stage in Japanese, the host") {
        const auto all = read_fixture("jp-gateway-iso2022jp.eml");
        REQUIRE(all.size() == 1);
        const auto& f = all[0];
        CHECK(f.recipient == "hanako@isp-c.example");
        CHECK(f.sender == "jiro@carrier.example");
        CHECK(f.stage == smtp::Stage::Dot);
        CHECK(f.remote_host == "mx.isp-c.example");
        CHECK(f.remote_ip == "192.0.2.30");
        REQUIRE(f.reply);
        CHECK(f.reply->one_line() == "550 5.7.1 Message rejected by recipient's filter");
    }
    SECTION("Shift_JIS in base64: the carrier's words become the diagnostic text, in UTF-8") {
        const auto all = read_fixture("jp-gateway-sjis-b64.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].recipient == "yui@isp-d.example");
        CHECK(all[0].diagnostic_text == "メールボックスが一杯のため配送できませんでした。");
    }
    SECTION("EUC-JP with no charset declared is recognised by its kana") {
        const auto all = read_fixture("jp-gateway-eucjp-undeclared.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].recipient == "ren@isp-e.example");
        CHECK(all[0].diagnostic_text == "容量オーバーのため受信できませんでした。");
    }
    SECTION("to_utf8 on its own") {
        CHECK(to_utf8("\x1b$B08@h\x1b(B", "us-ascii") == "宛先");  // escapes win over a wrong label
        CHECK(to_utf8("\x88\xb6\x90\xe6", "shift_jis") == "宛先");
        CHECK(to_utf8("plain", "") == "plain");
        CHECK(to_utf8("\xff\xfe", "no-such-charset").size() <= 2);
    }
}

TEST_CASE("the MTAs' and providers' own formats", "[diagnosis][reader][formats]") {
    SECTION("qmail: one block per address, 'does not like recipient', '(#5.1.2)'") {
        const auto all = read_fixture("qmail-two-recipients.eml");
        REQUIRE(all.size() == 2);
        CHECK(all[0].reporter == "qmail");
        CHECK(all[0].recipient == "kai@isp-g.example");
        CHECK(all[0].stage == smtp::Stage::Rcpt);
        CHECK(all[0].remote_ip == "192.0.2.40");
        CHECK_FALSE(all[0].expired);  // "Giving up on IP" is a permanent failure, not an expiry
        REQUIRE(all[0].reply);
        CHECK(all[0].reply->code == 550);
        CHECK(all[1].recipient == "mei@nowhere-g.example");
        CHECK(all[1].reported_status == "5.1.2");
        REQUIRE(all[1].dns_status);
        CHECK(*all[1].dns_status == dns::Status::NxDomain);
    }
    SECTION("Exim: pipelined MAIL FROM, and a Gmail multi-line reply after end of data, kept as lines") {
        const auto all = read_fixture("exim-pipelined-and-multiline.eml");
        REQUIRE(all.size() == 2);
        CHECK(all[0].recipient == "sora@isp-i.example");
        CHECK(all[0].stage == smtp::Stage::Mail);
        CHECK(all[0].sender == "p..q.@carrier.example");
        REQUIRE(all[0].reply);
        CHECK(all[0].reply->one_line() == "553 malformed address");
        CHECK(all[1].stage == smtp::Stage::Dot);
        CHECK(lines_of(all[1]) == std::vector<std::string>{
                                       "5.7.26 This mail has been blocked because the sender is unauthenticated.",
                                       "5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
                                       "5.7.26 Please fix the sender's authentication."});
    }
    SECTION("Gmail: the recipient from its sentence, the reply after 'The response was:'") {
        const auto all = read_fixture("gmail-address-not-found.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].reporter == "gmail");
        CHECK(all[0].recipient == "nobody@isp-j.example");
        REQUIRE(all[0].reply);
        CHECK(all[0].reply->enhanced->str() == "5.1.1");
    }
    SECTION("Exchange: the address twice is one recipient; the reply inside Remote Server returned '…'") {
        const auto all = read_fixture("exchange-remote-server-returned.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].reporter == "exchange");
        CHECK(all[0].recipient == "aki@corp-l.example");
        REQUIRE(all[0].reply);
        CHECK(all[0].reply->one_line() == "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup");
    }
    SECTION("the fixtures of the first readers still read the same") {
        const auto sendmail = read_any(fixture("sendmail-553-mail.eml"));
        CHECK(sendmail.reporter == "sendmail");
        CHECK(sendmail.stage == smtp::Stage::Mail);
    }
}

TEST_CASE("reports that are not failures", "[diagnosis][reader][report]") {
    SECTION("a success and a delay in one DSN") {
        const auto all = read_fixture("dsn-delivered-and-delayed.eml");
        REQUIRE(all.size() == 2);
        CHECK(all[0].report == ReportKind::Delivered);
        CHECK(all[1].report == ReportKind::Delayed);
        CHECK(all[1].reported_status == "4.4.1");
    }
    SECTION("an out-of-office auto-reply (RFC 3834) with an RFC 2047 subject") {
        const auto all = read_fixture("auto-reply-out-of-office.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].report == ReportKind::AutoReply);
        CHECK(all[0].recipient == "kenji@isp-m.example");
        CHECK(all[0].diagnostic_text.find("自動応答") != std::string::npos);
    }
    SECTION("a bounce from a mail system is no auto-reply, whatever its Auto-Submitted says") {
        CHECK(read_fixture("jp-gateway-iso2022jp.eml")[0].report == ReportKind::Failure);
    }
    SECTION("Auto-Submitted: auto-generated alone is any machine's mail, not a reply; auto-replied is one") {
        // Sendmail marks its DSNs auto-generated (failure): one whose report part cannot be read (fuzz_explain
        // found it) must not turn into an out-of-office reply.
        const std::string head = "From: Mail Delivery Subsystem <MAILER-DAEMON@sm.isp-b.example>\n"
                                 "To: <taro@docomo.ne.jp>\nMIME-Version: 1.0\nContent-Type: text/plain\n";
        const std::string body = "Subject: Returned mail\n\nThe original message could not be handled.\n";
        for (const auto& f : read_bounces(head + "Auto-Submitted: auto-generated (failure)\n" + body))
            CHECK(f.report != ReportKind::AutoReply);
        const auto replied = read_bounces(head + "Auto-Submitted: auto-replied\n" + body);
        REQUIRE(replied.size() == 1);
        CHECK(replied[0].report == ReportKind::AutoReply);
    }
    SECTION("an abuse feedback report (RFC 5965)") {
        const auto all = read_fixture("arf-abuse.eml");
        REQUIRE(all.size() == 1);
        CHECK(all[0].report == ReportKind::Feedback);
        CHECK(all[0].recipient == "user@isp-n.example");
        CHECK(all[0].sender == "taro@carrier.example");
    }
}

TEST_CASE("bare inputs", "[diagnosis][reader][bare]") {
    SECTION("a reply line, its recipient named in it") {
        const auto f = read_any("550 5.1.1 <bob@isp.example>: Recipient address rejected");
        REQUIRE(f.reply);
        CHECK(f.reply->code == 550);
        CHECK(f.reply->enhanced->str() == "5.1.1");
        CHECK(f.recipient == "bob@isp.example");
    }
    SECTION("continuation lines are one reply with its lines") {
        const auto f = read_any("550-5.7.26 This mail has been blocked.\n550-5.7.26 Gmail requires SPF or DKIM.\n550 5.7.26 See the help.\n");
        CHECK(lines_of(f) == std::vector<std::string>{"5.7.26 This mail has been blocked.", "5.7.26 Gmail requires SPF or DKIM.",
                                                      "5.7.26 See the help."});
    }
    SECTION("a status code, alone or labelled") {
        CHECK(read_any("5.1.7").reported_status == "5.1.7");
        CHECK(read_any("Status: 5.2.2\n").reported_status == "5.2.2");
        CHECK(read_any("5.1").reported_status.empty());
    }
    SECTION("a Sendmail log line") {
        const auto f = read_any("Jun  1 19:00:02 relay sendmail[4242]: 4F1A2B: to=<bob@isp.example>, delay=00:00:01, "
                                "mailer=esmtp, pri=120, relay=mx1.isp.example. [192.0.2.25], dsn=5.1.7, stat=Data format error");
        CHECK(f.reporter == "sendmail");
        CHECK(f.recipient == "bob@isp.example");
        CHECK(f.remote_host == "mx1.isp.example");
        CHECK(f.remote_ip == "192.0.2.25");
        CHECK(f.reported_status == "5.1.7");
        CHECK(f.diagnostic_text == "Data format error");
        const auto unknown = read_any("sendmail[1]: Q: to=<x@nowhere.example>, dsn=5.1.2, stat=Host unknown (Name server: nowhere.example: host not found)");
        REQUIRE(unknown.dns_status);
        CHECK(*unknown.dns_status == dns::Status::NxDomain);
    }
    SECTION("a Postfix excerpt about two recipients gives two findings") {
        const auto all = read_all(
            "postfix/qmgr[1]: 4F: from=<taro@carrier.example>, size=100, nrcpt=2 (queue active)\n"
            "postfix/smtp[2]: 4F: to=<a@isp.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 no (in reply to RCPT TO command))\n"
            "postfix/smtp[2]: 4F: to=<b@isp.example>, relay=mx[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n");
        REQUIRE(all.size() == 2);
        CHECK(all[0].recipient == "a@isp.example");
        CHECK(all[0].sender == "taro@carrier.example");
        CHECK(all[1].recipient == "b@isp.example");
    }
}

TEST_CASE("a multi-line reply split anywhere reads the same", "[diagnosis][reader][unfold]") {
    // The same Gmail reply as a DSN's Diagnostic-Code, folded at every space in turn (RFC 5322 §2.2.3).
    const std::string reply = "550-5.7.26 This mail is blocked. 550-5.7.26 Gmail requires SPF or DKIM. 550 5.7.26 See help.";
    const std::vector<std::string> want = {"5.7.26 This mail is blocked.", "5.7.26 Gmail requires SPF or DKIM.", "5.7.26 See help."};
    for (std::size_t cut = reply.find(' '); cut != std::string::npos; cut = reply.find(' ', cut + 1)) {
        const auto folded = reply.substr(0, cut) + "\r\n    " + reply.substr(cut + 1);
        const auto message = "From: MAILER-DAEMON@relay.example\r\nTo: a@carrier.example\r\nMIME-Version: 1.0\r\n"
                             "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
                             "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n"
                             "Final-Recipient: rfc822; x@gmail.example\r\nAction: failed\r\nStatus: 5.7.26\r\n"
                             "Diagnostic-Code: smtp; " +
                             folded + "\r\n\r\n--b--\r\n";
        const auto f = read_any(message);
        INFO("folded at " << cut);
        REQUIRE(f.reply);
        CHECK(f.reply->lines == want);
        CHECK(parse_reply_text(folded)->lines == want);
    }
    SECTION("a single-line reply is never split at a number in its text") {
        CHECK(parse_reply_text("550 5.1.1 user 550 unknown")->lines.size() == 1);
    }
}

TEST_CASE("hostile bounces never crash and stay bounded", "[diagnosis][reader][robust]") {
    SECTION("multiparts nested ten thousand deep") {
        std::string m = "From: a@b.example\r\nMIME-Version: 1.0\r\n";
        for (int i = 0; i < 10000; ++i) m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
        CHECK_NOTHROW(read_all(m));
        CHECK(read_mime(m).truncated);
    }
    SECTION("a huge header and a huge line") {
        const auto m = "Subject: " + std::string(2 * max_input_octets, 'x') + "\r\n\r\nbody";
        CHECK_NOTHROW(read_all(m));
        CHECK_NOTHROW(read_all("<a@b.example>: " + std::string(500000, '5')));
    }
    SECTION("binary garbage in a delivery-status part and in charsets") {
        std::string noise;
        for (int i = 0; i < 50000; ++i) noise.push_back(static_cast<char>((i * 167 + 13) % 256));
        const auto m = "From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report; boundary=q\r\n\r\n--q\r\n"
                       "Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n" + noise +
                       "\r\n--q\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n" + noise + "\r\n--q--\r\n";
        CHECK_NOTHROW(read_all(m));
        CHECK_NOTHROW(to_utf8(noise, "shift_jis"));
        CHECK_NOTHROW(to_utf8(noise, "euc-jp"));
        CHECK_NOTHROW(to_utf8(noise, ""));
    }
    SECTION("a report about thousands of recipients is cut") {
        std::string m = "From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report; boundary=q\r\n\r\n--q\r\n"
                        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n";
        for (int i = 0; i < 3000; ++i) m += "Final-Recipient: rfc822; u" + std::to_string(i) + "@x.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n";
        const auto all = read_all(m + "--q--\r\n");
        CHECK(all.size() <= 500);
        CHECK(all.size() >= 100);
    }
    SECTION("every prefix of a multi-recipient bounce") {
        const auto text = fixture("readers/postfix-three-recipients-b64-qp.eml");
        for (std::size_t n = 0; n <= text.size(); n += 11) CHECK_FALSE(read_all(text.substr(0, n)).empty());
    }
}
