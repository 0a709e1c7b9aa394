#include "bounce/policy.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace relaylab;
using namespace relaylab::gw;
using smtp::Stage;

namespace {

std::filesystem::path policy_dir() {
    return std::filesystem::path(RELAYLAB_SOURCE_DIR) / "policies";
}

Policy shipped(const char* name) {
    auto loaded = load_policy(name, policy_dir());
    INFO((loaded ? std::string() : loaded.error().message()));
    REQUIRE(loaded);
    return *loaded;
}

const smtp::Remote mx1{"mx1.isp.example", "127.0.0.11", 25};

ClassifiedOutcome at_stage(Stage stage, int code, std::string text, std::string sender = "p..q.@docomo.ne.jp") {
    smtp::RecipientOutcome o;
    o.address = "user@isp.example";
    o.stage = stage;
    smtp::Reply r;
    r.code = code;
    r.lines = {std::move(text)};
    o.reply = r;
    return classified(DeliveryOutcome::smtp_result(std::move(sender), o, mx1));
}

ClassifiedOutcome the_2009_case() { return at_stage(Stage::Mail, 553, "malformed address"); }

const std::string host_unknown_ja = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown";

// A minimal valid policy with one hole to fill, for loader errors.
std::string policy_text(const std::string& rule_extra, const std::string& top_extra = "") {
    return "{\n"
           "  \"name\": \"t\",\n" + top_extra +
           "  \"rules\": [\n"
           "    {\"match\": {\"class\": \"sender_rejected\"" + rule_extra + "}, \"claims\": \"sender_rejected\",\n"
           "     \"subject\": {\"ja\": \"s\", \"en\": \"s\"}, \"body\": {\"ja\": \"b\", \"en\": \"b {reply}\"}}\n"
           "  ],\n"
           "  \"default\": {\"claims\": \"undeliverable\", \"subject\": {\"ja\": \"d\", \"en\": \"d\"},\n"
           "              \"body\": {\"ja\": \"d\", \"en\": \"d\"}}\n"
           "}\n";
}

}  // namespace

TEST_CASE("policy: legacy-2009 tells the 2009 lie", "[policy]") {
    const auto legacy = shipped("legacy-2009");
    SECTION("553 at MAIL FROM renders Host Unknown and nothing about 553") {
        const auto n = render(legacy, the_2009_case(), Language::Ja);
        CHECK(n.subject == "送信メールエラー");
        CHECK(n.body == host_unknown_ja);
        CHECK(n.claims == Claim::HostUnknown);
        CHECK(n.body.find("553") == std::string::npos);
        CHECK(n.subject.find("553") == std::string::npos);
        CHECK_FALSE(claim_is_true(n.claims, the_2009_case().classification));
    }
    SECTION("DNS failure, connection failure expiry, greeting and HELO rejections are Host Unknown too") {
        const auto nx = classified(DeliveryOutcome::domain_dns("a@docomo.ne.jp", "u@nx.example", "nx.example", dns::Status::NxDomain));
        CHECK(render(legacy, nx, Language::Ja).body == host_unknown_ja);
        CHECK(claim_is_true(Claim::HostUnknown, nx.classification));
        smtp::RecipientOutcome refused;
        refused.address = "u@isp.example";
        refused.stage = Stage::Connect;
        refused.net = smtp::NetError::ConnectRefused;
        const auto expired = classified(DeliveryOutcome::expired(DeliveryOutcome::smtp_result("a@docomo.ne.jp", refused, mx1), {}));
        CHECK(render(legacy, expired, Language::Ja).body == host_unknown_ja);
        CHECK(render(legacy, at_stage(Stage::Greeting, 554, "go away"), Language::Ja).body == host_unknown_ja);
        CHECK(render(legacy, at_stage(Stage::Helo, 550, "no"), Language::En).body ==
              "The host was not found. Please check the part after @.\nHost Unknown");
    }
    SECTION("5xx at RCPT is User Unknown, 5xx at the dot is message rejected") {
        const auto u = render(legacy, at_stage(Stage::Rcpt, 550, "relaying denied"), Language::Ja);
        CHECK(u.body == "宛先のユーザーが存在しません。アドレスをご確認ください。\nUser Unknown");
        CHECK(u.claims == Claim::UserUnknown);
        const auto m = render(legacy, at_stage(Stage::Dot, 554, "spam"), Language::En);
        CHECK(m.claims == Claim::MessageRejected);
        CHECK(m.rule_id == "data-5xx");
    }
}

