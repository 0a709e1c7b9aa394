// The reply rules (policies/replies/*.json): what remotes' words and codes mean, fed as replies to
// classify() exactly as the gateway meets them, and the rule files' own format.
#include "taxonomy/classify.hpp"
#include "taxonomy/reply_rules.hpp"
#include "jsonsource/json_source.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace relaylab;
using namespace relaylab::gw;
using smtp::Stage;

namespace {

const std::string sender = "alice@ezweb.ne.jp";

// "550-5.7.26 a" / "550 5.7.26 b" lines as a parsed reply (the enhanced code from the first line).
smtp::Reply reply_of(std::vector<std::string> lines) {
    smtp::Reply r;
    r.code = std::stoi(lines.front().substr(0, 3));
    for (auto& l : lines) {
        auto text = l.size() > 4 ? l.substr(4) : std::string();
        if (r.lines.empty() && text.size() >= 5 && (text[0] == '2' || text[0] == '4' || text[0] == '5') && text[1] == '.') {
            const auto sp = text.find(' ');
            if (const auto s = parse_dsn_status(text.substr(0, sp)))
                r.enhanced = smtp::EnhancedCode{s->klass, s->subject, s->detail};
        }
        r.lines.push_back(std::move(text));
    }
    return r;
}

Classification at(Stage stage, std::vector<std::string> lines, const std::string& rcpt = "bob@isp.example",
                  const std::string& host = "mx1.isp.example") {
    smtp::RecipientOutcome o;
    o.address = rcpt;
    o.stage = stage;
    o.reply = reply_of(std::move(lines));
    return classify(DeliveryOutcome::smtp_result(sender, o, smtp::Remote{host, "127.0.0.11", 25}));
}

void check(const Classification& c, FailureClass f, const std::string& status, bool permanent) {
    CHECK(to_string(c.failure) == to_string(f));
    CHECK(c.status.str() == status);
    CHECK(c.permanent == permanent);
    CHECK(c.reason == reason_of(f));
}

}  // namespace

TEST_CASE("reply rules: remote-specific meanings (docomo)", "[classify][reply_rules]") {
    const std::string rcpt = "bob@docomo.ne.jp", mx = "mfsmax.docomo.ne.jp";
    SECTION("550 Unknown user at end of DATA is the reception filter, not an unknown user") {
        const auto c = at(Stage::Dot, {"550 Unknown user bob@docomo.ne.jp"}, rcpt, mx);
        check(c, FailureClass::RecipientFilter, "5.7.1", true);
        CHECK(to_string(c.reason) == "filtered");
        CHECK(c.rule == "docomo-filter-at-data");
        CHECK(who_acts(c) == Actor::Recipient);
        check(at(Stage::Data, {"550 Unknown user"}, rcpt, mx), FailureClass::RecipientFilter, "5.7.1", true);
    }
    SECTION("the same words at RCPT TO mean the mailbox does not exist") {
        check(at(Stage::Rcpt, {"550 Unknown user bob@docomo.ne.jp"}, rcpt, mx), FailureClass::RecipientUnknown, "5.1.1", true);
    }
    SECTION("the same words at end of DATA from another remote keep their usual reading") {
        check(at(Stage::Dot, {"550 Unknown user"}), FailureClass::RecipientUnknown, "5.1.1", true);
    }
    SECTION("552 Too many recipients from docomo is a rate limit (speeding), not a full mailbox") {
        const auto c = at(Stage::Rcpt, {"552 Too many recipients"}, rcpt, mx);
        check(c, FailureClass::RateLimited, "5.5.3", true);
        CHECK(to_string(c.reason) == "speeding");
        CHECK(who_acts(c) == Actor::Carrier);
        // Elsewhere the words say too many recipients in one transaction.
        check(at(Stage::Rcpt, {"452 4.5.3 Too many recipients"}), FailureClass::TooManyConnections, "4.5.3", false);
    }
    SECTION("the remote's domain matches by the MX host name as well as by the recipient's domain") {
        check(at(Stage::Dot, {"550 Unknown user"}, "bob@example.org", mx), FailureClass::RecipientFilter, "5.7.1", true);
    }
}

