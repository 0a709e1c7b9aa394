// The verdict on evidence that names no SMTP stage (a status alone, a pasted reply, a reporter's
// words, Japanese text), the reports that are not failures, and the words explain puts on them.
#include "diagnosis/explanation.hpp"
#include "diagnosis/triage.hpp"
#include "diagnosis/verdict.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include <iconv.h>

using namespace relaylab;
using namespace relaylab::diag;
using gw::FailureClass;

namespace {

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::optional<gw::Classification> verdict(std::string_view input) { return classify_finding(read_any(input)); }

void check(const std::optional<gw::Classification>& c, FailureClass f, const std::string& status) {
    REQUIRE(c);
    CHECK(gw::to_string(c->failure) == gw::to_string(f));
    CHECK(c->status.str() == status);
}

// A DSN with a Status: field and nothing else about the cause (RFC 3464 §2.3.4 only).
std::string status_only_dsn(const std::string& status) {
    return "From: MAILER-DAEMON@mail.carrier.example\r\n"
           "To: <p..q.@docomo.ne.jp>\r\n"
           "Subject: Returned mail\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
           "\r\n"
           "--b\r\n"
           "Content-Type: text/plain\r\n"
           "\r\n"
           "The message could not be delivered.\r\n"
           "--b\r\n"
           "Content-Type: message/delivery-status\r\n"
           "\r\n"
           "Reporting-MTA: dns; mail.carrier.example\r\n"
           "\r\n"
           "Final-Recipient: rfc822; user@isp.example\r\n"
           "Action: failed\r\n"
           "Status: " + status + "\r\n"
           "\r\n"
           "--b--\r\n";
}

}  // namespace

TEST_CASE("verdict without a stage: status codes", "[diagnosis][verdict]") {
    SECTION("a DSN with Status 5.1.7 and no Diagnostic-Code is the sender rejected") {
        const auto f = read_any(status_only_dsn("5.1.7"));
        CHECK(f.recipient == "user@isp.example");
        const auto c = classify_finding(f);
        check(c, FailureClass::SenderRejected, "5.1.7");
        CHECK(gw::to_string(c->reason) == "rejected");
        CHECK(c->permanent);
    }
    SECTION("bare status codes") {
        check(verdict("5.1.7"), FailureClass::SenderRejected, "5.1.7");
        check(verdict("5.1.1"), FailureClass::RecipientUnknown, "5.1.1");
        check(verdict("5.2.2"), FailureClass::MailboxFull, "5.2.2");
        check(verdict("5.7.26"), FailureClass::AuthFailure, "5.7.26");
        check(verdict("5.7.25"), FailureClass::PtrRequired, "5.7.25");
        check(verdict("5.1.10"), FailureClass::NullMx, "5.1.10");
        const auto temporary = verdict("4.2.2");
        check(temporary, FailureClass::MailboxFull, "4.2.2");
        CHECK_FALSE(temporary->permanent);
    }
    SECTION("a status that says nothing stays 'cannot tell'") {
        CHECK_FALSE(verdict("5.0.0"));
        CHECK_FALSE(classify_finding(read_any(status_only_dsn("5.0.0"))));
    }
}

