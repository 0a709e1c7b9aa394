// Real TLS handshakes over loopback: an Asio ssl server stream with a certificate made at run time
// (server_context_from_pem) against a client stream prepared as smtp::Client prepares one
// (client_context + prepare_client + PeerCheck), then negotiated(). The check never ends a
// handshake: every case here completes, and only the recorded trust differs. Times come from a
// VirtualClock, years away from the day the test runs, so the checks cannot be reading wall time.
#include "clock/clock.hpp"
#include "tls/certificates.hpp"
#include "tls/context.hpp"

#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>

using namespace relaylab;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const TimePoint kT0 = std::chrono::system_clock::from_time_t(1935446400);  // 2031-05-01 00:00:00 UTC
constexpr auto kDay = std::chrono::hours(24);

struct Result {
    boost::system::error_code client_ec;
    boost::system::error_code server_ec;
    tls::Negotiated client;   // what the client's side negotiated and found
    std::string server_protocol;
    std::string server_cipher;
};

// One handshake: the server presents `server` (its chain PEM), the client trusts `ca_file` and
// checks the name `host` at `check_at`.
Result handshake(const tls::Credentials& server, const std::string& ca_file, const std::string& host,
                 TimePoint check_at) {
    auto sctx = tls::server_context_from_pem(server.cert_pem, server.key_pem);
    REQUIRE(sctx.ok());
    auto cctx = tls::client_context(ca_file);
    INFO((cctx ? std::string() : cctx.error()));
    REQUIRE(cctx.ok());

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket server_socket(io);
    tcp::socket client_socket(io);
    tls::Stream server_stream(server_socket, **sctx);
    tls::Stream client_stream(client_socket, **cctx);
    tls::PeerCheck check;
    tls::prepare_client(client_stream, host, check_at, check);

    Result r;
    bool server_done = false;
    bool client_done = false;
    acceptor.async_accept(server_socket, [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        server_stream.async_handshake(asio::ssl::stream_base::server, [&](boost::system::error_code hec) {
            r.server_ec = hec;
            server_done = true;
        });
    });
    client_socket.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
        REQUIRE_FALSE(ec);
        client_stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code hec) {
            r.client_ec = hec;
            client_done = true;
        });
    });
    io.run_for(std::chrono::seconds(20));
    REQUIRE(server_done);
    REQUIRE(client_done);
    INFO("client: " << r.client_ec.message() << " " << tls::take_errors() << "; server: " << r.server_ec.message());
    REQUIRE_FALSE(r.client_ec);
    REQUIRE_FALSE(r.server_ec);
    r.client = tls::negotiated(client_stream, check);
    SSL* s = server_stream.native_handle();
    r.server_protocol = SSL_get_version(s);
    r.server_cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s));
    return r;
}

// An authority valid for ten years from kT0 and its PEM in a ca_file, plus what it issues.
struct Pki {
    test::TempDir dir{"relaylab-tls"};
    tls::Credentials ca = tls::make_certificate({"relaylab test authority", kT0, kT0 + 3650 * kDay, true}, nullptr);
    std::string ca_file = write("ca.pem", ca.cert_pem);

    std::string write(const std::string& name, const std::string& pem) {
        std::ofstream(dir.path() / name) << pem;
        return (dir.path() / name).string();
    }
    tls::Credentials issue(const std::string& name, TimePoint from, TimePoint to) {
        return tls::make_certificate({name, from, to, false}, &ca);
    }
};

}  // namespace

TEST_CASE("TLS handshake: issued by an authority in ca_file, for the right name, in its window: Verified",
          "[tls][integration]") {
    Pki pki;
    VirtualClock clock(kT0 + 10 * kDay);
    auto mx = pki.issue("mail.isp.test", kT0, kT0 + 90 * kDay);
    auto r = handshake(mx, pki.ca_file, "mail.isp.test", clock.now());
    INFO(tls::describe(r.client) << " " << r.client.verify_words);
    CHECK(r.client.trust == tls::Trust::Verified);
    CHECK(r.client.verify_words.empty());
    CHECK(r.client.peer_name == "mail.isp.test");
    // Both sides agree; OpenSSL 3 with the defaults of both contexts negotiates TLS 1.3.
    CHECK(r.client.protocol == "TLSv1.3");
    CHECK(r.client.protocol == r.server_protocol);
    CHECK(r.client.cipher == r.server_cipher);
    CHECK(r.client.cipher.rfind("TLS_", 0) == 0);
    CHECK(r.client.bits >= 128);
    CHECK(r.client.alg_bits == r.client.bits);
    CHECK(tls::describe(r.client) == "TLSv1.3 with cipher " + r.client.cipher + " (" + std::to_string(r.client.bits) +
                                         "/" + std::to_string(r.client.alg_bits) + " bits)");
    CHECK(tls::trust_word(r.client.trust) == "Verified");
    // The name is matched case-insensitively (RFC 6125 §6.4.1): an MX host from DNS may be any case.
    CHECK(handshake(mx, pki.ca_file, "MAIL.ISP.TEST", clock.now()).client.trust == tls::Trust::Verified);
}

