#include "taxonomy/classify.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab;
using namespace relaylab::gw;
using smtp::Stage;

namespace {

const std::string sender = "p..q.@docomo.ne.jp";
const std::string rcpt = "user@isp.example";
const smtp::Remote mx1{"mx1.isp.example", "127.0.0.11", 25};

smtp::Reply reply(int code, std::string text, std::optional<smtp::EnhancedCode> enhanced = std::nullopt) {
    smtp::Reply r;
    r.code = code;
    r.enhanced = enhanced;
    r.lines = {std::move(text)};
    return r;
}

DeliveryOutcome at_stage(Stage stage, smtp::Reply r) {
    smtp::RecipientOutcome o;
    o.address = rcpt;
    o.stage = stage;
    o.reply = std::move(r);
    return DeliveryOutcome::smtp_result(sender, o, mx1);
}

DeliveryOutcome net_error(Stage stage, smtp::NetError e) {
    smtp::RecipientOutcome o;
    o.address = rcpt;
    o.stage = stage;
    o.net = e;
    return DeliveryOutcome::smtp_result(sender, o, mx1);
}

void check(const Classification& c, FailureClass f, const std::string& status, bool permanent) {
    CHECK(to_string(c.failure) == to_string(f));
    CHECK(c.status.str() == status);
    CHECK(c.permanent == permanent);
}

}  // namespace

TEST_CASE("classify: the 2009 case", "[classify]") {
    SECTION("553 malformed address at MAIL FROM, no enhanced code → sender_rejected 5.1.7 permanent") {
        const auto c = classify(at_stage(Stage::Mail, reply(553, "malformed address")));
        check(c, FailureClass::SenderRejected, "5.1.7", true);
        REQUIRE(c.stage);
        CHECK(*c.stage == Stage::Mail);
        CHECK(c.diagnostic_code == "smtp; 553 malformed address");
        CHECK_FALSE(c.expired);
    }
    SECTION("a generic enhanced code at MAIL is made specific") {
        check(classify(at_stage(Stage::Mail, reply(553, "5.1.0 Sender address syntax error", smtp::EnhancedCode{5, 1, 0}))),
              FailureClass::SenderRejected, "5.1.7", true);
        check(classify(at_stage(Stage::Mail, reply(550, "5.0.0 no", smtp::EnhancedCode{5, 0, 0}))),
              FailureClass::SenderRejected, "5.1.7", true);
    }
    SECTION("a specific enhanced code at MAIL is kept") {
        check(classify(at_stage(Stage::Mail, reply(553, "5.1.8 bad sender domain", smtp::EnhancedCode{5, 1, 8}))),
              FailureClass::SenderRejected, "5.1.8", true);
    }
    SECTION("multi-line replies are joined for the diagnostic") {
        smtp::Reply r;
        r.code = 553;
        r.lines = {"malformed address:", "see policy"};
        CHECK(classify(at_stage(Stage::Mail, r)).diagnostic_code == "smtp; 553 malformed address: see policy");
    }
}