TEST_CASE("verdict without a stage: replies and words", "[diagnosis][verdict]") {
    SECTION("a bare Gmail reply pasted alone") {
        const auto c = verdict("550 5.7.26 This mail has been blocked because the sender is unauthenticated.");
        check(c, FailureClass::AuthFailure, "5.7.26");
        CHECK(gw::who_acts(*c) == gw::Actor::Carrier);
        CHECK_FALSE(c->stage);
    }
    SECTION("a bare reply with words only") {
        check(verdict("552 Mailbox full"), FailureClass::MailboxFull, "5.2.2");
        check(verdict("554 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"), FailureClass::IpBlocklisted,
              "5.7.1");
        check(verdict("452 Too many connections"), FailureClass::TooManyConnections, "4.4.5");
    }
    SECTION("a reporter's own words, Japanese included") {
        Finding f;
        f.recipient = "bob@docomo.ne.jp";
        f.diagnostic_text = "宛先の受信拒否設定により、メールを配信できませんでした。";
        check(classify_finding(f), FailureClass::RecipientFilter, "5.7.1");
        f.diagnostic_text = "宛先のメールボックスが容量オーバーです";
        check(classify_finding(f), FailureClass::MailboxFull, "5.2.2");
        f.diagnostic_text = "Host unknown (Name server: isp.example: host not found)";
        check(classify_finding(f), FailureClass::DnsNxdomain, "5.1.2");
        f.diagnostic_text = "some words nobody knows";
        CHECK_FALSE(classify_finding(f));
    }
    SECTION("the reported status refines words that only name the class") {
        Finding f;
        f.diagnostic_text = "quota exceeded";
        f.reported_status = "4.2.2";
        check(classify_finding(f), FailureClass::MailboxFull, "4.2.2");
    }
    SECTION("an expiry whose last attempt has no stage keeps the cause the words name") {
        Finding f;
        f.expired = true;
        f.diagnostic_text = "mailbox full";
        const auto c = classify_finding(f);
        check(c, FailureClass::Expired, "4.4.7");
        REQUIRE(c->last_temporary);
        CHECK(*c->last_temporary == FailureClass::MailboxFull);
        CHECK(gw::to_string(c->reason) == "mailboxfull");
        CHECK(gw::who_acts(*c) == gw::Actor::Recipient);
    }
}