TEST_CASE("TLS handshake: a self-signed certificate is Untrusted, the handshake still completes", "[tls][integration]") {
    Pki pki;
    VirtualClock clock(kT0 + 10 * kDay);
    auto self = tls::make_certificate({"mail.isp.test", kT0, kT0 + 90 * kDay, false}, nullptr);
    auto r = handshake(self, pki.ca_file, "mail.isp.test", clock.now());
    CHECK(r.client.trust == tls::Trust::Untrusted);
    CHECK(r.client.verify_words == "self-signed certificate");
    CHECK(r.client.peer_name == "mail.isp.test");
    CHECK(tls::trust_word(r.client.trust) == "Untrusted");
    SECTION("so is one issued by an authority the client does not trust") {
        Pki other;
        auto foreign = other.issue("mail.isp.test", kT0, kT0 + 90 * kDay);
        auto f = handshake(foreign, pki.ca_file, "mail.isp.test", clock.now());
        CHECK(f.client.trust == tls::Trust::Untrusted);
        CHECK(f.client.verify_words == "unable to get local issuer certificate");
    }
}

TEST_CASE("TLS handshake: issued by the authority but expired: Expired", "[tls][integration]") {
    Pki pki;
    VirtualClock clock(kT0 + 100 * kDay);
    auto old = pki.issue("mail.isp.test", kT0, kT0 + 30 * kDay);
    auto r = handshake(old, pki.ca_file, "mail.isp.test", clock.now());
    CHECK(r.client.trust == tls::Trust::Expired);
    CHECK(r.client.verify_words == "certificate has expired");
    CHECK(tls::trust_word(r.client.trust) == "Untrusted");  // Postfix has no word of its own for it
    SECTION("not yet valid counts as expired too") {
        auto future = pki.issue("mail.isp.test", kT0 + 200 * kDay, kT0 + 300 * kDay);
        auto f = handshake(future, pki.ca_file, "mail.isp.test", clock.now());
        CHECK(f.client.trust == tls::Trust::Expired);
        CHECK(f.client.verify_words == "certificate is not yet valid");
    }
    SECTION("expired and for another name: the worse finding, expired, decides and gives the words") {
        auto both = pki.issue("other.isp.test", kT0, kT0 + 30 * kDay);
        auto b = handshake(both, pki.ca_file, "mail.isp.test", clock.now());
        CHECK(b.client.trust == tls::Trust::Expired);
        CHECK(b.client.verify_words == "certificate has expired");
    }
}

TEST_CASE("TLS handshake: issued by the authority for another name: Trusted (name mismatch)", "[tls][integration]") {
    Pki pki;
    VirtualClock clock(kT0 + 10 * kDay);
    auto other = pki.issue("other.isp.test", kT0, kT0 + 90 * kDay);
    auto r = handshake(other, pki.ca_file, "mail.isp.test", clock.now());
    CHECK(r.client.trust == tls::Trust::Trusted);
    CHECK(r.client.verify_words == "hostname mismatch");
    CHECK(r.client.peer_name == "other.isp.test");
    CHECK(tls::trust_word(r.client.trust) == "Trusted");
    SECTION("an address literal is not checked as a name: no SNI, no name check, Verified by the chain") {
        auto a = handshake(other, pki.ca_file, "127.0.0.1", clock.now());
        CHECK(a.client.trust == tls::Trust::Verified);
    }
}

TEST_CASE("TLS handshake: the check runs at the caller's clock, not the wall clock", "[tls][integration]") {
    Pki pki;
    // Valid for 30 days from kT0 (years from now): a check at wall time would say "not yet valid".
    auto mx = pki.issue("mail.isp.test", kT0, kT0 + 30 * kDay);
    VirtualClock clock(kT0 + 1 * kDay);
    CHECK(handshake(mx, pki.ca_file, "mail.isp.test", clock.now()).client.trust == tls::Trust::Verified);
    clock.advance_to(kT0 + 29 * kDay);
    CHECK(handshake(mx, pki.ca_file, "mail.isp.test", clock.now()).client.trust == tls::Trust::Verified);
    clock.advance_to(kT0 + 31 * kDay);
    auto late = handshake(mx, pki.ca_file, "mail.isp.test", clock.now());
    CHECK(late.client.trust == tls::Trust::Expired);
    CHECK(late.client.verify_words == "certificate has expired");
    // And the same certificate checked at the wall clock (2026) is not valid yet.
    auto now = handshake(mx, pki.ca_file, "mail.isp.test", std::chrono::system_clock::now());
    CHECK(now.client.trust == tls::Trust::Expired);
    CHECK(now.client.verify_words == "certificate is not yet valid");
}