TEST_CASE("policy: accurate tells the truth", "[policy]") {
    const auto accurate = shipped("accurate");
    SECTION("the 2009 case names the host, the reply, MAIL FROM, the problem and the remedy") {
        const auto en = render(accurate, the_2009_case(), Language::En);
        CHECK(en.claims == Claim::SenderRejected);
        CHECK(claim_is_true(en.claims, the_2009_case().classification));
        CHECK(en.rule_id == "sender-needs-quoting");
        for (const char* s : {"mx1.isp.example", "127.0.0.11", "553 malformed address", "MAIL FROM", "ends with a dot",
                              "\"p..q.\"@docomo.ne.jp", "5.1.7"})
            CHECK(en.body.find(s) != std::string::npos);
        CHECK(en.body.find("Host Unknown") == std::string::npos);
        const auto ja = render(accurate, the_2009_case(), Language::Ja);
        for (const char* s : {"mx1.isp.example", "553 malformed address", "MAIL FROM", "末尾がドット", "送信元アドレス"})
            CHECK(ja.body.find(s) != std::string::npos);
    }
    SECTION("a well-formed sender refused at MAIL FROM gets the policy wording") {
        const auto n = render(accurate, at_stage(Stage::Mail, 550, "5.7.1 go away", "pq@docomo.ne.jp"), Language::En);
        CHECK(n.rule_id == "sender-rejected");
        CHECK(n.body.find("is a valid dot-atom") != std::string::npos);
    }
    SECTION("every class renders with a truthful claim in both languages") {
        std::vector<ClassifiedOutcome> cases = {
            the_2009_case(),
            at_stage(Stage::Rcpt, 550, "User unknown"),
            at_stage(Stage::Rcpt, 550, "relaying denied"),
            at_stage(Stage::Dot, 554, "spam"),
            at_stage(Stage::Dot, 552, "too big"),
            at_stage(Stage::Greeting, 554, "no"),
            at_stage(Stage::Ehlo, 550, "no"),
            at_stage(Stage::Rcpt, 451, "later"),
            classified(DeliveryOutcome::domain_dns("a@b.example", "u@nx.example", "nx.example", dns::Status::NxDomain)),
            classified(DeliveryOutcome::domain_dns("a@b.example", "u@nd.example", "nd.example", dns::Status::NoData)),
            classified(DeliveryOutcome::domain_dns("a@b.example", "u@nm.example", "nm.example", dns::Status::NullMx)),
            classified(DeliveryOutcome::mx_host_dns("a@b.example", "u@x.example", "mx.x.example", dns::Status::NxDomain)),
            classified(DeliveryOutcome::domain_dns("a@b.example", "u@sf.example", "sf.example", dns::Status::ServFail)),
            classified(DeliveryOutcome::expired(DeliveryOutcome::domain_dns("a@b.example", "u@sf.example", "sf.example", dns::Status::ServFail), {})),
            classified(DeliveryOutcome::expired(at_stage(Stage::Rcpt, 451, "later").outcome, {})),
            classified(DeliveryOutcome::local_error("a@b.example", "u@x.example", LocalError::MailLoop)),
        };
        for (const auto& c : cases) {
            for (auto lang : {Language::Ja, Language::En}) {
                const auto n = render(accurate, c, lang);
                INFO(to_string(c.classification.failure) << " → " << n.rule_id << ": " << n.body);
                CHECK(claim_is_true(n.claims, c.classification));
                CHECK(n.rule_id != "default");
                CHECK(n.body.find(c.classification.status.str()) != std::string::npos);
                CHECK(n.subject.find('\n') == std::string::npos);
            }
        }
    }
    SECTION("the remote's text cannot break the subject or body lines") {
        const auto n = render(accurate, at_stage(Stage::Rcpt, 550, "User unknown\r\nSubject: x"), Language::En);
        CHECK(n.body.find('\r') == std::string::npos);
    }
}

