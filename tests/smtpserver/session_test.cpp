#include "smtpserver/session.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <string>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;

namespace {

// A policy whose hooks tests set one by one; everything else accepts.
struct TestPolicy : ServerPolicy {
    std::function<Decision()> connect, data;
    std::function<Decision(const ClientCommand&)> mail, rcpt;
    std::optional<DataCut> cut;
    std::vector<std::string> messages;
    std::vector<std::string> mail_paths;
    std::optional<CloseReason> closed;

    Decision on_connect() override { return connect ? connect() : Decision{}; }
    Decision on_mail(const ClientCommand& c) override {
        mail_paths.push_back(c.path);
        return mail ? mail(c) : Decision{};
    }
    Decision on_rcpt(const ClientCommand& c) override { return rcpt ? rcpt(c) : Decision{}; }
    Decision on_data_start() override { return data ? data() : Decision{}; }
    std::optional<DataCut> on_data_body() override { return cut; }
    Decision on_message(const Envelope&, std::string_view body) override {
        messages.emplace_back(body);
        return {};
    }
    void on_closed(CloseReason why) override { closed = why; }
};

ServerConfig config() {
    ServerConfig c;
    c.hostname = "mx.test";
    c.capabilities = {"PIPELINING", "8BITMIME"};
    c.max_message_bytes = 100;
    c.max_errors = 6;
    return c;
}

const std::string ehlo_reply = "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n";

}  // namespace

