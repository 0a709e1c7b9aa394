#include "smtpclient/reply_parser.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace relaylab::smtp;

namespace {

struct Parsed {
    std::vector<Reply> replies;
    ProtocolError error = ProtocolError::None;
    bool idle = true;
    bool operator==(const Parsed&) const = default;
};

// Feeds the chunks in order, taking every reply as soon as it is complete.
Parsed parse_chunks(const std::vector<std::string_view>& chunks, ReplyLimits limits = {}) {
    ReplyParser p(limits);
    Parsed out;
    for (std::string_view c : chunks) {
        for (;;) {
            c.remove_prefix(p.put(c));
            auto r = p.take();
            if (!r) break;
            out.replies.push_back(std::move(*r));
        }
        if (p.failed()) break;
    }
    out.error = p.error();
    out.idle = p.idle();
    return out;
}

Parsed parse(std::string_view bytes, ReplyLimits limits = {}) { return parse_chunks({bytes}, limits); }

// Beast's "parsegrind": the same result whatever the split points.
void check_every_split(std::string_view bytes, const Parsed& expected) {
    for (std::size_t i = 0; i <= bytes.size(); ++i) {
        INFO("split at " << i);
        REQUIRE(parse_chunks({bytes.substr(0, i), bytes.substr(i)}) == expected);
    }
    std::vector<std::string_view> bytewise;
    for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
    REQUIRE(parse_chunks(bytewise) == expected);
}

Reply reply(int code, std::vector<std::string> lines, std::optional<EnhancedCode> enhanced = std::nullopt) {
    return Reply{code, enhanced, std::move(lines)};
}

}  // namespace

TEST_CASE("reply parser: valid replies, whole and split at every byte", "[smtpclient][parser]") {
    struct Sample {
        std::string bytes;
        Reply expected;
    };
    const std::vector<Sample> samples{
        {"250 OK\r\n", reply(250, {"OK"})},
        {"250-mx.example.jp Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n",
         reply(250, {"mx.example.jp Hello", "PIPELINING", "SIZE 10240000", "8BITMIME"})},
        {"250\r\n", reply(250, {""})},
        {"354\r\n", reply(354, {""})},
        {"550 5.1.1 <bob@example.jp>: Recipient address rejected\r\n",
         reply(550, {"5.1.1 <bob@example.jp>: Recipient address rejected"}, EnhancedCode{5, 1, 1})},
        {"553 malformed address:\r\n", reply(553, {"malformed address:"})},
        {"250 2.0.0\n", reply(250, {"2.0.0"}, EnhancedCode{2, 0, 0})},
        {"451 5.1.1 class differs from the code\r\n", reply(451, {"5.1.1 class differs from the code"})},
        {"220-first\r\n220-\r\n220 last\r\n", reply(220, {"first", "", "last"})},
        {"421 4.7.0 mx.example.jp Error: too many connections\n",
         reply(421, {"4.7.0 mx.example.jp Error: too many connections"}, EnhancedCode{4, 7, 0})},
        {"554 5.7.1 <x>: Relay access denied\r\n", reply(554, {"5.7.1 <x>: Relay access denied"}, EnhancedCode{5, 7, 1})},
    };
    for (const auto& sample : samples) {
        SECTION("sample " + sample.bytes.substr(0, sample.bytes.find('\n'))) {
            Parsed expected{{sample.expected}, ProtocolError::None, true};
            REQUIRE(parse(sample.bytes) == expected);
            check_every_split(sample.bytes, expected);
        }
    }
    SECTION("pipelined replies arriving in one read, all samples back to back") {
        std::string all;
        Parsed expected;
        for (const auto& sample : samples) {
            all += sample.bytes;
            expected.replies.push_back(sample.expected);
        }
        REQUIRE(parse(all) == expected);
        check_every_split(all, expected);
    }
    SECTION("a partial line is held, not reported") {
        Parsed p = parse("250-first\r\n250 sec");
        CHECK(p.replies.empty());
        CHECK(p.error == ProtocolError::None);
        CHECK_FALSE(p.idle);
    }
}

TEST_CASE("reply parser: malformed replies give typed errors at every split", "[smtpclient][parser]") {
    struct Bad {
        std::string bytes;
        ProtocolError error;
    };
    const std::vector<Bad> bad{
        {"abc\r\n", ProtocolError::BadCode},
        {"600 x\r\n", ProtocolError::BadCode},
        {"150 x\r\n", ProtocolError::BadCode},
        {"25\r\n", ProtocolError::BadCode},
        {"\r\n", ProtocolError::BadCode},
        {"2a0 x\r\n", ProtocolError::BadCode},
        {"250-a\r\n251 b\r\n", ProtocolError::MismatchedCode},
        {"250x\r\n", ProtocolError::BadSeparator},
        {"250\tx\r\n", ProtocolError::BadSeparator},
    };
    for (const auto& b : bad) {
        SECTION("malformed " + b.bytes.substr(0, b.bytes.find('\r'))) {
            Parsed p = parse(b.bytes);
            CHECK(p.replies.empty());
            CHECK(p.error == b.error);
            check_every_split(b.bytes, p);
        }
    }
    SECTION("a good reply before the bad one is still delivered") {
        Parsed p = parse("250 ok\r\nxyz\r\n");
        REQUIRE(p.replies.size() == 1);
        CHECK(p.error == ProtocolError::BadCode);
    }
    SECTION("the error is sticky: nothing more is consumed") {
        ReplyParser p;
        p.put("abc\r\n");
        REQUIRE(p.failed());
        CHECK(p.put("250 ok\r\n") == 0);
        CHECK_FALSE(p.take());
        CHECK(p.error() == ProtocolError::BadCode);
    }
}

