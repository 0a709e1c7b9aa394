// STARTTLS in the client core (RFC 3207) at each of Postfix's security levels, fed by hand: the core
// asks for the handshake (Action::StartTls) and the test answers as the driver would.
#include "smtpclient/client_session.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace std::chrono_literals;
using Kind = Action::Kind;

namespace {

struct Tls {
    explicit Tls(TlsLevel level) : s(config(level), Remote{"mx.example.jp", "127.0.0.2", 25}) {}
    static ClientConfig config(TlsLevel level) {
        ClientConfig c;
        c.helo_name = "relay.test";
        c.tls = level;
        return c;
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
    // Connect, greeting, EHLO answered with `ehlo`.
    void greet(std::string_view ehlo) {
        REQUIRE(s.next().kind == Kind::Connect);
        s.on_connected(now);
        read("220 mx.example.jp ESMTP\r\n");
        REQUIRE(write() == "EHLO relay.test\r\n");
        read(ehlo);
    }
    void handshake_asked() {
        Action a = s.next();
        REQUIRE(a.kind == Kind::StartTls);
        CHECK(a.timeout == 5min);
    }
    static tls::Negotiated peer(tls::Trust trust, std::string words = {}) {
        tls::Negotiated n;
        n.protocol = "TLSv1.3";
        n.cipher = "TLS_AES_256_GCM_SHA384";
        n.bits = n.alg_bits = 256;
        n.trust = trust;
        n.verify_words = std::move(words);
        return n;
    }
    bool transcript_has(std::string_view text) const {
        for (const auto& l : s.transcript())
            if (l.text.find(text) != std::string::npos) return true;
        return false;
    }
    ClientSession s;
    TimePoint now = TimePoint{} + 1000s;
};

constexpr std::string_view kOffers = "250-mx.example.jp\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
constexpr std::string_view kNoTls = "250-mx.example.jp\r\n250 PIPELINING\r\n";

}  // namespace

TEST_CASE("client STARTTLS: an offered STARTTLS is used, then EHLO again over TLS", "[smtpclient][tls]") {
    for (auto level : {TlsLevel::May, TlsLevel::Encrypt, TlsLevel::Verify}) {
        CAPTURE(to_string(level));
        Tls t(level);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("220 2.0.0 Ready to start TLS\r\n");
        t.handshake_asked();
        t.s.on_tls(Tls::peer(tls::Trust::Verified), t.now);
        CHECK(t.s.encrypted());
        // RFC 3207 §4.2: what was learnt before TLS is forgotten.
        CHECK_FALSE(t.s.capabilities().starttls);
        REQUIRE(t.write() == "EHLO relay.test\r\n");
        t.read("250-mx.example.jp\r\n250 PIPELINING\r\n");
        CHECK(t.s.next().kind == Kind::Idle);
        CHECK(t.s.usable());
        CHECK(t.transcript_has("Verified TLS connection established to mx.example.jp[127.0.0.2]:25: TLSv1.3 with cipher "
                               "TLS_AES_256_GCM_SHA384 (256/256 bits)"));
    }
}

TEST_CASE("client STARTTLS: level none never sends STARTTLS", "[smtpclient][tls]") {
    Tls t(TlsLevel::None);
    t.greet(kOffers);
    CHECK(t.s.next().kind == Kind::Idle);
    CHECK_FALSE(t.s.encrypted());
}

TEST_CASE("client STARTTLS: not offered", "[smtpclient][tls]") {
    SECTION("may: plain text") {
        Tls t(TlsLevel::May);
        t.greet(kNoTls);
        CHECK(t.s.next().kind == Kind::Idle);
        CHECK(t.s.usable());
    }
    for (auto level : {TlsLevel::Encrypt, TlsLevel::Verify}) {
        SECTION(std::string(to_string(level)) + ": the session fails at STARTTLS, QUIT is sent") {
            Tls t(level);
            t.greet(kNoTls);
            CHECK_FALSE(t.s.status().ok);
            CHECK(t.s.status().stage == Stage::StartTls);
            CHECK(t.s.status().net == NetError::TlsNotOffered);
            CHECK(t.write() == "QUIT\r\n");
            CHECK(t.transcript_has("TLS is required, but was not offered by host mx.example.jp[127.0.0.2]"));
            // A message submitted now fails with the session's reason.
            t.s.submit(Message{"a@docomo.ne.jp", {"b@example.jp"}, "x\r\n"});
            auto out = t.s.take_outcomes();
            REQUIRE(out.size() == 1);
            CHECK(out[0][0].stage == Stage::StartTls);
            CHECK(out[0][0].net == NetError::TlsNotOffered);
        }
    }
    SECTION("encrypt, and the server knows only HELO") {
        Tls t(TlsLevel::Encrypt);
        REQUIRE(t.s.next().kind == Kind::Connect);
        t.s.on_connected(t.now);
        t.read("220 old.example.jp\r\n");
        REQUIRE(t.write() == "EHLO relay.test\r\n");
        t.read("502 command not implemented\r\n");
        REQUIRE(t.write() == "HELO relay.test\r\n");
        t.read("250 old.example.jp\r\n");
        CHECK(t.s.status().net == NetError::TlsNotOffered);
        CHECK(t.write() == "QUIT\r\n");
    }
}

TEST_CASE("client STARTTLS: the remote refuses STARTTLS (454)", "[smtpclient][tls]") {
    SECTION("may: goes on in plain text on the same connection") {
        Tls t(TlsLevel::May);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("454 4.7.0 TLS not available due to local problem\r\n");
        CHECK(t.s.next().kind == Kind::Idle);
        CHECK(t.s.usable());
        CHECK_FALSE(t.s.encrypted());
        CHECK(t.transcript_has("refused to start TLS: 454 4.7.0 TLS not available due to local problem"));
    }
    SECTION("encrypt: the session fails at STARTTLS with the reply") {
        Tls t(TlsLevel::Encrypt);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("454 4.7.0 TLS not available due to local problem\r\n");
        CHECK(t.s.status().stage == Stage::StartTls);
        REQUIRE(t.s.status().reply);
        CHECK(t.s.status().reply->code == 454);
        CHECK(t.write() == "QUIT\r\n");
    }
}

TEST_CASE("client STARTTLS: a failed handshake ends the connection", "[smtpclient][tls]") {
    for (auto level : {TlsLevel::May, TlsLevel::Encrypt}) {
        Tls t(level);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("220 2.0.0 Ready to start TLS\r\n");
        t.handshake_asked();
        t.s.on_tls_failed("sslv3 alert handshake failure", t.now);
        CHECK(t.s.status().stage == Stage::StartTls);
        CHECK(t.s.status().net == NetError::TlsHandshake);
        REQUIRE(t.s.next().kind == Kind::Close);  // nothing can be said on a broken TLS stream
        CHECK(t.transcript_has("TLS handshake with mx.example.jp[127.0.0.2]:25 failed: sslv3 alert handshake failure"));
    }
    SECTION("a handshake that does not finish in time is a timeout at STARTTLS") {
        Tls t(TlsLevel::May);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("220 2.0.0 Ready to start TLS\r\n");
        t.handshake_asked();
        t.s.on_timeout(t.now + 5min);
        CHECK(t.s.status().stage == Stage::StartTls);
        CHECK(t.s.status().net == NetError::Timeout);
    }
}

TEST_CASE("client STARTTLS: bytes after the 220 are refused (RFC 3207 injection)", "[smtpclient][tls]") {
    Tls t(TlsLevel::May);
    t.greet(kOffers);
    REQUIRE(t.write() == "STARTTLS\r\n");
    t.read("220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
    CHECK_FALSE(t.s.status().ok);
    CHECK(t.s.status().net == NetError::Protocol);
    CHECK(t.s.status().protocol == ProtocolError::UnexpectedReply);
    CHECK(t.s.next().kind == Kind::Close);
}

TEST_CASE("client STARTTLS: the certificate check at each level", "[smtpclient][tls]") {
    struct Case {
        tls::Trust trust;
        NetError verify_fails_with;
        const char* word;
    };
    for (const Case& c : {Case{tls::Trust::Untrusted, NetError::TlsUntrusted, "Untrusted"},
                          Case{tls::Trust::Expired, NetError::TlsExpired, "Untrusted"},
                          Case{tls::Trust::Trusted, NetError::TlsWrongName, "Trusted"}}) {
        CAPTURE(tls::to_string(c.trust));
        // may and encrypt log the peer's trust and deliver.
        for (auto level : {TlsLevel::May, TlsLevel::Encrypt}) {
            Tls t(level);
            t.greet(kOffers);
            REQUIRE(t.write() == "STARTTLS\r\n");
            t.read("220 ready\r\n");
            t.handshake_asked();
            t.s.on_tls(Tls::peer(c.trust, "some words"), t.now);
            REQUIRE(t.write() == "EHLO relay.test\r\n");
            CHECK(t.transcript_has(std::string(c.word) + " TLS connection established"));
        }
        // verify defers: the session fails at STARTTLS and QUITs over TLS.
        Tls t(TlsLevel::Verify);
        t.greet(kOffers);
        REQUIRE(t.write() == "STARTTLS\r\n");
        t.read("220 ready\r\n");
        t.handshake_asked();
        t.s.on_tls(Tls::peer(c.trust, "certificate has expired"), t.now);
        CHECK(t.s.status().stage == Stage::StartTls);
        CHECK(t.s.status().net == c.verify_fails_with);
        CHECK(t.write() == "QUIT\r\n");
        CHECK(t.transcript_has("server certificate verification failed for mx.example.jp[127.0.0.2]:25: certificate has expired"));
    }
}

TEST_CASE("client STARTTLS: levels by name", "[smtpclient][tls]") {
    for (auto level : {TlsLevel::None, TlsLevel::May, TlsLevel::Encrypt, TlsLevel::Verify})
        CHECK(tls_level_from_string(to_string(level)) == level);
    CHECK_FALSE(tls_level_from_string("secure"));
    CHECK(to_string(Stage::StartTls) == "starttls");
    CHECK(stage_from_string("starttls") == Stage::StartTls);
}