TEST_CASE("reply rules: Gmail authentication and PTR (RFC 7372)", "[classify][reply_rules]") {
    SECTION("550-5.7.26 unauthenticated sender at end of DATA: the carrier's SPF/DKIM, not the content") {
        const auto c = at(Stage::Dot, {"550-5.7.26 This mail has been blocked because the sender is",
                                       "550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with",
                                       "550 5.7.26 either SPF or DKIM."});
        check(c, FailureClass::AuthFailure, "5.7.26", true);
        CHECK(to_string(c.reason) == "authfailure");
        CHECK(who_acts(c) == Actor::Carrier);
    }
    SECTION("5.7.23 SPF, 5.7.20 DKIM, 5.7.25 PTR; the exact code wins over words like 'blocked'") {
        check(at(Stage::Dot, {"550 5.7.23 The message was blocked: SPF check failed"}), FailureClass::AuthFailure, "5.7.23", true);
        check(at(Stage::Dot, {"550 5.7.20 No passing DKIM signature found"}), FailureClass::AuthFailure, "5.7.20", true);
        const auto ptr = at(Stage::Rcpt, {"550 5.7.25 The IP address sending this message does not have a PTR record setup"});
        check(ptr, FailureClass::PtrRequired, "5.7.25", true);
        CHECK(to_string(ptr.reason) == "requireptr");
        check(at(Stage::Mail, {"421 4.7.26 Unauthenticated email is not accepted from this domain"}), FailureClass::AuthFailure, "4.7.26",
              false);
    }
    SECTION("DMARC in words, and a PTR problem without a code") {
        check(at(Stage::Dot, {"550 5.7.1 Email rejected per DMARC policy for example.org"}), FailureClass::AuthFailure, "5.7.1", true);
        check(at(Stage::Mail, {"550 Reverse DNS lookup failed for 192.0.2.1"}), FailureClass::PtrRequired, "5.7.25", true);
    }
}

TEST_CASE("reply rules: a full mailbox is its own class, temporary or permanent as replied", "[classify][reply_rules]") {
    const auto temporary = at(Stage::Rcpt, {"452 4.2.2 The email account that you tried to reach is over quota"});
    check(temporary, FailureClass::MailboxFull, "4.2.2", false);
    CHECK(to_string(temporary.reason) == "mailboxfull");
    CHECK(who_acts(temporary) == Actor::Recipient);
    check(at(Stage::Rcpt, {"552 5.2.2 Mailbox full"}), FailureClass::MailboxFull, "5.2.2", true);
    check(at(Stage::Dot, {"552 5.2.2 Requested mail action aborted: exceeded storage allocation"}), FailureClass::MailboxFull, "5.2.2", true);
    check(at(Stage::Rcpt, {"550 Mailbox quota exceeded"}), FailureClass::MailboxFull, "5.2.2", true);
    check(at(Stage::Rcpt, {"552 mailbox full"}), FailureClass::MailboxFull, "5.2.2", true);
    CHECK(permanence(FailureClass::MailboxFull) == Permanence::AsReplied);
}

