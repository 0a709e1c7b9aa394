// STARTTLS in the server core (RFC 3207), fed by hand: the core asks its driver for the handshake
// (NextStep::StartTls) after the 220, and the test answers as the listener would.
#include "smtpserver/session.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using namespace relaylab;
using namespace relaylab::smtp;

namespace {

struct TlsPolicy : ServerPolicy {
    std::optional<Decision> starttls;
    std::optional<bool> handshake_ok;
    std::vector<std::string> mails;
    Decision on_starttls() override { return starttls.value_or(Decision{}); }
    void on_tls(bool ok, const tls::Negotiated&) override { handshake_ok = ok; }
    Decision on_mail(const ClientCommand& c) override {
        mails.push_back(c.path);
        return {};
    }
};

ServerConfig config(ServerTls tls) {
    ServerConfig c;
    c.hostname = "mx.test";
    c.tls = tls;
    return c;
}

struct Started {
    explicit Started(ServerTls tls) : s(policy, config(tls)) { s.start(); }
    ServerActions say(std::string_view bytes) { return s.feed(bytes); }
    TlsPolicy policy;
    ServerSession s;
};

}  // namespace

TEST_CASE("server STARTTLS: offered in EHLO, 220, then the handshake", "[smtpserver][tls]") {
    Started t(ServerTls::Offer);
    auto a = t.say("EHLO handset\r\n");
    CHECK(a.write.find("250 STARTTLS\r\n") != std::string::npos);
    a = t.say("STARTTLS\r\n");
    CHECK(a.write == "220 2.0.0 Ready to start TLS\r\n");
    REQUIRE(a.next == NextStep::StartTls);
    tls::Negotiated n;
    n.protocol = "TLSv1.3";
    a = t.s.tls_started(true, n);
    CHECK(a.next == NextStep::Read);
    CHECK(t.s.encrypted());
    REQUIRE(t.policy.handshake_ok == true);
    // RFC 3207 §4.2: the client must say EHLO again; STARTTLS is no longer offered.
    CHECK(t.say("MAIL FROM:<a@b.test>\r\n").write.rfind("503 5.5.1", 0) == 0);
    a = t.say("EHLO handset\r\n");
    CHECK(a.write.find("STARTTLS") == std::string::npos);
    CHECK(t.say("STARTTLS\r\n").write.rfind("554 5.5.1 Error: TLS already active", 0) == 0);
    CHECK(t.say("MAIL FROM:<a@b.test>\r\n").write == "250 2.1.0 Ok\r\n");
}

TEST_CASE("server STARTTLS: commands pipelined after STARTTLS are thrown away (RFC 3207 injection)", "[smtpserver][tls]") {
    Started t(ServerTls::Offer);
    t.say("EHLO handset\r\n");
    auto a = t.say("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
    CHECK(a.write == "220 2.0.0 Ready to start TLS\r\n");
    REQUIRE(a.next == NextStep::StartTls);
    a = t.s.tls_started(true, {});
    CHECK(a.write.empty());
    CHECK(t.policy.mails.empty());
}

TEST_CASE("server STARTTLS: a failed handshake closes the session", "[smtpserver][tls]") {
    Started t(ServerTls::Offer);
    t.say("EHLO handset\r\n");
    REQUIRE(t.say("STARTTLS\r\n").next == NextStep::StartTls);
    auto a = t.s.tls_started(false, {});
    CHECK(a.next == NextStep::Close);
    CHECK(t.policy.handshake_ok == false);
}

TEST_CASE("server STARTTLS: required before MAIL", "[smtpserver][tls]") {
    Started t(ServerTls::Require);
    t.say("EHLO handset\r\n");
    CHECK(t.say("MAIL FROM:<a@b.test>\r\n").write == "530 5.7.0 Must issue a STARTTLS command first\r\n");
    CHECK(t.policy.mails.empty());
    REQUIRE(t.say("STARTTLS\r\n").next == NextStep::StartTls);
    t.s.tls_started(true, {});
    t.say("EHLO handset\r\n");
    CHECK(t.say("MAIL FROM:<a@b.test>\r\n").write == "250 2.1.0 Ok\r\n");
}

TEST_CASE("server STARTTLS: not offered, refused by the policy, bad syntax", "[smtpserver][tls]") {
    SECTION("tls none: not in EHLO, 502 to the command") {
        Started t(ServerTls::None);
        CHECK(t.say("EHLO handset\r\n").write.find("STARTTLS") == std::string::npos);
        CHECK(t.say("STARTTLS\r\n").write == "502 5.5.1 Error: command not implemented\r\n");
    }
    SECTION("the policy answers 454: no handshake, the session goes on in plain text") {
        Started t(ServerTls::Offer);
        t.policy.starttls = Decision::send(ServerReply::single(454, "4.7.0 TLS not available due to local problem"));
        t.say("EHLO handset\r\n");
        auto a = t.say("STARTTLS\r\n");
        CHECK(a.write == "454 4.7.0 TLS not available due to local problem\r\n");
        CHECK(a.next == NextStep::Read);
        CHECK(t.say("MAIL FROM:<a@b.test>\r\n").write == "250 2.1.0 Ok\r\n");
    }
    SECTION("an argument is a syntax error") {
        Started t(ServerTls::Offer);
        t.say("EHLO handset\r\n");
        CHECK(t.say("STARTTLS now\r\n").write == "501 5.5.4 Syntax: STARTTLS\r\n");
    }
}