TEST_CASE("classify: every SMTP class", "[classify]") {
    SECTION("delivered") {
        smtp::RecipientOutcome o;
        o.address = rcpt;
        o.stage = Stage::Done;
        o.reply = reply(250, "2.0.0 Ok: queued", smtp::EnhancedCode{2, 0, 0});
        check(classify(DeliveryOutcome::smtp_result(sender, o, mx1)), FailureClass::Delivered, "2.0.0", false);
    }
    SECTION("RCPT: user unknown by code, by text; finer classes by words; otherwise rejected") {
        check(classify(at_stage(Stage::Rcpt, reply(550, "5.1.1 <user@isp.example>: Recipient address rejected", smtp::EnhancedCode{5, 1, 1}))),
              FailureClass::RecipientUnknown, "5.1.1", true);
        check(classify(at_stage(Stage::Rcpt, reply(550, "User unknown"))), FailureClass::RecipientUnknown, "5.1.1", true);
        check(classify(at_stage(Stage::Rcpt, reply(550, "5.0.0 No such user here", smtp::EnhancedCode{5, 0, 0}))),
              FailureClass::RecipientUnknown, "5.1.1", true);
        check(classify(at_stage(Stage::Rcpt, reply(550, "relaying denied"))), FailureClass::RelayingDenied, "5.7.1", true);
        check(classify(at_stage(Stage::Rcpt, reply(554, "5.7.1 blocked by policy", smtp::EnhancedCode{5, 7, 1}))),
              FailureClass::PolicyViolation, "5.7.1", true);
        check(classify(at_stage(Stage::Rcpt, reply(552, "mailbox full"))), FailureClass::MailboxFull, "5.2.2", true);
        check(classify(at_stage(Stage::Rcpt, reply(550, "go away"))), FailureClass::RecipientRejected, "5.1.0", true);
        check(classify(at_stage(Stage::Rcpt, reply(553, "5.1.0 not here", smtp::EnhancedCode{5, 1, 0}))),
              FailureClass::RecipientRejected, "5.1.0", true);
    }
    SECTION("greeting, EHLO/HELO, DATA, final dot") {
        check(classify(at_stage(Stage::Greeting, reply(554, "no SMTP service here"))), FailureClass::GreetingRejected, "5.3.2", true);
        check(classify(at_stage(Stage::Helo, reply(504, "need fully-qualified hostname"))), FailureClass::HeloRejected, "5.5.0", true);
        check(classify(at_stage(Stage::Data, reply(554, "no valid recipients"))), FailureClass::DataRejected, "5.0.0", true);
        check(classify(at_stage(Stage::Dot, reply(554, "5.7.1 spam", smtp::EnhancedCode{5, 7, 1}))),
              FailureClass::SpamDetected, "5.7.1", true);
        check(classify(at_stage(Stage::Dot, reply(554, "5.0.0 no thanks", smtp::EnhancedCode{5, 0, 0}))),
              FailureClass::MessageRejected, "5.0.0", true);
    }
    SECTION("message too large") {
        check(classify(at_stage(Stage::Dot, reply(552, "message size exceeds fixed limit"))), FailureClass::MessageTooLarge, "5.3.4", true);
        check(classify(at_stage(Stage::Mail, reply(552, "too big"))), FailureClass::MessageTooLarge, "5.3.4", true);
        check(classify(net_error(Stage::Mail, smtp::NetError::TooLarge)), FailureClass::MessageTooLarge, "5.3.4", true);
    }
    SECTION("4xx anywhere is temporary; a specific code is kept, else 4.0.0") {
        check(classify(at_stage(Stage::Rcpt, reply(450, "4.7.1 greylisted", smtp::EnhancedCode{4, 7, 1}))),
              FailureClass::TemporaryFailure, "4.7.1", false);
        check(classify(at_stage(Stage::Mail, reply(451, "try later"))), FailureClass::TemporaryFailure, "4.0.0", false);
        check(classify(at_stage(Stage::Greeting, reply(421, "busy"))), FailureClass::TemporaryFailure, "4.0.0", false);
    }
    SECTION("the reply's class wins over a mismatched enhanced class") {
        check(classify(at_stage(Stage::Rcpt, reply(550, "4.1.1 odd", smtp::EnhancedCode{4, 1, 1}))),
              FailureClass::RecipientUnknown, "5.1.1", true);
    }
    SECTION("network errors") {
        check(classify(net_error(Stage::Connect, smtp::NetError::ConnectRefused)), FailureClass::ConnectFailed, "4.4.1", false);
        check(classify(net_error(Stage::Connect, smtp::NetError::ConnectTimeout)), FailureClass::ConnectFailed, "4.4.2", false);
        check(classify(net_error(Stage::Greeting, smtp::NetError::Timeout)), FailureClass::TemporaryFailure, "4.4.2", false);
        check(classify(net_error(Stage::Rcpt, smtp::NetError::Closed)), FailureClass::TemporaryFailure, "4.4.2", false);
        check(classify(net_error(Stage::Greeting, smtp::NetError::Protocol)), FailureClass::ProtocolError, "4.5.0", false);
        CHECK(classify(net_error(Stage::Connect, smtp::NetError::ConnectRefused)).diagnostic_code.empty());
    }
}

TEST_CASE("classify: DNS and local outcomes", "[classify]") {
    using S = dns::Status;
    auto domain = [](S s) { return classify(DeliveryOutcome::domain_dns(sender, rcpt, "isp.example", s)); };
    auto mxhost = [](S s) { return classify(DeliveryOutcome::mx_host_dns(sender, rcpt, "mx1.isp.example", s)); };
    SECTION("domain") {
        check(domain(S::NxDomain), FailureClass::DnsNxdomain, "5.1.2", true);
        check(domain(S::NoData), FailureClass::DnsNodata, "5.4.4", true);
        check(domain(S::NullMx), FailureClass::NullMx, "5.1.10", true);
        check(domain(S::BadName), FailureClass::BadDomain, "5.1.2", true);
        for (auto s : {S::ServFail, S::Refused, S::Timeout, S::BadAnswer, S::ConnRefused, S::Error})
            check(domain(s), FailureClass::DnsTemporary, "4.4.3", false);
        CHECK_FALSE(domain(S::NxDomain).stage.has_value());
    }
    SECTION("MX host") {
        check(mxhost(S::NxDomain), FailureClass::MxNoAddress, "5.4.4", true);
        check(mxhost(S::NoData), FailureClass::MxNoAddress, "5.4.4", true);
        check(mxhost(S::ServFail), FailureClass::DnsTemporary, "4.4.3", false);
    }
    SECTION("local") {
        check(classify(DeliveryOutcome::local_error(sender, rcpt, LocalError::MailLoop)), FailureClass::MailLoop, "5.4.6", true);
        check(classify(DeliveryOutcome::local_error(sender, rcpt, LocalError::Spool)), FailureClass::LocalError, "4.3.0", false);
    }
}

