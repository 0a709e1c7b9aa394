#include "smtpclient/client_session.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <vector>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;
using Kind = Action::Kind;

namespace {

ClientConfig test_config(bool pipelining = true) {
    ClientConfig c;
    c.helo_name = "relay.test";
    c.use_pipelining = pipelining;
    return c;
}

Message two_recipients(std::string body = "Subject: hi\r\n\r\nhello\r\n") {
    return Message{"q.@docomo.ne.jp", {"a@example.jp", "b@example.jp"}, std::move(body)};
}

// Steps a session by hand: each call asserts the next action and answers it.
struct Script {
    explicit Script(ClientConfig c = test_config()) : s(std::move(c), Remote{"mx.example.jp", "127.0.0.2", 25}) {}
    void connect() {
        REQUIRE(s.next().kind == Kind::Connect);
        s.on_connected(now);
    }
    std::string write() {
        Action a = s.next();
        REQUIRE(a.kind == Kind::Write);
        s.on_written(now);
        return a.bytes;
    }
    void read(std::string_view bytes) {
        REQUIRE(s.next().kind == Kind::Read);
        s.on_bytes(bytes, now);
    }
    void open(std::string_view ehlo_reply = "250-mx.example.jp\r\n250 PIPELINING\r\n") {
        connect();
        read("220 mx.example.jp ESMTP\r\n");
        REQUIRE(write() == "EHLO relay.test\r\n");
        read(ehlo_reply);
        REQUIRE(s.next().kind == Kind::Idle);
    }
    void closes() {
        REQUIRE(s.next().kind == Kind::Close);
        REQUIRE(s.next().kind == Kind::Finished);
    }
    std::vector<RecipientOutcome> outcomes() {
        auto all = s.take_outcomes();
        REQUIRE(all.size() == 1);
        return all[0];
    }
    ClientSession s;
    TimePoint now = TimePoint{} + 1000s;
};

void check_all(const std::vector<RecipientOutcome>& out, Stage stage, int code) {
    REQUIRE(out.size() == 2);
    for (const auto& o : out) {
        CHECK(o.stage == stage);
        REQUIRE(o.reply);
        CHECK(o.reply->code == code);
        CHECK(o.net == NetError::None);
        CHECK(o.remote.host == "mx.example.jp");
    }
}

}  // namespace

