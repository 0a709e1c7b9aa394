// Outbound STARTTLS (RFC 3207) live: the real `relaylab serve` against a real Postfix on loopback,
// unbound serving the zone, Python's smtplib as the handset. Postfix presents a certificate made
// here at run time (tls::make_certificate: an authority and a certificate for mail.isp.test, valid
// around the wall clock, since serve runs on the real clock); nothing is checked in.
#include "tls/certificates.hpp"

#include "tests/support/live_relay.hpp"
#include "tests/support/postfix_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;
namespace tls = relaylab::tls;
using namespace std::chrono_literals;

namespace {

// The authority Postfix's certificate comes from, another one it does not, and the PEM files.
struct Pki {
    Pki() {
        const auto now = std::chrono::system_clock::now();
        ca = tls::make_certificate({"relaylab live test authority", now - 24h, now + 24h * 30, true}, nullptr);
        other_ca = tls::make_certificate({"relaylab other authority", now - 24h, now + 24h * 30, true}, nullptr);
        mx = tls::make_certificate({"mail.isp.test", now - 1h, now + 24h * 7, false}, &ca);
        write("ca.pem", ca.cert_pem);
        write("other-ca.pem", other_ca.cert_pem);
        write("mx-cert.pem", mx.cert_pem);
        write("mx-key.pem", mx.key_pem);
        fs::permissions(dir.path() / "mx-key.pem", fs::perms::owner_read | fs::perms::owner_write);
    }
    std::string path(const std::string& name) const { return (dir.path() / name).string(); }
    PostfixOptions postfix(const std::string& level) const {
        PostfixOptions o;
        o.tls_security_level = level;
        if (level != "none") {
            o.tls_cert_file = path("mx-cert.pem");
            o.tls_key_file = path("mx-key.pem");
        }
        return o;
    }

    TempDir dir{"relaylab-tls-pki"};
    tls::Credentials ca, other_ca, mx;

private:
    void write(const std::string& name, const std::string& pem) const { std::ofstream(dir.path() / name) << pem; }
};

// `relaylab serve` relaying isp.test to `mx_port`, with the config's "tls" object (none: the defaults).
struct TlsRelay : LiveRelay {
    TlsRelay(const UnboundServer& dns, unsigned short mx_port, std::optional<json> tls_config)
        : LiveRelay(dns.address(), mx_port, tls_config ? json{{"tls", *tls_config}} : json::object(), "relaylab-tls-live") {}

    // Python's smtplib as the handset; prints "accepted" or the refusal.
    void submit(const std::string& from, const std::string& to) {
        require_program("python3", "python3");
        std::string out;
        int rc = run_command({"python3", "-c",
                              "import smtplib,sys\n"
                              "s=smtplib.SMTP('127.0.0.1',int(sys.argv[1]),timeout=20)\n"
                              "msg=('From: <'+sys.argv[2]+'>\\r\\nSubject: tls test\\r\\n\\r\\nhello\\r\\n').encode()\n"
                              "try:\n"
                              "  s.sendmail(sys.argv[2],[sys.argv[3]],msg)\n"
                              "  print('accepted')\n"
                              "except smtplib.SMTPException as e:\n"
                              "  print('refused',e)\n"
                              "s.quit()\n",
                              std::to_string(intake_port), from, to},
                             out, true, std::chrono::seconds(30));
        INFO(out);
        REQUIRE(rc == 0);
        REQUIRE(out.find("accepted") != std::string::npos);
    }
};

std::vector<std::string> zone() {
    return {
        R"(local-zone: "isp.test." static)",
        R"(local-data: "isp.test. MX 10 mail.isp.test.")",
        R"(local-data: "mail.isp.test. A 127.0.0.1")",
    };
}

// Postfix took the message: its smtpd queued it (from=) and the discard transport "delivered" it.
bool postfix_delivered(const PostfixServer& postfix, const std::string& from, const std::string& to) {
    return postfix.wait_log("from=<" + from + ">") && postfix.wait_log("to=<" + to + ">") &&
           postfix.wait_log("status=sent");
}

}  // namespace