TEST_CASE("a plain session: greeting, EHLO, one message, QUIT", "[smtpserver][session]") {
    TestPolicy p;
    ServerSession s(p, config());
    auto a = s.start();
    CHECK(a.write == "220 mx.test ESMTP\r\n");
    CHECK(a.next == NextStep::Read);
    CHECK(a.duration == 5min);

    SECTION("one command per feed") {
        CHECK(s.feed("EHLO client\r\n").write == ehlo_reply);
        CHECK(s.feed("MAIL FROM:<q.@docomo.ne.jp>\r\n").write == "250 2.1.0 Ok\r\n");
        CHECK(s.feed("RCPT TO:<x@isp.example>\r\n").write == "250 2.1.5 Ok\r\n");
        CHECK(s.feed("DATA\r\n").write == "354 End data with <CR><LF>.<CR><LF>\r\n");
        CHECK(s.feed("Hi\r\n").write.empty());
        CHECK(s.feed(".\r\n").write == "250 2.0.0 Ok: queued\r\n");
        auto q = s.feed("QUIT\r\n");
        CHECK(q.write == "221 2.0.0 Bye\r\n");
        CHECK(q.next == NextStep::Close);
        CHECK(p.messages == std::vector<std::string>{"Hi\r\n"});
        CHECK(p.mail_paths == std::vector<std::string>{"q.@docomo.ne.jp"});
        CHECK(p.closed == CloseReason::Quit);
    }
    SECTION("pipelined commands in one buffer get their replies in one batch") {
        auto r = s.feed("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\nline\r\n..dot\r\n.\r\nQUIT\r\n");
        CHECK(r.write == ehlo_reply +
                             "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                             "250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n");
        CHECK(r.next == NextStep::Close);
        CHECK(p.messages == std::vector<std::string>{"line\r\n.dot\r\n"});
    }
    SECTION("RSET clears the transaction") {
        s.feed("EHLO c\r\nMAIL FROM:<a@b>\r\n");
        CHECK(s.feed("RSET\r\n").write == "250 2.0.0 Ok\r\n");
        CHECK(s.feed("RCPT TO:<c@d>\r\n").write == "503 5.5.1 Error: need MAIL command\r\n");
        CHECK(s.feed("MAIL FROM:<a@b>\r\n").write == "250 2.1.0 Ok\r\n");
    }
}

TEST_CASE("sequence errors get 503, garbage 500/501, and too many errors 421", "[smtpserver][session]") {
    TestPolicy p;
    ServerSession s(p, config());
    s.start();
    SECTION("order of commands") {
        CHECK(s.feed("MAIL FROM:<a@b>\r\n").write == "503 5.5.1 Error: send HELO/EHLO first\r\n");
        s.feed("HELO c\r\n");
        CHECK(s.feed("RCPT TO:<c@d>\r\n").write == "503 5.5.1 Error: need MAIL command\r\n");
        CHECK(s.feed("DATA\r\n").write == "503 5.5.1 Error: need MAIL command\r\n");
        s.feed("MAIL FROM:<a@b>\r\n");
        CHECK(s.feed("MAIL FROM:<a@b>\r\n").write == "503 5.5.1 Error: nested MAIL command\r\n");
        CHECK(s.feed("DATA\r\n").write == "503 5.5.1 Error: need RCPT command\r\n");
    }
    SECTION("DATA after only rejected recipients") {
        p.rcpt = [](const ClientCommand&) { return Decision::send(ServerReply::single(550, "5.1.1 no")); };
        auto r = s.feed("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
        CHECK(r.write == "250 mx.test\r\n250 2.1.0 Ok\r\n550 5.1.1 no\r\n554 5.5.1 Error: no valid recipients\r\n");
    }
    SECTION("garbage, NUL, bad syntax") {
        CHECK(s.feed("FOO\r\n").write == "500 5.5.2 Error: command not recognized\r\n");
        CHECK(s.feed(std::string("NO\0OP\r\n", 7)).write == "500 5.5.2 Error: NUL character in command\r\n");
        CHECK(s.feed("EHLO\r\n").write == "501 5.5.4 Syntax: EHLO argument\r\n");
        CHECK(s.feed("HELO c\r\nMAIL FROM:<a\r\n").write == "250 mx.test\r\n501 5.1.7 Bad sender address syntax\r\n");
        auto last = s.feed("x\r\nx\r\n");
        CHECK(last.write == "500 5.5.2 Error: command not recognized\r\n500 5.5.2 Error: command not recognized\r\n"
                            "421 4.7.0 mx.test Error: too many errors\r\n");
        CHECK(last.next == NextStep::Close);
        CHECK(p.closed == CloseReason::TooManyErrors);
    }
    SECTION("an overlong line is discarded and answered once with 500") {
        std::string longline(config().max_line + 10, 'A');
        CHECK(s.feed(longline).write.empty());
        CHECK(s.feed(longline).write.empty());
        CHECK(s.feed("tail\r\nNOOP\r\n").write == "500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n");
        CHECK(s.feed("HELO " + longline + "\r\n").write == "500 5.5.2 Error: line too long\r\n");
    }
}

TEST_CASE("message size limits", "[smtpserver][session]") {
    TestPolicy p;
    ServerSession s(p, config());
    s.start();
    s.feed("EHLO c\r\n");
    SECTION("declared SIZE over the limit: 552 at MAIL") {
        CHECK(s.feed("MAIL FROM:<a@b> SIZE=101\r\n").write == "552 5.3.4 Message size exceeds fixed limit\r\n");
    }
    SECTION("actual text over the limit: read to the end, then 552") {
        auto r = s.feed("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + std::string(300, 'x') + "\r\n.\r\nNOOP\r\n");
        CHECK(r.write.find("552 5.3.4 Error: message file too big\r\n250 2.0.0 Ok\r\n") != std::string::npos);
        CHECK(p.messages.empty());
    }
}

TEST_CASE("policy decisions: delays, drops, silence, multi-line", "[smtpserver][session]") {
    TestPolicy p;
    SECTION("553 at MAIL keeps the session open without a transaction") {
        p.mail = [](const ClientCommand&) { return Decision::send(ServerReply::single(553, "malformed address")); };
        ServerSession s(p, config());
        s.start();
        auto r = s.feed("HELO c\r\nMAIL FROM:<q.@docomo.ne.jp>\r\nRCPT TO:<x@y>\r\n");
        CHECK(r.write == "250 mx.test\r\n553 malformed address\r\n503 5.5.1 Error: need MAIL command\r\n");
    }
    SECTION("a delayed greeting: Wait, then the reply on resume; input waits meanwhile") {
        p.connect = [] { return Decision{std::nullopt, 10min, DecisionAction::Reply}; };
        ServerSession s(p, config());
        auto a = s.start();
        CHECK(a.write.empty());
        CHECK(a.next == NextStep::Wait);
        CHECK(a.duration == 10min);
        auto b = s.resume();
        CHECK(b.write == "220 mx.test ESMTP\r\n");
        CHECK(b.next == NextStep::Read);
    }
    SECTION("a delay in a pipeline flushes earlier replies first") {
        p.rcpt = [](const ClientCommand&) { return Decision::send(ServerReply::single(451, "4.7.1 Greylisted"), 2s); };
        ServerSession s(p, config());
        s.start();
        auto a = s.feed("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n");
        CHECK(a.write == "250 mx.test\r\n250 2.1.0 Ok\r\n");
        CHECK(a.next == NextStep::Wait);
        auto b = s.resume();
        CHECK(b.write == "451 4.7.1 Greylisted\r\n221 2.0.0 Bye\r\n");
        CHECK(b.next == NextStep::Close);
    }
    SECTION("drop closes without a reply") {
        p.mail = [](const ClientCommand&) { return Decision::drop(); };
        ServerSession s(p, config());
        s.start();
        auto r = s.feed("HELO c\r\nMAIL FROM:<a@b>\r\nNOOP\r\n");
        CHECK(r.write == "250 mx.test\r\n");
        CHECK(r.next == NextStep::Close);
        CHECK(p.closed == CloseReason::Dropped);
    }
    SECTION("silent never answers again; idle timeout closes quietly") {
        p.data = [] { return Decision::silent(); };
        ServerSession s(p, config());
        s.start();
        auto r = s.feed("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
        CHECK(r.next == NextStep::Read);
        CHECK(s.feed("anything\r\n.\r\nQUIT\r\n").write.empty());
        auto t = s.idle_timeout();
        CHECK(t.write.empty());
        CHECK(t.next == NextStep::Close);
    }
    SECTION("idle timeout on a live session says 421") {
        ServerSession s(p, config());
        s.start();
        auto t = s.idle_timeout();
        CHECK(t.write == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
        CHECK(t.next == NextStep::Close);
    }
    SECTION("multi-line reply and a 421 closes") {
        p.connect = [] { return Decision::send(ServerReply::from_lines({"421-busy", "421 try later"})); };
        ServerSession s(p, config());
        auto a = s.start();
        CHECK(a.write == "421-busy\r\n421 try later\r\n");
        CHECK(a.next == NextStep::Close);
    }
    SECTION("554 greeting: only QUIT is served") {
        p.connect = [] { return Decision::send(ServerReply::single(554, "no service")); };
        ServerSession s(p, config());
        s.start();
        CHECK(s.feed("EHLO c\r\n").write == "503 5.5.1 Error: no SMTP service here\r\n");
        CHECK(s.feed("QUIT\r\n").next == NextStep::Close);
    }
    SECTION("drop mid-DATA after N bytes, even when the whole message came at once") {
        p.cut = DataCut{10, Decision::drop()};
        ServerSession s(p, config());
        s.start();
        auto r = s.feed("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n0123456789abcdef\r\n.\r\n");
        CHECK(r.write.find("354 ") != std::string::npos);
        CHECK(r.write.find("250 2.0.0") == std::string::npos);
        CHECK(r.next == NextStep::Close);
        CHECK(p.messages.empty());
    }
}

TEST_CASE("SMTPUTF8 (RFC 6531): offered, UTF-8 paths only with the MAIL parameter", "[smtpserver][session][smtputf8]") {
    TestPolicy p;
    auto c = config();
    c.capabilities = {"PIPELINING", "8BITMIME", "SMTPUTF8"};
    ServerSession s(p, c);
    s.start();
    CHECK(s.feed("EHLO client\r\n").write == "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
    const std::string user = "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc";  // ユーザー

    SECTION("a UTF-8 sender without SMTPUTF8: 553 5.6.7, the policy never sees it (§3.5)") {
        CHECK(s.feed("MAIL FROM:<" + user + "@docomo.ne.jp>\r\n").write ==
              "553 5.6.7 Non-ASCII addresses not permitted for that sender\r\n");
        CHECK(p.mail_paths.empty());
        CHECK(s.feed("MAIL FROM:<a@docomo.ne.jp>\r\n").write == "250 2.1.0 Ok\r\n");
    }
    SECTION("with SMTPUTF8 the sender and UTF-8 recipients reach the policy and the message") {
        CHECK(s.feed("MAIL FROM:<" + user + "@docomo.ne.jp> SMTPUTF8\r\n").write == "250 2.1.0 Ok\r\n");
        CHECK(s.envelope().mail_params.smtputf8);
        CHECK(s.feed("RCPT TO:<" + user + "@isp.example>\r\n").write == "250 2.1.5 Ok\r\n");
        CHECK(s.feed("DATA\r\n").write.rfind("354 ", 0) == 0);
        CHECK(s.feed("Subject: x\r\n\r\nhi\r\n.\r\n").write == "250 2.0.0 Ok: queued\r\n");
        REQUIRE(p.mail_paths.size() == 1);
        CHECK(p.mail_paths[0] == user + "@docomo.ne.jp");
    }
    SECTION("a UTF-8 recipient in a transaction opened without SMTPUTF8: 553 5.6.7 for that recipient") {
        CHECK(s.feed("MAIL FROM:<a@docomo.ne.jp>\r\n").write == "250 2.1.0 Ok\r\n");
        CHECK(s.feed("RCPT TO:<" + user + "@isp.example>\r\n").write ==
              "553 5.6.7 Non-ASCII addresses not permitted for that recipient\r\n");
        CHECK(s.feed("RCPT TO:<b@isp.example>\r\n").write == "250 2.1.5 Ok\r\n");
    }
    SECTION("the parameter does not outlive its transaction") {
        CHECK(s.feed("MAIL FROM:<a@docomo.ne.jp> SMTPUTF8\r\nRSET\r\nMAIL FROM:<a@docomo.ne.jp>\r\n").write ==
              "250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n");
        CHECK(s.feed("RCPT TO:<" + user + "@isp.example>\r\n").write.rfind("553 5.6.7 ", 0) == 0);
    }
    SECTION("SMTPUTF8 takes no value") {
        CHECK(s.feed("MAIL FROM:<a@docomo.ne.jp> SMTPUTF8=yes\r\n").write.rfind("501 ", 0) == 0);
    }
}

TEST_CASE("SMTPUTF8 not offered: the parameter gets 555, paths go to the policy as sent", "[smtpserver][session][smtputf8]") {
    TestPolicy p;
    ServerSession s(p, config());
    s.start();
    s.feed("EHLO client\r\n");
    CHECK(s.feed("MAIL FROM:<a@docomo.ne.jp> SMTPUTF8\r\n").write == "555 5.5.4 Unsupported option: SMTPUTF8\r\n");
    CHECK(s.feed("MAIL FROM:<\xe3\x81\x82@docomo.ne.jp>\r\n").write == "250 2.1.0 Ok\r\n");
    CHECK(offers({"SIZE 10", "smtputf8"}, "SMTPUTF8"));
    CHECK_FALSE(offers({"SMTPUTF8X", "8BITMIME"}, "SMTPUTF8"));
}