TEST_CASE("client session: full scripted exchanges", "[smtpclient][session]") {
    SECTION("without PIPELINING: one command at a time, SIZE announced") {
        Script t(test_config(true));
        t.open("250-mx.example.jp\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
        CHECK(t.s.usable());
        CHECK(t.s.capabilities().size_limit == 1000);
        t.s.submit(two_recipients());
        CHECK(t.write() == "MAIL FROM:<q.@docomo.ne.jp> SIZE=22\r\n");
        t.read("250 2.1.0 Ok\r\n");
        CHECK(t.write() == "RCPT TO:<a@example.jp>\r\n");
        t.read("250 2.1.5 Ok\r\n");
        CHECK(t.write() == "RCPT TO:<b@example.jp>\r\n");
        t.read("250 2.1.5 Ok\r\n");
        CHECK(t.write() == "DATA\r\n");
        t.read("354 End data with <CR><LF>.<CR><LF>\r\n");
        CHECK(t.write() == "Subject: hi\r\n\r\nhello\r\n.\r\n");
        t.read("250 2.0.0 Ok: queued as 4F2A\r\n");
        REQUIRE(t.s.next().kind == Kind::Idle);
        auto out = t.outcomes();
        check_all(out, Stage::Done, 250);
        CHECK(out[0].delivered());
        CHECK(out[0].reply->enhanced == EnhancedCode{2, 0, 0});
        t.s.quit();
        CHECK(t.write() == "QUIT\r\n");
        t.read("221 2.0.0 Bye\r\n");
        t.closes();
    }
    SECTION("with PIPELINING: MAIL, RCPTs and DATA in one write, replies in one read") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        CHECK(t.write() == "MAIL FROM:<q.@docomo.ne.jp>\r\nRCPT TO:<a@example.jp>\r\nRCPT TO:<b@example.jp>\r\nDATA\r\n");
        t.read("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go ahead\r\n");
        CHECK(t.write() == "Subject: hi\r\n\r\nhello\r\n.\r\n");
        t.read("250 Ok\r\n");
        check_all(t.outcomes(), Stage::Done, 250);
        REQUIRE(t.s.next().kind == Kind::Idle);
    }
    SECTION("PIPELINING offered but disabled by config") {
        Script t(test_config(false));
        t.open();
        t.s.submit(two_recipients());
        CHECK(t.write() == "MAIL FROM:<q.@docomo.ne.jp>\r\n");
    }
    SECTION("EHLO 502 falls back to HELO, no extensions used") {
        Script t;
        t.connect();
        t.read("220 old.example.jp\r\n");
        CHECK(t.write() == "EHLO relay.test\r\n");
        t.read("502 5.5.2 Error: command not recognized\r\n");
        CHECK(t.write() == "HELO relay.test\r\n");
        t.read("250 old.example.jp\r\n");
        REQUIRE(t.s.next().kind == Kind::Idle);
        CHECK_FALSE(t.s.capabilities().esmtp);
        t.s.submit(two_recipients());
        CHECK(t.write() == "MAIL FROM:<q.@docomo.ne.jp>\r\n");
    }
    SECTION("EHLO and HELO both refused fail the session at HELO") {
        Script t;
        t.connect();
        t.s.submit(two_recipients());
        t.read("220 x\r\n");
        t.write();
        t.read("500 no\r\n");
        t.write();
        t.read("550 go away\r\n");
        check_all(t.outcomes(), Stage::Helo, 550);
        CHECK(t.write() == "QUIT\r\n");
        CHECK_FALSE(t.s.status().ok);
        CHECK(t.s.status().stage == Stage::Helo);
    }
    SECTION("553 at MAIL: every recipient fails at Mail, permanently") {
        Script t(test_config(false));
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("553 malformed address:\r\n");
        auto out = t.outcomes();
        check_all(out, Stage::Mail, 553);
        CHECK(out[0].permanent());
        CHECK(out[1].reply->text() == "malformed address:");
        REQUIRE(t.s.next().kind == Kind::Idle);  // nothing to RSET
        CHECK(t.s.usable());
    }
    SECTION("553 at MAIL, pipelined: the other replies are read and ignored") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("553 5.1.7 bad sender\r\n503 5.5.1 need MAIL\r\n");
        t.read("503 5.5.1 need MAIL\r\n554 5.5.1 no valid recipients\r\n");
        auto out = t.outcomes();
        check_all(out, Stage::Mail, 553);
        CHECK(out[0].reply->enhanced == EnhancedCode{5, 1, 7});
        REQUIRE(t.s.next().kind == Kind::Idle);
    }
    SECTION("550 5.1.1 at one RCPT only") {
        Script t(test_config(false));
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n");
        t.write();
        t.read("250 ok\r\n");
        t.write();
        t.read("550 5.1.1 <b@example.jp>: Recipient address rejected: User unknown\r\n");
        CHECK(t.write() == "DATA\r\n");
        t.read("354 go\r\n");
        t.write();
        t.read("250 queued\r\n");
        auto out = t.outcomes();
        CHECK(out[0].stage == Stage::Done);
        CHECK(out[1].stage == Stage::Rcpt);
        CHECK(out[1].reply->code == 550);
        CHECK(out[1].reply->enhanced == EnhancedCode{5, 1, 1});
        CHECK(out[1].permanent());
    }
    SECTION("every RCPT refused, pipelined DATA gets 354: a lone dot, nothing delivered") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n550 no\r\n550 no\r\n354 go\r\n");
        CHECK(t.write() == ".\r\n");
        t.read("554 5.5.1 Error: no valid recipients\r\n");
        check_all(t.outcomes(), Stage::Rcpt, 550);
        REQUIRE(t.s.next().kind == Kind::Idle);
    }
    SECTION("every RCPT refused without pipelining: no DATA, RSET") {
        Script t(test_config(false));
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n");
        t.write();
        t.read("450 4.2.0 busy\r\n");
        t.write();
        t.read("450 4.2.0 busy\r\n");
        auto out = t.outcomes();
        check_all(out, Stage::Rcpt, 450);
        CHECK_FALSE(out[0].permanent());
        CHECK(t.write() == "RSET\r\n");
        t.read("250 ok\r\n");
        REQUIRE(t.s.next().kind == Kind::Idle);
    }
    SECTION("552 at DATA, then RSET and the session is reused") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n");
        check_all(t.outcomes(), Stage::Data, 552);
        CHECK(t.write() == "RSET\r\n");
        t.read("250 2.0.0 Ok\r\n");
        REQUIRE(t.s.next().kind == Kind::Idle);
        CHECK(t.s.usable());
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        t.write();
        t.read("250 ok\r\n");
        check_all(t.outcomes(), Stage::Done, 250);
    }
    SECTION("554 after the dot") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        t.write();
        t.read("554 5.7.1 rejected: spam\r\n");
        auto out = t.outcomes();
        check_all(out, Stage::Dot, 554);
        CHECK(out[0].permanent());
        REQUIRE(t.s.next().kind == Kind::Idle);
    }
    SECTION("RSET refused: the session is no longer used, outcomes stay") {
        Script t;
        t.open();
        t.s.submit(two_recipients());
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n451 later\r\n");
        CHECK(t.write() == "RSET\r\n");
        t.read("500 what\r\n");
        t.closes();
        check_all(t.outcomes(), Stage::Data, 451);
        CHECK_FALSE(t.s.usable());
        t.s.submit(two_recipients());
        auto late = t.outcomes();
        CHECK(late[0].net == NetError::Closed);
        CHECK_FALSE(late[0].reply);
    }
    SECTION("421 greeting fails the session at Greeting for every pending recipient") {
        Script t;
        t.s.submit(two_recipients());
        t.connect();
        t.read("421 4.3.2 Service not available\r\n");
        check_all(t.outcomes(), Stage::Greeting, 421);
        CHECK(t.s.status().stage == Stage::Greeting);
        CHECK(t.write() == "QUIT\r\n");
        REQUIRE(t.s.next().kind == Kind::Read);
        t.s.on_error(NetError::Closed, t.now);  // the server had hung up: no effect on outcomes
        t.closes();
        CHECK(t.s.take_outcomes().empty());
    }
    SECTION("a garbled greeting is a protocol error") {
        Script t;
        t.s.submit(two_recipients());
        t.connect();
        t.read("SSH-2.0-OpenSSH_9.2\r\n");
        auto out = t.outcomes();
        CHECK(out[0].stage == Stage::Greeting);
        CHECK(out[0].net == NetError::Protocol);
        CHECK(out[0].protocol == ProtocolError::BadCode);
        t.closes();
    }
    SECTION("a reply before our command was written is a protocol error") {
        Script t;
        t.s.submit(two_recipients());
        t.connect();
        t.read("220 hi\r\n250-ext");
        auto out = t.outcomes();
        CHECK(out[0].protocol == ProtocolError::UnexpectedReply);
    }
    SECTION("an unasked-for reply is a protocol error") {
        Script t;
        t.s.submit(two_recipients());
        t.connect();
        t.read("220 hi\r\n250 extra\r\n");
        auto out = t.outcomes();
        CHECK(out[0].stage == Stage::Ehlo);  // the greeting was fine; EHLO was about to go
        CHECK(out[0].protocol == ProtocolError::UnexpectedReply);
    }
}