TEST_CASE("policy: loader errors are precise", "[policy]") {
    SECTION("the minimal policy loads, and first match wins") {
        const auto l = parse_policy(policy_text(""), "t.json");
        REQUIRE(l);
        CHECK(render(*l, the_2009_case(), Language::En).body == "b 553 malformed address");
    }
    SECTION("JSON syntax error: file:line:col") {
        const auto l = parse_policy("{\n  \"name\": \"t\",\n  \"rules\": [,]\n}\n", "bad.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().kind == PolicyErrorKind::Syntax);
        CHECK(l.error().line == 3);
        CHECK(l.error().column == 13);
        CHECK(l.error().message().rfind("bad.json:3:13: syntax error: ", 0) == 0);
    }
    SECTION("unknown key, with its JSON path") {
        const auto l = parse_policy(policy_text(", \"stgae\": \"mail\""), "t.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().kind == PolicyErrorKind::UnknownKey);
        CHECK(l.error().path == "rules[0].match.stgae");
        CHECK(l.error().message() == "t.json: rules[0].match.stgae: unknown key: stgae");
    }
    SECTION("unknown top-level key") {
        const auto l = parse_policy(policy_text("", "  \"colour\": 1,\n"), "t.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().path == "colour");
    }
    SECTION("bad values") {
        auto err = [](const std::string& extra) {
            const auto l = parse_policy(policy_text(extra), "t.json");
            REQUIRE_FALSE(l);
            return l.error();
        };
        CHECK(err(", \"stage\": [\"mail\", \"mial\"]").path == "rules[0].match.stage[1]");
        CHECK(err(", \"code\": 99").path == "rules[0].match.code");
        CHECK(err(", \"code_class\": \"3xx\"").kind == PolicyErrorKind::BadValue);
        CHECK(err(", \"expired\": \"yes\"").kind == PolicyErrorKind::WrongType);
        CHECK(err(", \"status\": \"5..1\"").path == "rules[0].match.status");
        CHECK(err(", \"class\": []").kind == PolicyErrorKind::BadValue);
    }
    SECTION("unknown placeholder and unknown claim") {
        std::string text = policy_text("");
        text.replace(text.find("{reply}"), 7, "{replly}");
        const auto l = parse_policy(text, "t.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().kind == PolicyErrorKind::UnknownPlaceholder);
        CHECK(l.error().path == "rules[0].body.en");
        CHECK(l.error().detail == "replly");
        std::string claim = policy_text("");
        claim.replace(claim.find("\"sender_rejected\",\n"), 17, "\"host_unknwon\"");
        const auto c = parse_policy(claim, "t.json");
        REQUIRE_FALSE(c);
        CHECK(c.error().path == "rules[0].claims");
    }
    SECTION("a default rule is mandatory, and both languages") {
        const auto l = parse_policy(R"({"name": "t", "rules": []})", "t.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().kind == PolicyErrorKind::MissingKey);
        CHECK(l.error().detail == "default");
        std::string no_en = policy_text("");
        no_en.replace(no_en.find(", \"en\": \"s\""), 11, "");
        const auto m = parse_policy(no_en, "t.json");
        REQUIRE_FALSE(m);
        CHECK(m.error().path == "rules[0].subject");
        CHECK(m.error().detail == "en");
    }
    SECTION("a subject is one line") {
        std::string text = policy_text("");
        text.replace(text.find("\"subject\": {\"ja\": \"s\""), 21, "\"subject\": {\"ja\": \"s\\nX\"");
        const auto l = parse_policy(text, "t.json");
        REQUIRE_FALSE(l);
        CHECK(l.error().path == "rules[0].subject.ja");
    }
    SECTION("third-party files load by path; bare names stay inside the policy directory") {
        test::TempDir dir("gwtruth");
        const auto file = dir.path() / "mine.json";
        std::ofstream(file) << policy_text("");
        CHECK(load_policy(file.string(), policy_dir()));
        CHECK(load_policy("mine", dir.path()));
        const auto up = load_policy("..", dir.path());
        REQUIRE_FALSE(up);
        CHECK(up.error().kind == PolicyErrorKind::BadName);
        const auto missing = load_policy("nope", dir.path());
        REQUIRE_FALSE(missing);
        CHECK(missing.error().kind == PolicyErrorKind::NotFound);
    }
}

TEST_CASE("accurate: a rule for every class, in ja and en, saying who must act", "[policy][taxonomy]") {
    const auto accurate = shipped("accurate");
    // An outcome of each class as the gateway would hold it: the class's default status, a reply.
    auto of_class = [](FailureClass f, int klass) {
        ClassifiedOutcome t;
        t.outcome = at_stage(Stage::Rcpt, klass * 100 + 50, "words").outcome;
        t.classification = classification_of(f, default_status(f, klass));
        t.classification.stage = Stage::Rcpt;
        t.classification.reply = t.outcome.smtp.reply;
        return t;
    };
    for (const auto f : all_failure_classes()) {
        if (f == FailureClass::Delivered) continue;
        for (int klass : {4, 5}) {
            if (klass == 4 && permanence(f) == Permanence::Permanent) continue;
            if (klass == 5 && permanence(f) == Permanence::Temporary) continue;
            const auto t = of_class(f, klass);
            const auto& rule = select_rule(accurate, t);
            INFO(to_string(f) << " " << klass << "xx → " << rule.id);
            CHECK(rule.id != "default");
            CHECK(claim_is_true(rule.claims, t.classification));
            for (auto lang : {Language::Ja, Language::En}) {
                const auto n = render(accurate, t, lang);
                INFO(n.body);
                if (lang == Language::Ja) CHECK((n.body.find("対処") != std::string::npos));
                else CHECK((n.body.find("Who must act") != std::string::npos || n.body.find("Nobody needs") != std::string::npos));
            }
        }
    }
    SECTION("an expiry after a finer temporary cause names that cause and who acts") {
        ClassifiedOutcome t;
        t.outcome = DeliveryOutcome::expired(at_stage(Stage::Rcpt, 452, "4.2.2 Mailbox full").outcome, {});
        t.classification = classify(t.outcome);
        REQUIRE(t.classification.last_temporary == FailureClass::MailboxFull);
        const auto n = render(accurate, t, Language::En);
        CHECK(n.rule_id == "expired-mailbox-full");
        CHECK(n.claims == Claim::MailboxFull);
        CHECK(claim_is_true(n.claims, t.classification));
        CHECK(n.body.find("Who must act: the recipient") != std::string::npos);
    }
    SECTION("legacy-2009 keeps its 2009 words for the new classes: a full mailbox is 'User Unknown', a lie") {
        const auto legacy = shipped("legacy-2009");
        const auto full = at_stage(Stage::Rcpt, 552, "5.2.2 Mailbox full");
        REQUIRE(full.classification.failure == FailureClass::MailboxFull);
        const auto n = render(legacy, full, Language::Ja);
        CHECK(n.body == "宛先のユーザーが存在しません。アドレスをご確認ください。\nUser Unknown");
        CHECK_FALSE(claim_is_true(n.claims, full.classification));
    }
}

TEST_CASE("claims: the coarse words still cover the finer classes they describe truly", "[policy][taxonomy]") {
    auto truth = [](FailureClass f, bool permanent = true) {
        auto c = classification_of(f, default_status(f, permanent ? 5 : 4));
        return c;
    };
    CHECK(claim_is_true(Claim::RecipientRejected, truth(FailureClass::MailboxFull)));
    CHECK(claim_is_true(Claim::RecipientRejected, truth(FailureClass::RecipientFilter)));
    CHECK_FALSE(claim_is_true(Claim::UserUnknown, truth(FailureClass::MailboxFull)));
    CHECK(claim_is_true(Claim::MessageRejected, truth(FailureClass::SpamDetected)));
    CHECK_FALSE(claim_is_true(Claim::MessageRejected, truth(FailureClass::AuthFailure)));
    CHECK_FALSE(claim_is_true(Claim::MessageRejected, truth(FailureClass::RecipientFilter)));
    CHECK_FALSE(claim_is_true(Claim::HostUnknown, truth(FailureClass::AuthFailure)));
    CHECK(claim_is_true(Claim::Undeliverable, truth(FailureClass::MailboxFull, true)));
    CHECK_FALSE(claim_is_true(Claim::Undeliverable, truth(FailureClass::MailboxFull, false)));
    CHECK(claim_is_true(Claim::TemporaryFailure, truth(FailureClass::MailboxFull, false)));
    CHECK(claim_is_true(Claim::MailboxFull, truth(FailureClass::MailboxFull, false)));
    CHECK(claim_from_string("mailbox_full") == Claim::MailboxFull);
    CHECK(to_string(Claim::RecipientFilter) == "recipient_filter");
    CHECK(claim_from_string("message_too_large") == Claim::MessageTooLarge);
}