TEST_CASE("classify: expiry keeps the last temporary outcome's status", "[classify]") {
    SECTION("after connection refused: 4.4.1, stage connect, permanent") {
        auto last = net_error(Stage::Connect, smtp::NetError::ConnectRefused);
        last.attempt = 12;
        const auto c = classify(DeliveryOutcome::expired(last, {}));
        check(c, FailureClass::Expired, "4.4.1", true);
        CHECK(c.expired);
        REQUIRE(c.last_temporary);
        CHECK(*c.last_temporary == FailureClass::ConnectFailed);
        CHECK(*c.stage == Stage::Connect);
    }
    SECTION("after a generic 4xx at RCPT: 4.4.7 and the last reply") {
        const auto c = classify(DeliveryOutcome::expired(at_stage(Stage::Rcpt, reply(451, "try again later")), {}));
        check(c, FailureClass::Expired, "4.4.7", true);
        CHECK(c.diagnostic_code == "smtp; 451 try again later");
    }
    SECTION("after DNS SERVFAIL: 4.4.3") {
        const auto c = classify(DeliveryOutcome::expired(
            DeliveryOutcome::domain_dns(sender, rcpt, "isp.example", dns::Status::ServFail), {}));
        check(c, FailureClass::Expired, "4.4.3", true);
        CHECK_FALSE(c.stage);
    }
    SECTION("without a recorded last outcome: 4.4.7") {
        check(classify(DeliveryOutcome::expired(sender, rcpt, 3, {})), FailureClass::Expired, "4.4.7", true);
    }
}

TEST_CASE("classify: names round-trip", "[classify]") {
    SECTION("failure classes") {
        CHECK(all_failure_classes().size() == static_cast<std::size_t>(FailureClass::AbuseFeedback) + 1);
        for (const auto f : all_failure_classes()) CHECK(failure_class_from_string(to_string(f)) == f);
        CHECK(to_string(FailureClass::SenderRejected) == "sender_rejected");
        CHECK_FALSE(failure_class_from_string("Sender_Rejected"));
    }
    SECTION("command words") {
        CHECK(smtp::command_words(Stage::Mail) == "MAIL FROM");
        CHECK(smtp::command_words(Stage::Dot) == "end of DATA");
    }
}

TEST_CASE("classify: SMTPUTF8 not offered (RFC 6531 §3.2) is its own permanent class, 5.6.7", "[classify][smtputf8]") {
    SECTION("refused locally: at MAIL for a UTF-8 sender, at RCPT for a UTF-8 recipient") {
        check(classify(net_error(Stage::Mail, smtp::NetError::Smtputf8NotOffered)), FailureClass::Smtputf8NotOffered, "5.6.7", true);
        check(classify(net_error(Stage::Rcpt, smtp::NetError::Smtputf8NotOffered)), FailureClass::Smtputf8NotOffered, "5.6.7", true);
        CHECK(reason_of(FailureClass::Smtputf8NotOffered) == Reason::ContentError);
        CHECK(who_acts(FailureClass::Smtputf8NotOffered) == Actor::RemoteAdmin);
        CHECK(is_permanent(FailureClass::Smtputf8NotOffered));
        CHECK(failure_class_from_string("smtputf8_not_offered") == FailureClass::Smtputf8NotOffered);
    }
    SECTION("the remote's own 553 5.6.7 (RFC 6531 §3.5) at MAIL or RCPT") {
        check(classify(at_stage(Stage::Mail, reply(553, "5.6.7 Non-ASCII addresses not permitted for that sender",
                                                   smtp::EnhancedCode{5, 6, 7}))),
              FailureClass::Smtputf8NotOffered, "5.6.7", true);
        check(classify(at_stage(Stage::Rcpt, reply(553, "5.6.7 Non-ASCII addresses not permitted for that recipient",
                                                   smtp::EnhancedCode{5, 6, 7}))),
              FailureClass::Smtputf8NotOffered, "5.6.7", true);
    }
}
