#include "smtpserver/command.hpp"
#include "smtpserver/data_reader.hpp"
#include "smtpserver/reply.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab::smtp;

TEST_CASE("command lines parse into verb, raw path and parameters", "[smtpserver][command]") {
    SECTION("every verb, any case") {
        CHECK(parse_command("HELO client.example").verb == CommandVerb::Helo);
        CHECK(parse_command("ehlo client.example").verb == CommandVerb::Ehlo);
        CHECK(parse_command("Mail From:<a@b>").verb == CommandVerb::Mail);
        CHECK(parse_command("rcpt to:<a@b>").verb == CommandVerb::Rcpt);
        CHECK(parse_command("DATA").verb == CommandVerb::Data);
        CHECK(parse_command("rset").verb == CommandVerb::Rset);
        CHECK(parse_command("NOOP").verb == CommandVerb::Noop);
        CHECK(parse_command("QuIt").verb == CommandVerb::Quit);
        CHECK(parse_command("VRFY postmaster").verb == CommandVerb::Vrfy);
        CHECK(parse_command("HELP").verb == CommandVerb::Help);
        CHECK(parse_command("EHLO x\r").argument == "x");
    }
    SECTION("raw paths come through exactly as sent") {
        CHECK(parse_command("MAIL FROM:<q.@docomo.ne.jp>").path == "q.@docomo.ne.jp");
        CHECK(parse_command("MAIL FROM:<\"q.\"@docomo.ne.jp>").path == "\"q.\"@docomo.ne.jp");
        CHECK(parse_command("MAIL FROM:<p..q.@docomo.ne.jp>").path == "p..q.@docomo.ne.jp");
        CHECK(parse_command("MAIL FROM:<\"a>b\"@x.example> SIZE=10").path == "\"a>b\"@x.example");
        auto null_sender = parse_command("MAIL FROM:<>");
        CHECK(null_sender.error == CommandError::None);
        CHECK(null_sender.path.empty());
        CHECK(null_sender.bracketed);
    }
    SECTION("a space after the colon and a bare path are tolerated") {
        auto c = parse_command("MAIL FROM: <a@b>");
        CHECK(c.error == CommandError::None);
        CHECK(c.path == "a@b");
        auto bare = parse_command("RCPT TO:c@d");
        CHECK(bare.error == CommandError::None);
        CHECK(bare.path == "c@d");
        CHECK_FALSE(bare.bracketed);
    }
    SECTION("ESMTP parameters") {
        auto c = parse_command("MAIL FROM:<a@b> SIZE=1234 BODY=8BITMIME SMTPUTF8 X-FOO=bar");
        REQUIRE(c.error == CommandError::None);
        CHECK(c.params.size == 1234u);
        CHECK(c.params.body == BodyType::EightBitMime);
        CHECK(c.params.smtputf8);
        REQUIRE(c.params.all.size() == 4);
        CHECK(c.params.all[3] == std::pair<std::string, std::string>{"X-FOO", "bar"});
        CHECK(parse_command("MAIL FROM:<a@b> SIZE=abc").error == CommandError::BadParameter);
        CHECK(parse_command("MAIL FROM:<a@b> BODY=9BIT").error == CommandError::BadParameter);
        CHECK(parse_command("MAIL FROM:<a@b> =x").error == CommandError::BadParameter);
    }
    SECTION("garbage") {
        CHECK(parse_command("").error == CommandError::Empty);
        CHECK(parse_command("   ").error == CommandError::Empty);
        CHECK(parse_command("FOO bar").error == CommandError::UnknownVerb);
        CHECK(parse_command("HELO").error == CommandError::MissingArgument);
        CHECK(parse_command("MAIL <a@b>").error == CommandError::BadPathSyntax);
        CHECK(parse_command("MAIL FROM:<a@b").error == CommandError::BadPathSyntax);
        CHECK(parse_command("MAIL FROM:").error == CommandError::BadPathSyntax);
        CHECK(parse_command("MAIL FROM:<a@b>x").error == CommandError::BadPathSyntax);
        CHECK(parse_command("RCPT TO:<>").error == CommandError::BadPathSyntax);
        CHECK(parse_command(std::string("HELO a\0b", 8)).error == CommandError::NulByte);
        CHECK(parse_command("HELO " + std::string(max_command_line, 'a')).error == CommandError::TooLong);
    }
}

TEST_CASE("replies are formatted with RFC 5321 separators", "[smtpserver][reply]") {
    SECTION("single and multi") {
        CHECK(ServerReply::single(553, "malformed address").wire() == "553 malformed address\r\n");
        CHECK(ServerReply::multi(250, {"mx", "PIPELINING"}).wire() == "250-mx\r\n250 PIPELINING\r\n");
    }
    SECTION("from script lines: separators fixed, bad codes refused") {
        CHECK(ServerReply::from_lines({"550 a", "550 b"}).wire() == "550-a\r\n550 b\r\n");
        CHECK(ServerReply::from_lines({"250"}).code() == 250);
        CHECK(ServerReply::from_lines({"550-a", "551 b"}).empty());
        CHECK(ServerReply::from_lines({"hello"}).empty());
        CHECK(ServerReply::from_lines({"650 x"}).empty());
    }
}

TEST_CASE("the DATA reader unstuffs dots and finds the end at every split", "[smtpserver][data]") {
    const std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.x not end\r\n.\r\n\r\n.\r\nQUIT\r\n";
    const std::string body = "Subject: x\r\n\r\n.leading dot\r\nx not end\r\n";
    const std::size_t end = wire.find(".\r\n\r\n.\r\nQUIT") + 3;
    SECTION("whole") {
        DataReader r(1000);
        CHECK(r.feed(wire) == end);
        CHECK(r.done());
        CHECK(r.body() == body);
    }
    SECTION("split at every byte position") {
        for (std::size_t split = 0; split <= end; ++split) {
            DataReader r(1000);
            std::size_t used = r.feed(std::string_view(wire).substr(0, split));
            CHECK(used == split);
            used += r.feed(std::string_view(wire).substr(split));
            INFO("split " << split);
            CHECK(used == end);
            CHECK(r.done());
            CHECK(r.body() == body);
        }
    }
    SECTION("byte by byte") {
        DataReader r(1000);
        for (std::size_t i = 0; i < end; ++i) r.feed(std::string_view(wire).substr(i, 1));
        CHECK(r.done());
        CHECK(r.body() == body);
    }
    SECTION("bare LF ends lines and the message") {
        DataReader r(1000);
        CHECK(r.feed("a\n..b\n.\nrest") == 8);
        CHECK(r.done());
        CHECK(r.body() == "a\n.b\n");
    }
    SECTION("empty message") {
        DataReader r(1000);
        r.feed(".\r\n");
        CHECK(r.done());
        CHECK(r.body().empty());
    }
    SECTION("oversized: counted to the end, not kept") {
        DataReader r(5);
        r.feed("0123456789\r\n.\r\n");
        CHECK(r.done());
        CHECK(r.oversized());
        CHECK(r.body() == "01234");
        CHECK(r.body_bytes() == 12);
    }
}
