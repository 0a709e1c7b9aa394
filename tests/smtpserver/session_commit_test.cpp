// Durability as a step of the server session: a reply that needs its message on disk first is
// held while the driver commits (NextStep::Commit), then sent — or replaced by 451 4.3.0 when the
// commit failed. Bytes in, actions out: no sockets, no clock, no files.
#include "smtpserver/session.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;

namespace {

struct DurablePolicy : ServerPolicy {
    std::uint64_t next_token = 41;
    Duration window{};
    std::vector<std::string> replies;  // every reply as it is sent (on_reply)
    Decision on_message(const Envelope&, std::string_view) override {
        return Decision::send_when_durable(ServerReply::single(250, "2.0.0 Ok: queued as " + std::to_string(next_token)),
                                           next_token, window);
    }
    void on_reply(const ServerReply& r) override { replies.push_back(r.wire()); }
};

ServerConfig config() {
    ServerConfig c;
    c.hostname = "relay.test";
    c.capabilities = {"PIPELINING"};
    return c;
}

const std::string transaction = "EHLO phone\r\nMAIL FROM:<a@docomo.ne.jp>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\n";

}  // namespace

TEST_CASE("the end of data asks for a commit, and the 250 leaves only after it succeeded", "[smtpserver][commit]") {
    DurablePolicy p;
    ServerSession s(p, config());
    s.start();
    s.feed(transaction);
    auto a = s.feed("hello\r\n.\r\n");
    CHECK(a.write.empty());  // nothing about the message yet: not even a 250
    CHECK(a.next == NextStep::Commit);
    CHECK(a.commit == 41);
    CHECK(p.replies.back() == "354 End data with <CR><LF>.<CR><LF>\r\n");

    SECTION("durable: the 250") {
        auto b = s.committed(true);
        CHECK(b.write == "250 2.0.0 Ok: queued as 41\r\n");
        CHECK(b.next == NextStep::Read);
    }
    SECTION("not durable: 451 4.3.0 instead, and the session goes on") {
        auto b = s.committed(false);
        CHECK(b.write == "451 4.3.0 Error: queue file write error\r\n");
        CHECK(b.next == NextStep::Read);
        CHECK(p.replies.back() == "451 4.3.0 Error: queue file write error\r\n");
        CHECK(s.feed("RSET\r\n").write == "250 2.0.0 Ok\r\n");
    }
}

TEST_CASE("pipelined commands after the end of data wait for the commit", "[smtpserver][commit]") {
    DurablePolicy p;
    ServerSession s(p, config());
    s.start();
    s.feed(transaction);
    auto a = s.feed("hello\r\n.\r\nQUIT\r\n");
    CHECK(a.next == NextStep::Commit);
    CHECK(a.write.empty());
    auto b = s.committed(true);
    CHECK(b.write == "250 2.0.0 Ok: queued as 41\r\n221 2.0.0 Bye\r\n");
    CHECK(b.next == NextStep::Close);
}

TEST_CASE("a commit window: first the wait (group commit), then the commit, then the reply", "[smtpserver][commit]") {
    DurablePolicy p;
    p.window = 2ms;
    ServerSession s(p, config());
    s.start();
    s.feed(transaction);
    auto a = s.feed("hello\r\n.\r\n");
    CHECK(a.next == NextStep::Wait);
    CHECK(a.duration == Duration(2ms));
    auto b = s.resume();
    CHECK(b.next == NextStep::Commit);
    CHECK(b.write.empty());
    CHECK(s.committed(true).write == "250 2.0.0 Ok: queued as 41\r\n");
}

TEST_CASE("a connection that ends during the commit sends nothing afterwards", "[smtpserver][commit]") {
    DurablePolicy p;
    ServerSession s(p, config());
    s.start();
    s.feed(transaction);
    REQUIRE(s.feed("hello\r\n.\r\n").next == NextStep::Commit);
    s.abort(CloseReason::PeerClosed);
    auto b = s.committed(true);
    CHECK(b.write.empty());
    CHECK(b.next == NextStep::Close);
}