TEST_CASE("reply parser: limits", "[smtpclient][parser]") {
    SECTION("an endless line without CRLF stops at the line limit") {
        std::string junk(5000, 'a');
        ReplyParser p;
        std::size_t fed = 0;
        while (!p.failed() && fed < junk.size()) fed += std::max<std::size_t>(1, p.put(std::string_view(junk).substr(fed, 100)));
        CHECK(p.error() == ProtocolError::LineTooLong);
        CHECK(fed <= 4200);
    }
    SECTION("a too long terminated line") {
        CHECK(parse("250 " + std::string(4093, 'x') + "\r\n").error == ProtocolError::LineTooLong);
        CHECK(parse("250 " + std::string(4092, 'x') + "\r\n").error == ProtocolError::None);
        CHECK(parse("250 " + std::string(4092, 'x') + "\n").error == ProtocolError::None);
    }
    std::string two_thousand;
    for (int i = 0; i < 1999; ++i) two_thousand += "250-line " + std::to_string(i) + "\r\n";
    two_thousand += "250 end\r\n";
    SECTION("a 2,000-line reply exceeds the default line count") {
        CHECK(parse(two_thousand).error == ProtocolError::TooManyLines);
    }
    SECTION("a 2,000-line reply parses when the limits allow it") {
        Parsed p = parse(two_thousand, ReplyLimits{4096, 2000, 1 << 20});
        REQUIRE(p.replies.size() == 1);
        CHECK(p.replies[0].lines.size() == 2000);
        CHECK(p.replies[0].lines.back() == "end");
    }
    SECTION("reply bytes are bounded") {
        CHECK(parse(two_thousand, ReplyLimits{4096, 5000, 1000}).error == ProtocolError::ReplyTooLarge);
    }
    SECTION("10 MB of junk ends in an error, never a crash") {
        std::mt19937 rng(2009);
        std::string junk(10 * 1024 * 1024, '\0');
        for (char& c : junk) c = static_cast<char>(rng() & 0xff);
        ReplyParser p;
        std::string_view rest = junk;
        int guard = 0;
        while (!p.failed() && !rest.empty() && ++guard < 1000000) {
            rest.remove_prefix(p.put(rest));
            p.take();
        }
        CHECK(p.failed());
    }
    SECTION("10 MB of valid continuation lines end in an error") {
        std::string flood;
        while (flood.size() < 10 * 1024 * 1024) flood += "250-aaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        Parsed p = parse(flood);
        CHECK(p.replies.empty());
        CHECK(p.error == ProtocolError::TooManyLines);
    }
}

TEST_CASE("reply text and enhanced codes", "[smtpclient][parser]") {
    SECTION("text joins lines, one_line is what logs quote") {
        Reply r = reply(553, {"malformed address"});
        CHECK(r.text() == "malformed address");
        CHECK(r.one_line() == "553 malformed address");
        Reply m = reply(550, {"5.1.1 first", "second"}, EnhancedCode{5, 1, 1});
        CHECK(m.text() == "5.1.1 first second");
        CHECK(m.one_line() == "550 5.1.1 first second");
        CHECK(reply(250, {""}).one_line() == "250");
        CHECK(m.permanent());
        CHECK_FALSE(m.transient());
    }
    SECTION("enhanced code forms") {
        CHECK(parse_enhanced_code("5.1.7 bad sender", 553) == EnhancedCode{5, 1, 7});
        CHECK(parse_enhanced_code("5.1.10", 550) == EnhancedCode{5, 1, 10});
        CHECK(parse_enhanced_code("4.123.456 x", 451) == EnhancedCode{4, 123, 456});
        CHECK(EnhancedCode{5, 1, 10}.str() == "5.1.10");
        CHECK_FALSE(parse_enhanced_code("5.1.7 x", 451));       // class differs
        CHECK_FALSE(parse_enhanced_code("5.1.7x", 553));        // no space after
        CHECK_FALSE(parse_enhanced_code("5.1 x", 553));
        CHECK_FALSE(parse_enhanced_code("55.1.1 x", 553));
        CHECK_FALSE(parse_enhanced_code("5.1234.1 x", 553));
        CHECK_FALSE(parse_enhanced_code("3.0.0 x", 354));
        CHECK_FALSE(parse_enhanced_code("", 250));
    }
    SECTION("stage and error names") {
        CHECK(to_string(Stage::Mail) == "mail");
        CHECK(stage_from_string("dot") == Stage::Dot);
        CHECK_FALSE(stage_from_string("bogus"));
        CHECK(command_name(Stage::Mail) == "MAIL FROM command");
        CHECK(command_name(Stage::Dot) == "end of DATA command");
        CHECK(to_string(NetError::ConnectRefused) == "connect_refused");
        CHECK(to_string(ProtocolError::LineTooLong) == "line_too_long");
    }
}
