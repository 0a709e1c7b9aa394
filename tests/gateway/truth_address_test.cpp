#include "address/address.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab::gw;
using K = AddressProblemKind;

namespace {
bool has(const AddressCheck& c, K kind, std::size_t pos) {
    for (const auto& p : c.problems)
        if (p.kind == kind && p.position == pos) return true;
    return false;
}
}  // namespace

TEST_CASE("address: dot-atom validity matrix", "[address]") {
    SECTION("plain dot-atom is valid and sent as is") {
        const auto c = check_address("p.q@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::DotAtom);
        CHECK(c.problems.empty());
        CHECK(c.quoted_form == "p.q@docomo.ne.jp");
    }
    SECTION("p..q.@docomo.ne.jp: consecutive dots at 1 and a trailing dot at 4, valid only quoted") {
        const auto c = check_address("p..q.@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        REQUIRE(c.problems.size() == 2);
        CHECK(c.problems[0] == AddressProblem{K::ConsecutiveDots, AddressPart::LocalPart, 1, '.', 2});
        CHECK(c.problems[1].kind == K::TrailingDot);
        CHECK(c.problems[1].position == 4);
        CHECK(c.quoted_form == "\"p..q.\"@docomo.ne.jp");
    }
    SECTION("xxx.......@docomo.ne.jp: a run of 7 dots ending the local part") {
        const auto c = check_address("xxx.......@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        REQUIRE(c.problems.size() == 2);
        CHECK(c.problems[0].kind == K::ConsecutiveDots);
        CHECK(c.problems[0].position == 3);
        CHECK(c.problems[0].count == 7);
        CHECK(has(c, K::TrailingDot, 9));
        CHECK(c.quoted_form == "\"xxx.......\"@docomo.ne.jp");
    }
    SECTION("q.@docomo.ne.jp: trailing dot only") {
        const auto c = check_address("q.@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        REQUIRE(c.problems.size() == 1);
        CHECK(has(c, K::TrailingDot, 1));
    }
    SECTION(".q@x: leading dot") {
        const auto c = check_address(".q@x");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        REQUIRE(c.problems.size() == 1);
        CHECK(has(c, K::LeadingDot, 0));
    }
    SECTION("a character outside atext is named, with its position") {
        const auto c = check_address("a,b@x.example");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        REQUIRE(c.problems.size() == 1);
        CHECK(c.problems[0] == AddressProblem{K::CharacterNotAllowed, AddressPart::LocalPart, 1, ',', 0});
    }
    SECTION("atext specials are all allowed") {
        CHECK(check_address("!#$%&'*+-/=?^_`{|}~@x.example").verdict == AddressVerdict::DotAtom);
    }
    SECTION("missing @") {
        const auto c = check_address("docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::Invalid);
        REQUIRE(c.problems.size() == 1);
        CHECK(c.problems[0].kind == K::MissingAt);
    }
    SECTION("empty local part") {
        const auto c = check_address("@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(has(c, K::EmptyLocalPart, 0));
    }
    SECTION("control character makes it invalid even quoted") {
        const auto c = check_address(std::string("a\x07" "b@x.example"));
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(has(c, K::ControlCharacter, 1));
        CHECK(c.quoted_form.empty());
    }
    SECTION("8-bit local part needs SMTPUTF8") {
        const auto c = check_address("\xe3\x81\x82@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(c.needs_smtputf8());
        CHECK(has(c, K::EightBit, 0));
    }
    SECTION("bad and empty domains") {
        CHECK(has(check_address("a@"), K::EmptyDomain, 0));
        CHECK(has(check_address("a@x..example"), K::DomainEmptyLabel, 2));
        CHECK(has(check_address("a@-x.example"), K::DomainLabelHyphen, 0));
        CHECK(has(check_address("a@x_y.example"), K::DomainBadCharacter, 1));
        CHECK(has(check_address("a@docomo.ne.jp."), K::DomainEmptyLabel, 13));
        CHECK(has(check_address("a@[300.1.1.1]"), K::BadAddressLiteral, 0));
        CHECK(check_address("a@[127.0.0.1]").verdict == AddressVerdict::DotAtom);
        CHECK(check_address("a@[IPv6:::1]").verdict == AddressVerdict::DotAtom);
        CHECK(check_address("q.@x..example").verdict == AddressVerdict::Invalid);
    }
}

TEST_CASE("address: quoted forms and escapes", "[address]") {
    SECTION("a quoted local part that needs its quotes is valid as given") {
        const auto c = check_address("\"p..q.\"@docomo.ne.jp");
        CHECK(c.was_quoted);
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        CHECK(c.problems.empty());
        CHECK(c.local_value == "p..q.");
        CHECK(c.quoted_form == "\"p..q.\"@docomo.ne.jp");
    }
    SECTION("quoted content that is a dot-atom") {
        const auto c = check_address("\"pq\"@x.example");
        CHECK(c.verdict == AddressVerdict::DotAtom);
        CHECK(c.quoted_form == "\"pq\"@x.example");
    }
    SECTION("backslash escapes are unescaped in the value and re-escaped when quoting") {
        const auto c = check_address("\"a\\\"b\\\\c\"@x.example");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        CHECK(c.local_value == "a\"b\\c");
        CHECK(c.quoted_form == "\"a\\\"b\\\\c\"@x.example");
    }
    SECTION("an @ inside quotes belongs to the local part") {
        const auto c = check_address("\"a@b\"@x.example");
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        CHECK(c.local_value == "a@b");
        CHECK(c.domain == "x.example");
    }
    SECTION("unbalanced quote") {
        const auto c = check_address("\"p..q.@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(has(c, K::UnbalancedQuote, 0));
    }
    SECTION("text after the quoted string") {
        const auto c = check_address("\"a\"b@x.example");
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(has(c, K::TextAfterQuotedString, 3));
    }
    SECTION("a backslash at the end of the quoted string") {
        const auto c = check_address("\"ab\\\"@x.example");
        CHECK(c.verdict == AddressVerdict::Invalid);
    }
    SECTION("quote_local_part escapes exactly quote and backslash") {
        CHECK(quote_local_part("p..q.") == "\"p..q.\"");
        CHECK(quote_local_part("a\"b\\c d") == "\"a\\\"b\\\\c d\"");
    }
}

TEST_CASE("address: the 64-octet local part limit", "[address]") {
    SECTION("64 octets is fine, 65 is not") {
        CHECK(check_address(std::string(64, 'a') + "@x.example").verdict == AddressVerdict::DotAtom);
        const auto c = check_address(std::string(65, 'a') + "@x.example");
        CHECK(c.verdict == AddressVerdict::Invalid);
        REQUIRE(c.problems.size() == 1);
        CHECK(c.problems[0].kind == K::LocalPartTooLong);
        CHECK(c.problems[0].count == 65);
    }
    SECTION("quoting adds two octets: 63 octets needing quotes no longer fit") {
        const auto fits = check_address(std::string(61, 'a') + "." + "@x.example");  // 62 + 2 quotes
        CHECK(fits.verdict == AddressVerdict::QuotedOnly);
        const auto over = check_address(std::string(63, 'a') + "." + "@x.example");  // 64 + 2 quotes
        CHECK(over.verdict == AddressVerdict::Invalid);
        CHECK(has(over, K::LocalPartTooLong, 0));
    }
    SECTION("absurdly long input is refused without parsing") {
        const auto c = check_address(std::string(5000, 'a'));
        CHECK(c.verdict == AddressVerdict::Invalid);
        REQUIRE(c.problems.size() == 1);
        CHECK(c.problems[0].kind == K::TooLong);
    }
}

TEST_CASE("address: local-part modes decide what is sent", "[address]") {
    const auto bad = check_address("p..q.@docomo.ne.jp");
    const auto good = check_address("pq@docomo.ne.jp");
    SECTION("mode names from config") {
        CHECK(local_part_mode_from_string("pass") == LocalPartMode::Pass);
        CHECK(local_part_mode_from_string("quote") == LocalPartMode::Quote);
        CHECK(local_part_mode_from_string("reject") == LocalPartMode::Reject);
        CHECK_FALSE(local_part_mode_from_string("Quote").has_value());
    }
    SECTION("pass sends the raw form (2009)") {
        const auto d = envelope_form(bad, LocalPartMode::Pass, AddressRole::Sender);
        REQUIRE(d.send_as);
        CHECK(*d.send_as == "p..q.@docomo.ne.jp");
        CHECK_FALSE(d.refusal);
    }
    SECTION("quote sends the exact quoted bytes") {
        const auto d = envelope_form(bad, LocalPartMode::Quote, AddressRole::Sender);
        REQUIRE(d.send_as);
        CHECK(*d.send_as == "\"p..q.\"@docomo.ne.jp");
    }
    SECTION("reject refuses with 553 5.1.7 and names the problem") {
        const auto d = envelope_form(check_address("q.@docomo.ne.jp"), LocalPartMode::Reject, AddressRole::Sender);
        CHECK_FALSE(d.send_as);
        REQUIRE(d.refusal);
        CHECK(d.refusal->reply_line() ==
              "553 5.1.7 the local part \"q.\" ends with a dot, which RFC 5322 §3.4.1 allows only quoted (\"q.\")");
    }
    SECTION("reject of a recipient uses 5.1.3") {
        const auto d = envelope_form(bad, LocalPartMode::Reject, AddressRole::Recipient);
        REQUIRE(d.refusal);
        CHECK(d.refusal->reply_line().rfind("553 5.1.3 the local part \"p..q.\" has 2 dots in a row at position 2 and ends with a dot", 0) == 0);
    }
    SECTION("a valid dot-atom is sent as is in every mode") {
        for (auto m : {LocalPartMode::Pass, LocalPartMode::Quote, LocalPartMode::Reject}) {
            const auto d = envelope_form(good, m, AddressRole::Sender);
            REQUIRE(d.send_as);
            CHECK(*d.send_as == "pq@docomo.ne.jp");
        }
    }
    SECTION("quote cannot save an invalid address: refused") {
        const auto d = envelope_form(check_address("@docomo.ne.jp"), LocalPartMode::Quote, AddressRole::Sender);
        REQUIRE(d.refusal);
        CHECK(d.refusal->detail == 7);
    }
    SECTION("non-ASCII only: 553 5.6.7 (RFC 6531)") {
        const auto d = envelope_form(check_address("\xe3\x81\x82@docomo.ne.jp"), LocalPartMode::Reject, AddressRole::Sender);
        REQUIRE(d.refusal);
        CHECK(d.refusal->reply_line().rfind("553 5.6.7 ", 0) == 0);
    }
}

TEST_CASE("address: explanations in English and Japanese", "[address]") {
    const auto c = check_address("p..q.@docomo.ne.jp");
    SECTION("English names every problem and the quoted form") {
        CHECK(explain_local_part(c, Language::En) ==
              "the local part \"p..q.\" has 2 dots in a row at position 2 and ends with a dot, which RFC 5322 "
              "§3.4.1 allows only quoted (\"p..q.\")");
    }
    SECTION("Japanese") {
        CHECK(explain_local_part(c, Language::Ja) ==
              "ローカルパート「p..q.」は2文字目からドットが2個連続しています。また、末尾がドット（.）です。"
              "RFC 5322 §3.4.1 では、引用符で囲んだ形（\"p..q.\"）でのみ有効です。");
    }
    SECTION("a valid local part says so") {
        CHECK(explain_local_part(check_address("pq@x.example"), Language::En) ==
              "the local part \"pq\" is a valid dot-atom (RFC 5322 §3.2.3)");
    }
    SECTION("the full explanation has the verdict and the form to send") {
        const auto text = explain(c, Language::En);
        CHECK(text.find("verdict: valid only quoted") != std::string::npos);
        CHECK(text.find("send as: \"p..q.\"@docomo.ne.jp") != std::string::npos);
        CHECK(text.find("[trailing_dot]") != std::string::npos);
        const auto ja = explain(c, Language::Ja);
        CHECK(ja.find("判定: 引用符で囲んだ形でのみ有効") != std::string::npos);
    }
    SECTION("raw control bytes never reach the words") {
        const auto text = explain(check_address(std::string("a\x01.@x\r\n.example")), Language::En);
        CHECK(text.find('\x01') == std::string::npos);
        CHECK(text.find('\r') == std::string::npos);
        CHECK(text.find("\\x01") != std::string::npos);
    }
}

TEST_CASE("address: RFC 6531 §3.3 grammar with SMTPUTF8", "[address][smtputf8]") {
    using K = AddressProblemKind;
    const std::string user = "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc";  // ユーザー
    SECTION("a UTF-8 dot-atom is valid with SMTPUTF8 and still needs it") {
        const auto c = check_address(user + "@docomo.ne.jp", AddressSyntax::Smtputf8);
        CHECK(c.verdict == AddressVerdict::DotAtom);
        CHECK(c.problems.empty());
        CHECK(c.needs_smtputf8());
        CHECK(c.smtputf8);
        for (auto m : {LocalPartMode::Pass, LocalPartMode::Quote, LocalPartMode::Reject}) {
            const auto d = envelope_form(c, m, AddressRole::Sender);
            REQUIRE(d.send_as);
            CHECK(*d.send_as == user + "@docomo.ne.jp");
        }
    }
    SECTION("without SMTPUTF8 the same address is invalid: 553 5.6.7 in reject mode") {
        const auto c = check_address(user + "@docomo.ne.jp");
        CHECK(c.verdict == AddressVerdict::Invalid);
        CHECK(has(c, K::EightBit, 0));
        const auto d = envelope_form(c, LocalPartMode::Reject, AddressRole::Recipient);
        REQUIRE(d.refusal);
        CHECK(d.refusal->reply_line().rfind("553 5.6.7 ", 0) == 0);
    }
    SECTION("dots still count: a UTF-8 local part with a trailing dot is valid only quoted") {
        const auto c = check_address(user + ".@docomo.ne.jp", AddressSyntax::Smtputf8);
        CHECK(c.verdict == AddressVerdict::QuotedOnly);
        CHECK(c.quoted_form == "\"" + user + ".\"@docomo.ne.jp");
        CHECK(check_address("\"" + user + " x\"@docomo.ne.jp", AddressSyntax::Smtputf8).verdict == AddressVerdict::QuotedOnly);
    }
    SECTION("malformed UTF-8 is named, octet by octet") {
        for (const std::string bad : {"\xff", "\xc0\xaf", "\xe3\x83", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80"}) {
            const auto c = check_address("a" + bad + "@docomo.ne.jp", AddressSyntax::Smtputf8);
            INFO(explain(c, Language::En));
            CHECK(c.verdict == AddressVerdict::Invalid);
            CHECK(has(c, K::BadUtf8, 1));
        }
    }
    SECTION("the domain stays ASCII (a U-label must be sent as its A-label)") {
        CHECK(has(check_address("a@" + user + ".example", AddressSyntax::Smtputf8), K::EightBit, 0));
    }
    SECTION("a quoted-pair stays ASCII") {
        CHECK(has(check_address("\"\\\xe3\x83\xa6\"@x.example", AddressSyntax::Smtputf8), K::EightBit, 2));
    }
    SECTION("the 64-octet limit counts octets: 22 katakana are 66") {
        std::string local;
        for (int i = 0; i < 22; ++i) local += "\xe3\x82\xa2";
        CHECK(has(check_address(local + "@x.example", AddressSyntax::Smtputf8), K::LocalPartTooLong, 0));
    }
    SECTION("words show UTF-8 as characters, malformed octets as \\xNN") {
        const auto text = explain(check_address(user + "@docomo.ne.jp", AddressSyntax::Smtputf8), Language::En);
        CHECK(text.find("verdict: valid with SMTPUTF8") != std::string::npos);
        CHECK(text.find(user) != std::string::npos);
        CHECK(text.find("RFC 6531 §3.2") != std::string::npos);
        const auto bad = explain(check_address("a\xff@x.example", AddressSyntax::Smtputf8), Language::Ja);
        CHECK(bad.find("\\xFF") != std::string::npos);
        CHECK(bad.find('\xff') == std::string::npos);
    }
    SECTION("utf8_non_ascii_length follows RFC 3629") {
        CHECK(utf8_non_ascii_length("\xc2\xa9", 0) == 2);
        CHECK(utf8_non_ascii_length("\xe3\x83\xa6", 0) == 3);
        CHECK(utf8_non_ascii_length("\xf0\x9f\x93\xa7", 0) == 4);
        CHECK(utf8_non_ascii_length("\xc1\xbf", 0) == 0);          // overlong
        CHECK(utf8_non_ascii_length("\xe0\x80\x80", 0) == 0);      // overlong
        CHECK(utf8_non_ascii_length("\xed\xa0\x80", 0) == 0);      // surrogate
        CHECK(utf8_non_ascii_length("\xf4\x90\x80\x80", 0) == 0);  // above U+10FFFF
        CHECK(utf8_non_ascii_length("\xe3\x83", 0) == 0);          // truncated
        CHECK(utf8_non_ascii_length("a", 0) == 0);
    }
}