TEST_CASE("serve, STARTTLS may (the default) to a real Postfix: delivered over TLS, both sides log it",
          "[serve][tls][postfix]") {
    Pki pki;
    PostfixServer postfix(pki.postfix("may"));
    UnboundServer dns(zone());
    TlsRelay relay(dns, postfix.port(), std::nullopt);
    relay.submit("alice@docomo.ne.jp", "bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO("relay's log:\n" << log << "Postfix's log:\n" << postfix.maillog());
    const std::string label = "mail.isp.test[127.0.0.1]:" + std::to_string(postfix.port());
    // The authority is not among the system's: the relay says so, and delivers (that is "may").
    CHECK(log.find("relaylab/smtp: Untrusted TLS connection established to " + label + ": TLSv1.3 with cipher ") !=
          std::string::npos);
    CHECK(log.find("to=<bob@isp.test>, relay=" + label) != std::string::npos);
    CHECK(log.find("status=deferred") == std::string::npos);
    // Postfix's side (smtpd_tls_loglevel = 1): "Anonymous TLS connection established from
    // localhost[127.0.0.1]: TLSv1.3 with cipher ...", and the message it took.
    CHECK(postfix.wait_log("TLS connection established from "));
    CHECK(postfix.maillog().find("TLSv1.3 with cipher") != std::string::npos);
    CHECK(postfix_delivered(postfix, "alice@docomo.ne.jp", "bob@isp.test"));
}

TEST_CASE("serve, STARTTLS verify with the authority in ca_file: Verified, delivered", "[serve][tls][postfix]") {
    Pki pki;
    PostfixServer postfix(pki.postfix("may"));
    UnboundServer dns(zone());
    TlsRelay relay(dns, postfix.port(), json{{"outbound", "verify"}, {"ca_file", pki.path("ca.pem")}});
    relay.submit("alice@docomo.ne.jp", "bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO("relay's log:\n" << log << "Postfix's log:\n" << postfix.maillog());
    CHECK(log.find("relaylab/smtp: Verified TLS connection established to mail.isp.test[127.0.0.1]:" +
                   std::to_string(postfix.port()) + ": TLSv1.3 with cipher ") != std::string::npos);
    CHECK(log.find("Untrusted") == std::string::npos);
    CHECK(postfix.wait_log("TLS connection established from "));
    CHECK(postfix_delivered(postfix, "alice@docomo.ne.jp", "bob@isp.test"));
}

TEST_CASE("serve, STARTTLS verify with another authority's ca_file: deferred 4.7.5, nothing delivered, no notice yet",
          "[serve][tls][postfix]") {
    Pki pki;
    PostfixServer postfix(pki.postfix("may"));
    UnboundServer dns(zone());
    TlsRelay relay(dns, postfix.port(), json{{"outbound", "verify"}, {"ca_file", pki.path("other-ca.pem")}});
    relay.submit("alice@docomo.ne.jp", "bob@isp.test");
    REQUIRE(relay.wait_log("status=deferred"));
    const auto log = relay.log();
    INFO("relay's log:\n" << log << "Postfix's log:\n" << postfix.maillog());
    CHECK(log.find("relaylab/smtp: Untrusted TLS connection established to mail.isp.test[127.0.0.1]:" +
                   std::to_string(postfix.port())) != std::string::npos);
    CHECK(log.find("to=<bob@isp.test>, relay=mail.isp.test[127.0.0.1]:" + std::to_string(postfix.port())) !=
          std::string::npos);
    CHECK(log.find("dsn=4.7.5, status=deferred (Server certificate not trusted") != std::string::npos);
    CHECK(log.find("status=sent") == std::string::npos);
    CHECK(log.find("status=bounced") == std::string::npos);
    CHECK(relay.notices("alice@docomo.ne.jp").empty());  // temporary: no failure notice
    // Postfix saw the TLS session, and no message: the relay said QUIT over TLS after the
    // handshake ("disconnect from localhost[127.0.0.1] ehlo=1 starttls=1 quit=1 commands=3").
    CHECK(postfix.wait_log("TLS connection established from "));
    CHECK(postfix.wait_log(" starttls=1 quit=1 commands="));
    CHECK(postfix.maillog().find("from=<alice@docomo.ne.jp>") == std::string::npos);
    CHECK(postfix.maillog().find(" mail=") == std::string::npos);
}

TEST_CASE("serve, STARTTLS encrypt to a Postfix that offers no STARTTLS: deferred 4.7.4", "[serve][tls][postfix]") {
    Pki pki;
    PostfixServer postfix(pki.postfix("none"));
    UnboundServer dns(zone());
    TlsRelay relay(dns, postfix.port(), json{{"outbound", "encrypt"}});
    relay.submit("alice@docomo.ne.jp", "bob@isp.test");
    REQUIRE(relay.wait_log("status=deferred"));
    const auto log = relay.log();
    INFO("relay's log:\n" << log << "Postfix's log:\n" << postfix.maillog());
    CHECK(log.find("dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mail.isp.test[127.0.0.1]") !=
          std::string::npos);
    CHECK(log.find("TLS connection established") == std::string::npos);
    CHECK(log.find("status=sent") == std::string::npos);
    CHECK(relay.notices("alice@docomo.ne.jp").empty());
    CHECK(postfix.maillog().find("TLS connection established") == std::string::npos);
    CHECK(postfix.maillog().find("from=<alice@docomo.ne.jp>") == std::string::npos);
}

TEST_CASE("serve, STARTTLS may to a Postfix whose handshake fails: retried once in plain text, delivered",
          "[serve][tls][postfix]") {
    Pki pki;
    // Postfix offers STARTTLS but only TLS 1.0 and 1.1, which the relay's OpenSSL 3 (Debian's default
    // security level) will not complete ("legacy sigalg disallowed or unsupported"): every handshake
    // fails, and "may" retries the same address in plain text on a new connection.
    auto options = pki.postfix("may");
    options.main_cf = {"smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1.2, !TLSv1.3"};
    PostfixServer postfix(options);
    UnboundServer dns(zone());
    TlsRelay relay(dns, postfix.port(), std::nullopt);
    relay.submit("alice@docomo.ne.jp", "bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO("relay's log:\n" << log << "Postfix's log:\n" << postfix.maillog());
    const std::string label = "mail.isp.test[127.0.0.1]:" + std::to_string(postfix.port());
    CHECK(log.find("relaylab/smtp: TLS handshake with " + label + " failed") != std::string::npos);
    CHECK(log.find("TLS connection established") == std::string::npos);
    CHECK(log.find("to=<bob@isp.test>, relay=" + label) != std::string::npos);
    CHECK(log.find("status=deferred") == std::string::npos);  // the retry is inside the one attempt
    CHECK(postfix_delivered(postfix, "alice@docomo.ne.jp", "bob@isp.test"));
    // Postfix: one session that failed in the handshake, then one in plain text with the message.
    CHECK(postfix.maillog().find("TLS connection established from") == std::string::npos);
    CHECK(postfix.wait_log("starttls=0/1"));
}

namespace {

// swaks as the handset, with or without STARTTLS (--tls); the transcript is returned.
int swaks(const TlsRelay& relay, bool use_tls, std::string& out) {
    require_program("swaks", "swaks");
    std::vector<std::string> args{"swaks", "--server", "127.0.0.1:" + std::to_string(relay.intake_port), "--from",
                                  "alice@docomo.ne.jp", "--to", "bob@isp.test", "--timeout", "20"};
    if (use_tls) {
        std::string probe;
        require(run_command({"perl", "-MNet::SSLeay", "-e", "1"}, probe, true) == 0,
                "perl's Net::SSLeay (Debian libnet-ssleay-perl), which swaks --tls needs");
        args.push_back("--tls");
    }
    return run_command(args, out, true, std::chrono::seconds(40));
}

json intake_tls(const Pki& pki, const std::string& level) {
    // The relay presents the mx certificate: the handset (swaks) does not check it.
    return json{{"intake", level}, {"cert_file", pki.path("mx-cert.pem")}, {"key_file", pki.path("mx-key.pem")}};
}

}  // namespace

TEST_CASE("serve, intake STARTTLS may: offered, used by a handset that asks, logged as Postfix's smtpd does",
          "[serve][tls][intake]") {
    Pki pki;
    UnboundServer dns(zone());
    TlsRelay relay(dns, free_port(), intake_tls(pki, "may"));
    std::string out;
    REQUIRE(swaks(relay, true, out) == 0);
    INFO(out);
    CHECK(out.find("STARTTLS") != std::string::npos);
    CHECK(out.find("220 2.0.0 Ready to start TLS") != std::string::npos);
    CHECK(out.find("250 2.0.0 Ok: queued") != std::string::npos);
    REQUIRE(relay.wait_log("TLS connection established from unknown[127.0.0.1]: TLSv1.3 with cipher "));
    CHECK(relay.log().find("relaylab/smtpd: Anonymous TLS connection established from unknown[127.0.0.1]") != std::string::npos);
    // A handset that does not ask still submits in plain text.
    out.clear();
    REQUIRE(swaks(relay, false, out) == 0);
    CHECK(out.find("250 2.0.0 Ok: queued") != std::string::npos);
}

TEST_CASE("serve, intake STARTTLS required: MAIL before STARTTLS is refused 530, after it accepted",
          "[serve][tls][intake]") {
    Pki pki;
    UnboundServer dns(zone());
    TlsRelay relay(dns, free_port(), intake_tls(pki, "required"));
    std::string out;
    CHECK(swaks(relay, false, out) != 0);
    INFO(out);
    CHECK(out.find("530 5.7.0 Must issue a STARTTLS command first") != std::string::npos);
    out.clear();
    REQUIRE(swaks(relay, true, out) == 0);
    CHECK(out.find("250 2.0.0 Ok: queued") != std::string::npos);
}

TEST_CASE("serve, intake STARTTLS without a readable key: refuses to start, naming the file", "[serve][tls][intake]") {
    Pki pki;
    TempDir dir{"relaylab-intake-tls"};
    json cfg{{"intake", "127.0.0.1:" + std::to_string(free_port())},
             {"spool", (dir.path() / "spool").string()},
             {"tls", {{"intake", "may"}, {"cert_file", pki.path("mx-cert.pem")}, {"key_file", pki.path("missing.pem")}}}};
    std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
    std::string out;
    int rc = run_command({relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()}, out, true,
                         std::chrono::seconds(20));
    INFO(out);
    CHECK(rc == 2);
    CHECK(out.find("missing.pem") != std::string::npos);
}