namespace {

// `utf8` in another charset (the test's own text, written in UTF-8).
std::string encoded(const std::string& utf8, const char* charset) {
    iconv_t cd = iconv_open(charset, "UTF-8");
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(utf8.size() * 4 + 16, '\0');
    auto* in = const_cast<char*>(utf8.data());
    std::size_t in_left = utf8.size(), out_left = out.size();
    char* o = out.data();
    REQUIRE(iconv(cd, &in, &in_left, &o, &out_left) != static_cast<std::size_t>(-1));
    REQUIRE(iconv(cd, nullptr, nullptr, &o, &out_left) != static_cast<std::size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return out;
}

// A carrier's plain-text notice (no DSN part, no multipart) in `charset`, body written in UTF-8 here.
std::string japanese_notice(const std::string& body_utf8, const char* charset, const char* mime_charset, const char* cte) {
    return std::string("Return-Path: <>\nFrom: Postmaster@ezweb.ne.jp\nTo: taro-0101@ezweb.ne.jp\n"
                       "Subject: =?ISO-2022-JP?B?GyRCQXc/LiVhITwlayUoJWkhPBsoQg==?=\nMIME-Version: 1.0\n"
                       "Content-Type: text/plain; charset=") +
           mime_charset + "\nContent-Transfer-Encoding: " + cte + "\n\n" + encoded(body_utf8, charset);
}

}  // namespace

// Japanese carriers' and ISPs' plain-text notices label the recipient in their own words ("宛先アド
// レス：", "送信先メールアドレス："), align with ideographic spaces, or name it inside a sentence
// ("… 宛のメールは"); every variant must give the recipient and the cause, in ISO-2022-JP and Shift_JIS.
TEST_CASE("verdict: Japanese plain-text notices, labelled in their own words", "[diagnosis][verdict][charset]") {
    struct Case {
        const char* body;
        FailureClass failure;
        const char* status;
    };
    const Case cases[] = {
        {"送信メールエラー\n\n宛先アドレス：hanako.s@example.ne.jp\n\n宛先のメールアドレスが存在しないため、メールをお届けできませんでした。\n",
         FailureClass::RecipientUnknown, "5.1.1"},
        {"hanako.s@example.ne.jp 宛のメールは、相手先のメールボックスの容量がいっぱいのためお届けできませんでした。\n",
         FailureClass::MailboxFull, "5.2.2"},
        {"送信先メールアドレス：hanako.s@example.ne.jp\nエラー内容：ドメインが存在しません。@以降をご確認ください。\n",
         FailureClass::DnsNxdomain, "5.1.2"},
        {"送信したメールは、次の宛先に配送できませんでした。\n　宛先　：　<hanako.s@example.ne.jp>\n"
         "　理由　：　メールサイズが大きすぎるため受信できません。\n",
         FailureClass::MessageTooLarge, "5.3.4"},
        {"「hanako.s@example.ne.jp」宛のメールは、受信拒否設定により届きませんでした。\n", FailureClass::RecipientFilter, "5.7.1"},
        {"以下の宛先へのメールは配信できませんでした。\n宛先 hanako.s@example.ne.jp\n理由 メールボックスの容量を超えています。\n",
         FailureClass::MailboxFull, "5.2.2"},
        {"下記のメールアドレスは現在使われておりません。\nhanako.s@example.ne.jp\n", FailureClass::RecipientUnknown, "5.1.1"},
        // Words alone that say the message expired: 4.4.7 as every other expiry, not a 5.4.7 of words.
        {"送信先：hanako.s@example.ne.jp\n相手先のメールサーバーが応答しないため、一定時間内に配送できませんでした。\n",
         FailureClass::Expired, "4.4.7"},
    };
    for (const auto& c : cases) {
        for (const auto& [charset, mime, cte] : {std::tuple{"ISO-2022-JP", "ISO-2022-JP", "7bit"}, std::tuple{"SHIFT_JIS", "Shift_JIS", "8bit"}}) {
            INFO(charset << ": " << c.body);
            const auto f = read_any(japanese_notice(c.body, charset, mime, cte));
            CHECK(f.recipient == "hanako.s@example.ne.jp");
            check(classify_finding(f), c.failure, c.status);
        }
    }
    SECTION("an expiry's cause is said once") {
        const auto e = explain(read_any(japanese_notice(cases[std::size(cases) - 1].body, "ISO-2022-JP", "ISO-2022-JP", "7bit")),
                               gw::Language::En);
        const auto first = e.likely_cause.find("gave up");
        REQUIRE(first != std::string::npos);
        CHECK(e.likely_cause.find("gave up", first + 1) == std::string::npos);
    }
}

TEST_CASE("verdict: Postfix's host-not-found words carry Postfix's status", "[diagnosis][verdict]") {
    // A provider's own bounce (no DSN part) quoting Postfix's per-recipient words: Postfix reports
    // them as 5.4.4, as the DSN of a Postfix bounce says.
    const std::string bounce = "From: postmaster@isp.example\nTo: taro@isp.example\nSubject: Returned mail: Delivery failed\n"
                               "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
                               "   ----- The following addresses had delivery problems -----\nhana@nowhere.example\n\n"
                               "   ----- Non-delivered information -----\n"
                               "Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found\n";
    check(verdict(bounce), FailureClass::DnsNxdomain, "5.4.4");
    // "try again" is a temporary DNS failure: nothing is implied.
    const auto later = read_any(bounce.substr(0, bounce.size() - 1) + ", try again\n");
    CHECK(later.reported_status.empty());
}

TEST_CASE("cannot tell: the same Sisimai name in explain --json and explain --jsonl", "[diagnosis][verdict]") {
    // A reply whose command is unknown decides nothing: "onhold" (Sisimai's name for a bounce it
    // holds but cannot explain) in both outputs; nothing read at all is "undefined".
    const std::string reply = "553 malformed address";
    CHECK(untold_reason(read_any(reply)) == gw::Reason::OnHold);
    CHECK(to_json(explain(read_any(reply), gw::Language::En))["reason"] == "onhold");
    const auto records = triage_input(BatchInput{"pasted", reply, false, {}}, false);
    REQUIRE(records.size() == 1);
    CHECK(to_json(records.front())["reason"] == "onhold");
    CHECK(untold_reason(Finding{}) == gw::Reason::Undefined);
}

TEST_CASE("verdict: reports that are not failures", "[diagnosis][verdict]") {
    Finding f;
    f.recipient = "bob@isp.example";
    SECTION("success DSN") {
        f.report = ReportKind::Delivered;
        f.reported_status = "2.0.0";
        const auto c = classify_finding(f);
        check(c, FailureClass::Delivered, "2.0.0");
        CHECK(gw::to_string(c->reason) == "delivered");
    }
    SECTION("auto-reply") {
        f.report = ReportKind::AutoReply;
        const auto c = classify_finding(f);
        check(c, FailureClass::AutoReply, "");
        CHECK(gw::to_string(c->reason) == "vacation");
        CHECK(gw::who_acts(*c) == gw::Actor::Nobody);
    }
    SECTION("abuse feedback") {
        f.report = ReportKind::Feedback;
        const auto c = classify_finding(f);
        check(c, FailureClass::AbuseFeedback, "");
        CHECK(gw::to_string(c->reason) == "feedback");
    }
    SECTION("a delay warning names its cause when the evidence does") {
        f.report = ReportKind::Delayed;
        f.stage = smtp::Stage::Rcpt;
        f.reply = parse_reply_text("452 4.2.2 Mailbox full");
        REQUIRE(f.reply);
        const auto c = classify_finding(f);
        check(c, FailureClass::Delayed, "4.2.2");
        REQUIRE(c->last_temporary);
        CHECK(*c->last_temporary == FailureClass::MailboxFull);
        CHECK(gw::who_acts(*c) == gw::Actor::Recipient);
        CHECK_FALSE(c->permanent);
    }
    SECTION("a delay warning with nothing more") {
        f.report = ReportKind::Delayed;
        check(classify_finding(f), FailureClass::Delayed, "4.0.0");
    }
}

TEST_CASE("explain names the class, reason, status and who acts", "[diagnosis][verdict][explain]") {
    SECTION("English") {
        const auto e = explain(read_any("452 4.2.2 The email account that you tried to reach is over quota"), gw::Language::En);
        REQUIRE(e.can_tell());
        const auto text = render_text(e, gw::Language::En);
        CHECK(has(text, "class: mailbox_full, 4.2.2"));
        CHECK(has(text, "reason (Sisimai's name): mailboxfull"));
        CHECK(has(text, "who must act: the recipient"));
        CHECK(has(e.likely_cause, "full"));
        const auto j = to_json(e);
        CHECK(j["class"] == "mailbox_full");
        CHECK(j["reason"] == "mailboxfull");
        CHECK(j["actor"] == "recipient");
    }
    SECTION("Japanese: the labels and the words are Japanese") {
        const auto e = explain(read_any("550 5.7.26 This mail has been blocked because the sender is unauthenticated."), gw::Language::Ja);
        REQUIRE(e.can_tell());
        const auto text = render_text(e, gw::Language::Ja);
        CHECK(has(text, "分類: 送信ドメイン認証の失敗（auth_failure）, 5.7.26"));
        CHECK(has(text, "理由（Sisimai の名前）: authfailure"));
        CHECK(has(text, "対処する人: 携帯電話会社（ゲートウェイの運用者）"));
        CHECK(has(e.meaning, "複数の認証検査に失敗"));
        CHECK(has(e.likely_cause, "SPF"));
        CHECK(has(e.what_to_do, "携帯電話会社"));
        CHECK_FALSE(has(text, "who must act"));
        CHECK_FALSE(has(text, "class:"));
    }
    SECTION("the docomo filter: the recipient acts, not the sender") {
        Finding f;
        f.recipient = "bob@docomo.ne.jp";
        f.remote_host = "mfsmax.docomo.ne.jp";
        f.stage = smtp::Stage::Dot;
        f.reply = parse_reply_text("550 Unknown user bob@docomo.ne.jp");
        const auto e = explain(f, gw::Language::Ja);
        REQUIRE(e.can_tell());
        CHECK(e.classification->failure == FailureClass::RecipientFilter);
        CHECK(has(render_text(e, gw::Language::Ja), "対処する人: 宛先の方"));
        CHECK(has(e.likely_cause, "受信設定"));
    }
    SECTION("an auto-reply is no failure") {
        Finding f;
        f.report = ReportKind::AutoReply;
        const auto e = explain(f, gw::Language::Ja);
        REQUIRE(e.can_tell());
        CHECK(has(e.meaning, "失敗の報告ではない"));
        CHECK(has(render_text(e, gw::Language::Ja), "ステータスなし"));
    }
}