TEST_CASE("reply rules: common words", "[classify][reply_rules]") {
    struct Case {
        Stage stage;
        const char* reply;
        FailureClass failure;
        const char* status;
    };
    const Case cases[] = {
        {Stage::Rcpt, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", FailureClass::IpBlocklisted, "5.7.1"},
        {Stage::Mail, "550 Your IP address is blacklisted", FailureClass::IpBlocklisted, "5.7.1"},
        {Stage::Greeting, "554 Your address is listed in our blocklist", FailureClass::IpBlocklisted, "5.7.1"},
        {Stage::Mail, "550 5.7.1 Poor sender reputation", FailureClass::BadReputation, "5.7.1"},
        {Stage::Mail, "451 4.7.1 Rate limit exceeded, try later", FailureClass::RateLimited, "4.7.1"},
        {Stage::Mail, "421 4.7.0 Too many messages from your IP, slow down", FailureClass::RateLimited, "4.7.0"},
        {Stage::Greeting, "421 Too many connections from your IP", FailureClass::TooManyConnections, "4.4.5"},
        {Stage::Rcpt, "554 5.7.1 <bob@isp.example>: Relay access denied", FailureClass::RelayingDenied, "5.7.1"},
        {Stage::Rcpt, "550 relay not permitted", FailureClass::RelayingDenied, "5.7.1"},
        {Stage::Dot, "554 5.7.1 Message rejected as spam", FailureClass::SpamDetected, "5.7.1"},
        {Stage::Dot, "550 Message looks like SPAM", FailureClass::SpamDetected, "5.7.1"},
        {Stage::Dot, "554 5.7.1 Virus found: Eicar-Test-Signature", FailureClass::VirusDetected, "5.7.1"},
        {Stage::Rcpt, "550 5.2.1 Account disabled", FailureClass::MailboxDisabled, "5.2.1"},
        {Stage::Rcpt, "550 User suspended", FailureClass::MailboxDisabled, "5.2.1"},
        {Stage::Mail, "530 5.7.0 Must issue a STARTTLS command first", FailureClass::TlsRequired, "5.7.0"},
        {Stage::Mail, "530 TLS required", FailureClass::TlsRequired, "5.7.10"},
        {Stage::Rcpt, "551 User has moved; please try <b@new.example>", FailureClass::RecipientMoved, "5.1.6"},
        {Stage::Dot, "552 5.2.3 Message exceeds the recipient's size limit", FailureClass::ExceedsLimit, "5.2.3"},
        {Stage::Dot, "550 5.6.0 Message is not RFC 5322 compliant", FailureClass::NotRfcCompliant, "5.6.0"},
        {Stage::Rcpt, "452 4.3.1 Insufficient system storage", FailureClass::SystemFull, "4.3.1"},
        {Stage::Greeting, "521 5.3.2 mx.isp.example does not accept mail", FailureClass::NotAccepting, "5.3.2"},
        {Stage::Rcpt, "550 5.7.1 Message rejected due to user rules", FailureClass::RecipientFilter, "5.7.1"},
        {Stage::Rcpt, "550 受信拒否設定により拒否されました", FailureClass::RecipientFilter, "5.7.1"},
        {Stage::Rcpt, "552 メールボックスの容量オーバーです", FailureClass::MailboxFull, "5.2.2"},
        {Stage::Rcpt, "450 4.7.1 Greylisted, please try again later", FailureClass::TemporaryFailure, "4.7.1"},
        {Stage::Rcpt, "550 5.7.1 Refused by administrative prohibition", FailureClass::PolicyViolation, "5.7.1"},
        {Stage::Rcpt, "554 5.7.1 :  (DNS:NR)  http://postmaster.example/errors/554dnsnr.html", FailureClass::PtrRequired, "5.7.25"},
        {Stage::Rcpt, "550 5.5.0 Requested action not taken: mailbox unavailable", FailureClass::RecipientUnknown, "5.1.1"},
        {Stage::Rcpt, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", FailureClass::RecipientUnknown, "5.1.1"},
        {Stage::Rcpt, "553 5.7.2 [TSS09] All messages from 192.0.2.60 will be permanently deferred", FailureClass::IpBlocklisted, "5.7.1"},
        {Stage::Mail, "421 4.7.1 :  (DYN:T1)  http://postmaster.example/errors/421dynt1.html", FailureClass::IpBlocklisted, "4.7.1"},
        {Stage::Helo, "501 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname", FailureClass::SyntaxError, "5.5.2"},
        {Stage::Dot, "554 5.7.9 Message not accepted for policy reasons.  See https://senders.example/error-codes", FailureClass::AuthFailure, "5.7.9"},
        {Stage::Rcpt, "451 4.7.650 The mail server [198.51.100.44] has been temporarily rate limited due to IP reputation.",
         FailureClass::BadReputation, "4.7.650"},
        {Stage::Rcpt, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", FailureClass::RecipientUnknown, "5.1.10"},
        {Stage::Mail, "550 5.1.8 Access denied, bad outbound sender.", FailureClass::SenderRejected, "5.1.8"},
        {Stage::Dot, "500 Line Too Long", FailureClass::NotRfcCompliant, "5.6.0"},
        {Stage::Mail, "451 Message temporarily deferred due to unresolvable RFC.5321 from domain", FailureClass::SenderRejected, "4.1.8"},
        {Stage::Mail, "421 Max message per connection reached, closing transmission channel", FailureClass::TooManyConnections, "4.4.5"},
        {Stage::Dot, "552 5.2.3 Message exceeds the per-recipient size limit of 10485760 bytes", FailureClass::ExceedsLimit, "5.2.3"},
        {Stage::Dot, "550 5.7.1 Message refused by content policy: attachments of type .zip are not allowed", FailureClass::PolicyViolation, "5.7.1"},
    };
    for (const auto& k : cases) {
        SECTION(k.reply) {
            const auto c = at(k.stage, {k.reply});
            CHECK(to_string(c.failure) == to_string(k.failure));
            CHECK(c.status.str() == k.status);
            CHECK(c.permanent == (k.reply[0] == '5'));
            CHECK_FALSE(c.rule.empty());
        }
    }
    SECTION("continuation lines that repeat the enhanced code read as one sentence") {
        check(at(Stage::Dot, {"552-5.7.0 This message was blocked because its content presents a potential",
                              "552-5.7.0 security issue. To review our message content and attachment content",
                              "552 5.7.0 guidelines, go to https://support.example/?p=BlockedMessage"}),
              FailureClass::VirusDetected, "5.7.0", true);
        check(at(Stage::Dot, {"550-5.7.1 [198.51.100.33] This message is not RFC 5322 compliant, the issue",
                              "550-5.7.1 is: multiple From headers. To reduce the amount of spam sent to",
                              "550 5.7.1 Gmail, this message has been blocked."}),
              FailureClass::NotRfcCompliant, "5.7.1", true);
        smtp::Reply r;
        r.code = 550;
        r.enhanced = smtp::EnhancedCode{5, 7, 26};
        r.lines = {"5.7.26 This mail is", "5.7.26 unauthenticated", "5.7.2 kept"};
        CHECK(reply_words(r) == "5.7.26 This mail is unauthenticated 5.7.2 kept");
    }
    SECTION("a 5xx to RSET says nothing about the message, whatever its words") {
        check(at(Stage::Rset, {"554 Message rejected as spam"}), FailureClass::TemporaryFailure, "4.0.0", false);
    }
    SECTION("words no rule knows: the stage decides, as before") {
        const auto c = at(Stage::Mail, {"553 malformed address"});
        check(c, FailureClass::SenderRejected, "5.1.7", true);
        CHECK(c.rule.empty());
    }
}

TEST_CASE("reply rules: the class table", "[classify][reply_rules]") {
    SECTION("every class has a reason, an actor and a permanence; names round-trip") {
        for (const auto f : all_failure_classes()) {
            CHECK(reason_from_string(to_string(reason_of(f))) == reason_of(f));
            CHECK(actor_from_string(to_string(who_acts(f))) == who_acts(f));
            if (permanence(f) == Permanence::AsReplied) {
                CHECK(default_status(f, 4).klass == 4);
                CHECK(default_status(f, 5).klass == 5);
            }
        }
        CHECK(reason_of(FailureClass::SenderRejected) == Reason::Rejected);
        CHECK(reason_of(FailureClass::AbuseFeedback) == Reason::Feedback);
        CHECK(default_status(FailureClass::AuthFailure, 5).str() == "5.7.26");
        CHECK(default_status(FailureClass::AutoReply, 5).str().empty());
    }
    SECTION("status parsing") {
        CHECK(parse_dsn_status("5.1.10") == DsnStatus{5, 1, 10});
        CHECK_FALSE(parse_dsn_status("3.1.1"));
        CHECK_FALSE(parse_dsn_status("5.1"));
        CHECK_FALSE(parse_dsn_status("5.1.1 "));
        CHECK_FALSE(parse_dsn_status("55.1.1"));
    }
}

TEST_CASE("reply rules: the data format", "[reply_rules]") {
    SECTION("the shipped files load, in name order") {
        const auto& set = shipped_reply_rules();
        CHECK(set.rules.size() > 80);
        REQUIRE(set.sources.size() >= 4);
        CHECK(set.sources.front() == "policies/replies/10-remotes.json");
    }
    SECTION("a carrier's own remote: a rule names the domain, stage, code and words") {
        ReplyRuleSet set;
        add_reply_rules(set, R"({"rules": [
            {"id": "mobile-x-filter", "match": {"domain": "mobile.example", "stage": "dot", "code": 550, "text": "rejected"},
             "class": "recipient_filter", "status": "X.7.1"}]})",
                        "local.json");
        ReplyFacts f;
        f.stage = Stage::Dot;
        f.code = 550;
        f.text = "Message REJECTED";
        f.remote_host = "mx3.mobile.example";
        const auto m = match_reply(set, f);
        REQUIRE(m);
        CHECK(m->failure == FailureClass::RecipientFilter);
        CHECK(m->status == DsnStatus{5, 7, 1});
        f.remote_host = "mobile.example.net";
        CHECK_FALSE(match_reply(set, f));
        f.remote_host = "xmobile.example";
        CHECK_FALSE(match_reply(set, f));
    }
    SECTION("errors name the file, line and column") {
        ReplyRuleSet set;
        auto error_of = [&](const std::string& text) {
            try {
                add_reply_rules(set, text, "bad.json");
            } catch (const JsonSourceError& e) {
                return std::string(e.what());
            }
            return std::string("no error");
        };
        CHECK_THAT(error_of(R"({"rules": [{"match": {"code": 550}, "class": "no_such_class"}]})"),
                   Catch::Contains("bad.json:1:") && Catch::Contains("unknown failure class"));
        CHECK_THAT(error_of(R"({"rules": [{"match": {"stage": "mial"}, "class": "mailbox_full"}]})"), Catch::Contains("unknown stage"));
        CHECK_THAT(error_of(R"({"rules": [{"match": {"status": "5.x"}, "class": "mailbox_full"}]})"), Catch::Contains("status pattern"));
        CHECK_THAT(error_of(R"({"rules": [{"match": {"regex": "("}, "class": "mailbox_full"}]})"), Catch::Contains("regular expression"));
        CHECK_THAT(error_of(R"({"rules": [{"match": {}, "class": "mailbox_full"}]})"), Catch::Contains("non-empty"));
        CHECK_THAT(error_of(R"({"rules": [{"match": {"code": 550}, "class": "mailbox_full", "colour": 1}]})"), Catch::Contains("colour"));
        CHECK(set.rules.empty());
    }
}