TEST_CASE("client session: message encoding", "[smtpclient][session]") {
    SECTION("dot-stuffing and CRLF normalisation, exact bytes written") {
        Script t;
        t.open();
        t.s.submit(two_recipients("Subject: x\n\n.hidden\r..two\rmixed\r\n.\nlast"));
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        CHECK(t.write() == "Subject: x\r\n\r\n..hidden\r\n...two\r\nmixed\r\n..\r\nlast\r\n.\r\n");
    }
    SECTION("a large body goes out in data blocks, each with the data block timeout") {
        ClientConfig c = test_config();
        c.data_block_bytes = 4;
        Script t(c);
        t.open();
        t.s.submit(two_recipients("abcdefghij"));
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        std::vector<std::string> blocks;
        while (t.s.next().kind == Kind::Write) {
            CHECK(t.s.next().timeout == 3min);
            blocks.push_back(t.write());
        }
        CHECK(blocks == std::vector<std::string>{"abcd", "efgh", "ij\r\n", ".\r\n"});
        CHECK(t.s.next().timeout == 10min);
    }
    SECTION("encode_data edge cases") {
        CHECK(encode_data("") == ".\r\n");
        CHECK(encode_data("a\r\n") == "a\r\n.\r\n");
        CHECK(encode_data("a") == "a\r\n.\r\n");
        CHECK(encode_data("\n\n") == "\r\n\r\n.\r\n");
        CHECK(encode_data(".") == "..\r\n.\r\n");
        CHECK(encode_data("a\r\r\nb") == "a\r\n\r\nb\r\n.\r\n");
        CHECK(message_size("a\nb") == 6);
    }
    SECTION("SIZE exceeded: refused locally, nothing sent") {
        Script t;
        t.open("250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
        t.s.submit(two_recipients());
        REQUIRE(t.s.next().kind == Kind::Idle);
        auto out = t.outcomes();
        for (const auto& o : out) {
            CHECK(o.stage == Stage::Mail);
            CHECK(o.net == NetError::TooLarge);
            CHECK_FALSE(o.reply);
        }
    }
    SECTION("SIZE 0 means no limit; 8-bit body gets BODY=8BITMIME") {
        Script t(test_config(false));
        t.open("250-mx\r\n250-SIZE 0\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
        t.s.submit(two_recipients("Subject: \xe3\x81\x82\r\n\r\nx\r\n"));
        CHECK(t.write() == "MAIL FROM:<q.@docomo.ne.jp> SIZE=19 BODY=8BITMIME\r\n");
    }
    SECTION("the sender goes verbatim, quoted or not") {
        Script t(test_config(false));
        t.open();
        t.s.submit(Message{"\"p..q.\"@docomo.ne.jp", {"a@example.jp"}, "x"});
        CHECK(t.write() == "MAIL FROM:<\"p..q.\"@docomo.ne.jp>\r\n");
    }
    SECTION("CR or LF in an address is refused locally, never written") {
        Script t(test_config(false));
        t.open();
        t.s.submit(Message{"a@x", {"evil@x>\r\nRSET", "good@x"}, "x"});
        CHECK(t.write() == "MAIL FROM:<a@x>\r\n");
        t.read("250 ok\r\n");
        CHECK(t.write() == "RCPT TO:<good@x>\r\n");
        t.read("250 ok\r\n");
        CHECK(t.write() == "DATA\r\n");
        t.read("354 go\r\n");
        t.write();
        t.read("250 ok\r\n");
        auto out = t.outcomes();
        CHECK(out[0].stage == Stage::Rcpt);
        CHECK(out[0].net == NetError::Local);
        CHECK(out[1].delivered());
    }
    SECTION("the transcript holds commands and replies, not the body") {
        Script t;
        t.open();
        t.s.submit(two_recipients("secret body text\r\n"));
        t.write();
        t.read("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        t.write();
        t.read("250 ok\r\n");
        bool saw_body_line = false;
        for (const auto& line : t.s.transcript()) {
            CHECK(line.text.find("secret") == std::string::npos);
            CHECK(line.at == t.now);
            if (line.dir == 'C' && line.text == "<body: 21 bytes>") saw_body_line = true;
        }
        CHECK(saw_body_line);
        CHECK(t.s.transcript().front().text == "connected to mx.example.jp[127.0.0.2]:25");
    }
}

TEST_CASE("client session: deadlines are data", "[smtpclient][session]") {
    Script t;
    REQUIRE(t.s.next().timeout == 30s);
    t.s.on_connected(t.now);
    SECTION("a slow greeting keeps its original deadline") {
        Action a = t.s.next();
        REQUIRE(a.kind == Kind::Read);
        CHECK(a.timeout == 5min);
        t.now += 1min;
        t.s.on_bytes("220-par", t.now);
        CHECK(t.s.next().timeout == 4min);
        t.now += 3min;
        t.s.on_bytes("tial", t.now);
        CHECK(t.s.next().timeout == 1min);
        t.now += 2min;
        t.s.on_bytes("ly", t.now);
        CHECK(t.s.next().timeout == Duration::zero());
        t.s.on_timeout(t.now);
        t.closes();
        CHECK(t.s.status().net == NetError::Timeout);
        CHECK(t.s.status().stage == Stage::Greeting);
    }
    SECTION("each stage has its RFC 5321 4.5.3.2 timeout") {
        t.read("220 hi\r\n");
        CHECK(t.s.next().timeout == 5min);  // EHLO write
        t.write();
        t.read("250-mx\r\n250 PIPELINING\r\n");
        t.s.submit(two_recipients());
        t.write();
        CHECK(t.s.next().timeout == 5min);  // MAIL
        t.s.on_bytes("250 ok\r\n", t.now);
        CHECK(t.s.next().timeout == 5min);  // RCPT
        t.s.on_bytes("250 ok\r\n250 ok\r\n", t.now);
        CHECK(t.s.next().timeout == 2min);  // DATA initiation
        t.s.on_bytes("354 go\r\n", t.now);
        CHECK(t.s.next().timeout == 3min);  // data block
        t.write();
        CHECK(t.s.next().timeout == 10min);  // final dot
    }
}

// Boost.MySQL-style: run a full transaction and break it at every I/O step in turn.
TEST_CASE("client session: a fault at every step ends the session, never hangs", "[smtpclient][session]") {
    enum class Fault { Timeout, Reset, Closed, Garbage };
    for (bool pipelining : {false, true}) {
        // Replies the server gives, one per read, and the stage charged at each I/O step.
        std::deque<std::string> replies;
        std::vector<Stage> stages;
        if (pipelining) {
            replies = {"220 hi\r\n", "250-mx\r\n250 PIPELINING\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n",
                       "354 go\r\n", "250 queued\r\n", "221 bye\r\n"};
            stages = {Stage::Connect, Stage::Greeting, Stage::Ehlo, Stage::Ehlo, Stage::Mail, Stage::Mail,
                      Stage::Rcpt, Stage::Rcpt, Stage::Data, Stage::Data, Stage::Dot, Stage::Done, Stage::Done};
        } else {
            replies = {"220 hi\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n",
                       "354 go\r\n", "250 queued\r\n", "221 bye\r\n"};
            stages = {Stage::Connect, Stage::Greeting, Stage::Ehlo, Stage::Ehlo, Stage::Mail, Stage::Mail,
                      Stage::Rcpt, Stage::Rcpt, Stage::Rcpt, Stage::Rcpt, Stage::Data, Stage::Data,
                      Stage::Data, Stage::Dot, Stage::Done, Stage::Done};
        }
        for (Fault fault : {Fault::Timeout, Fault::Reset, Fault::Closed, Fault::Garbage}) {
            for (std::size_t step = 0; step <= stages.size(); ++step) {
                DYNAMIC_SECTION("pipelining " << pipelining << " fault " << int(fault) << " at step " << step) {
                    ClientSession s(test_config(), Remote{"mx", "127.0.0.2", 25});
                    TimePoint now = TimePoint{} + 1000s;
                    auto script = replies;
                    std::size_t io = 0;
                    bool submitted = false, faulted = false;
                    Kind last = Kind::Idle;
                    int guard = 0;
                    while (++guard < 100) {
                        Action a = s.next();
                        last = a.kind;
                        if (a.kind == Kind::Finished) break;
                        if (a.kind == Kind::Close) continue;
                        if (a.kind == Kind::Idle) {
                            if (!submitted) s.submit(two_recipients());
                            else s.quit();
                            submitted = true;
                            continue;
                        }
                        bool inject = io++ == step;
                        if (inject && fault == Fault::Garbage && a.kind == Kind::Read) {
                            faulted = true;
                            s.on_bytes("xyz\r\n", now);
                        } else if (inject && fault != Fault::Garbage) {
                            faulted = true;
                            if (fault == Fault::Timeout) s.on_timeout(now + a.timeout);
                            else s.on_error(fault == Fault::Reset ? NetError::Reset : NetError::Closed, now);
                        } else if (a.kind == Kind::Connect) {
                            s.on_connected(now);
                        } else if (a.kind == Kind::Write) {
                            s.on_written(now);
                        } else {
                            REQUIRE_FALSE(script.empty());
                            s.on_bytes(script.front(), now);
                            script.pop_front();
                        }
                    }
                    REQUIRE(last == Kind::Finished);
                    if (!submitted) s.submit(two_recipients());
                    auto all = s.take_outcomes();
                    REQUIRE(all.size() == 1);
                    REQUIRE(all[0].size() == 2);
                    Stage expected = step < stages.size() ? stages[step] : Stage::Done;
                    if (!faulted) expected = Stage::Done;  // garbage on a write step: nothing injected
                    for (const auto& o : all[0]) {
                        CHECK(o.stage == expected);
                        if (expected == Stage::Done) {
                            CHECK(o.net == NetError::None);
                            continue;
                        }
                        CHECK_FALSE(o.reply);
                        NetError want = fault == Fault::Garbage   ? NetError::Protocol
                                        : fault == Fault::Reset   ? NetError::Reset
                                        : fault == Fault::Closed  ? NetError::Closed
                                        : step == 0               ? NetError::ConnectTimeout
                                                                  : NetError::Timeout;
                        CHECK(o.net == want);
                    }
                }
            }
        }
    }
}

TEST_CASE("client session: SMTPUTF8 (RFC 6531)", "[smtpclient][session][smtputf8]") {
    const std::string user = "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc";  // ユーザー
    SECTION("offered: MAIL carries SMTPUTF8 when an address needs it") {
        Script t;
        t.open("250-mx.example.jp\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n");
        t.s.submit(Message{user + "@docomo.ne.jp", {"a@example.jp"}, "Subject: x\r\n\r\nhi\r\n"});
        CHECK(t.write() == "MAIL FROM:<" + user + "@docomo.ne.jp> SMTPUTF8\r\nRCPT TO:<a@example.jp>\r\nDATA\r\n");
        t.read("250 ok\r\n250 ok\r\n354 go\r\n");
        t.write();
        t.read("250 2.0.0 queued\r\n");
        auto out = t.outcomes();
        REQUIRE(out.size() == 1);
        CHECK(out[0].delivered());
    }
    SECTION("offered, ASCII addresses: no parameter") {
        Script t;
        t.open("250-mx.example.jp\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n");
        t.s.submit(two_recipients());
        CHECK(t.write().rfind("MAIL FROM:<q.@docomo.ne.jp>\r\n", 0) == 0);
    }
    SECTION("not offered, UTF-8 sender: nothing is sent, every recipient fails at MAIL (§3.2)") {
        Script t;
        t.open();
        t.s.submit(Message{user + "@docomo.ne.jp", {"a@example.jp", "b@example.jp"}, "hi"});
        CHECK(t.s.next().kind == Kind::Idle);
        auto out = t.outcomes();
        REQUIRE(out.size() == 2);
        for (const auto& o : out) {
            CHECK(o.stage == Stage::Mail);
            CHECK(o.net == NetError::Smtputf8NotOffered);
            CHECK_FALSE(o.reply);
        }
        bool logged = false;
        for (const auto& l : t.s.transcript())
            logged = logged || l.text == "SMTPUTF8 is required, but was not offered by host mx.example.jp[127.0.0.2]";
        CHECK(logged);
        CHECK(t.s.usable());  // the session stays good for the next message
    }
    SECTION("not offered, one UTF-8 recipient: it alone fails at RCPT, the others are delivered") {
        Script t;
        t.open();
        t.s.submit(Message{"a@docomo.ne.jp", {user + "@example.jp", "b@example.jp"}, "hi"});
        CHECK(t.write() == "MAIL FROM:<a@docomo.ne.jp>\r\nRCPT TO:<b@example.jp>\r\nDATA\r\n");
        t.read("250 ok\r\n250 ok\r\n354 go\r\n");
        t.write();
        t.read("250 2.0.0 queued\r\n");
        auto out = t.outcomes();
        REQUIRE(out.size() == 2);
        CHECK(out[0].stage == Stage::Rcpt);
        CHECK(out[0].net == NetError::Smtputf8NotOffered);
        CHECK(out[1].delivered());
    }
    SECTION("HELO session: no capabilities, so no SMTPUTF8 either") {
        Script t;
        t.connect();
        t.read("220 mx ESMTP\r\n");
        t.write();
        t.read("502 5.5.2 no EHLO\r\n");
        CHECK(t.write() == "HELO relay.test\r\n");
        t.read("250 mx\r\n");
        t.s.submit(Message{user + "@docomo.ne.jp", {"a@example.jp"}, "hi"});
        CHECK(t.s.next().kind == Kind::Idle);
        CHECK(t.outcomes()[0].net == NetError::Smtputf8NotOffered);
    }
}
