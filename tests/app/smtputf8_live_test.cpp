// SMTPUTF8 (RFC 6531) live, against real peers on loopback: unbound serves the zone, Postfix's
// smtp-sink is the remote (it never announces SMTPUTF8: Postfix 3.7's smtp-sink has no such
// keyword, so "without SMTPUTF8" needs no option), swaks and Python's smtplib are handsets.
#include "tests/support/postfix_server.hpp"
#include "tests/support/live_relay.hpp"
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string user = "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc";  // ユーザー

struct Utf8Relay : LiveRelay {
    Utf8Relay(const UnboundServer& dns, unsigned short mx_port)
        : LiveRelay(dns.address(), mx_port,
                    {{"local_part", "reject"}, {"retry", {{"min_backoff", "1s"}, {"max_backoff", "1s"}, {"lifetime", "30s"}}}},
                    "relaylab-smtputf8") {}

    // Python's smtplib as the handset: MAIL FROM:<...> SMTPUTF8 when asked (RFC 6531 §3.4).
    // Prints the reply to each command, or the refusal.
    int submit(const std::string& from, const std::vector<std::string>& to, bool smtputf8, std::string& out) {
        require_program("python3", "python3");
        json rcpts = to;
        return run_command(
            {"python3", "-c",
             "import smtplib,sys,json\n"
             "s=smtplib.SMTP('127.0.0.1',int(sys.argv[1]),timeout=20)\n"
             "s.ehlo('handset')\n"
             "print('SMTPUTF8 offered' if s.has_extn('smtputf8') else 'SMTPUTF8 not offered')\n"
             "opts=['SMTPUTF8'] if sys.argv[4]=='1' else []\n"
             "msg=('From: <'+sys.argv[2]+'>\\r\\nSubject: utf8 test\\r\\n\\r\\nhello\\r\\n').encode()\n"
             "try:\n"
             "  s.sendmail(sys.argv[2],json.loads(sys.argv[3]),msg,mail_options=opts)\n"
             "  print('accepted')\n"
             "except smtplib.SMTPException as e:\n"
             "  print('refused',e)\n"
             "s.quit()\n",
             std::to_string(intake_port), from, rcpts.dump(), smtputf8 ? "1" : "0"},
            out, true, std::chrono::seconds(30));
    }

};

std::vector<std::string> zone() {
    return {
        R"(local-zone: "isp.test." static)",
        R"(local-data: "isp.test. MX 10 mail.isp.test.")",
        R"(local-data: "mail.isp.test. A 127.0.0.1")",
    };
}

}  // namespace

TEST_CASE("serve, SMTPUTF8: intake offers it and takes a UTF-8 sender only with the parameter", "[serve][smtputf8]") {
    SmtpSink sink;
    UnboundServer dns(zone());
    Utf8Relay relay(dns, sink.port());
    std::string out;
    SECTION("swaks gives no SMTPUTF8 parameter: 553 5.6.7 (RFC 6531 §3.5)") {
        require_program("swaks", "swaks");
        run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(relay.intake_port), "--from", user + "@docomo.ne.jp",
                     "--to", "user@isp.test", "--timeout", "20"},
                    out, true, std::chrono::seconds(30));
        INFO(out);
        CHECK(out.find("SMTPUTF8") != std::string::npos);  // in the EHLO reply
        CHECK(out.find("553 5.6.7 Non-ASCII addresses not permitted for that sender") != std::string::npos);
    }
    SECTION("a raw client: without the parameter 553 5.6.7, with it 250, for the same UTF-8 sender") {
        require_program("python3", "python3");
        // smtplib refuses to send a non-ASCII address without SMTPUTF8 itself, so this is a bare socket.
        REQUIRE(run_command({"python3", "-c",
                             "import socket,sys\n"
                             "s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=20)\n"
                             "f=s.makefile('rb')\n"
                             "def reply():\n"
                             "  while True:\n"
                             "    l=f.readline().decode('utf-8','replace')\n"
                             "    if l[3:4]!='-': return l.strip()\n"
                             "print(reply())\n"
                             "for c in ['EHLO handset','MAIL FROM:<'+sys.argv[2]+'>','MAIL FROM:<'+sys.argv[2]+'> SMTPUTF8',"
                             "'RCPT TO:<'+sys.argv[2]+'>','QUIT']:\n"
                             "  s.sendall((c+'\\r\\n').encode('utf-8'))\n"
                             "  print(c.split(':')[0], '->', reply())\n",
                             std::to_string(relay.intake_port), user + "@docomo.ne.jp"},
                            out, true, std::chrono::seconds(30)) == 0);
        INFO(out);
        CHECK(out.find("MAIL FROM -> 553 5.6.7 Non-ASCII addresses not permitted for that sender") != std::string::npos);
        CHECK(out.find("MAIL FROM -> 250 2.1.0 Ok") != std::string::npos);
        CHECK(out.find("RCPT TO -> 250 2.1.5 Ok") != std::string::npos);
    }
}

TEST_CASE("serve, SMTPUTF8: smtp-sink does not offer it, so a UTF-8 sender bounces at once with 5.6.7",
          "[serve][smtputf8]") {
    SmtpSink sink;
    UnboundServer dns(zone());
    Utf8Relay relay(dns, sink.port());
    std::string out;
    REQUIRE(relay.submit(user + "@docomo.ne.jp", {"user@isp.test"}, true, out) == 0);
    INFO(out);
    REQUIRE(out.find("accepted") != std::string::npos);
    REQUIRE(relay.wait_log("status=bounced"));
    const auto log = relay.log();
    INFO(log);
    CHECK(log.find("to=<user@isp.test>, relay=mail.isp.test[127.0.0.1]:" + std::to_string(sink.port())) != std::string::npos);
    CHECK(log.find("dsn=5.6.7, status=bounced (SMTPUTF8 is required, but was not offered by host "
                   "mail.isp.test[127.0.0.1])") != std::string::npos);
    CHECK(log.find("status=deferred") == std::string::npos);  // never a retry
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (relay.notices(user + "@docomo.ne.jp").empty() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto files = relay.notices(user + "@docomo.ne.jp");
    REQUIRE(files.size() == 1);
    const auto notice = read_file(files[0]);
    CHECK(notice.find("Status: 5.6.7\r\n") != std::string::npos);
    CHECK(notice.find("Final-Recipient: rfc822; user@isp.test\r\n") != std::string::npos);
    CHECK(notice.find("charset=UTF-8") != std::string::npos);
    CHECK(notice.find("Host Unknown") == std::string::npos);

    SECTION("an ASCII sender's mail through the same sink is delivered (no SMTPUTF8 needed)") {
        REQUIRE(relay.submit("alice@docomo.ne.jp", {"user@isp.test"}, false, out) == 0);
        CHECK(relay.wait_log("status=sent"));
    }
}

TEST_CASE("serve, SMTPUTF8: a real Postfix with smtputf8_enable = yes takes the UTF-8 sender", "[serve][smtputf8][postfix]") {
    PostfixOptions options;
    options.smtputf8 = true;
    PostfixServer postfix(options);
    UnboundServer dns(zone());
    Utf8Relay relay(dns, postfix.port());
    std::string out;
    REQUIRE(relay.submit(user + "@docomo.ne.jp", {"bob@isp.test"}, true, out) == 0);
    INFO(out);
    REQUIRE(out.find("accepted") != std::string::npos);
    REQUIRE(relay.wait_log("status=sent"));
    INFO(relay.log());
    CHECK(relay.log().find("to=<bob@isp.test>, relay=mail.isp.test[127.0.0.1]:" + std::to_string(postfix.port())) !=
          std::string::npos);
    // Postfix's own log: the sender as sent, UTF-8 and unchanged, queued and then discarded as sent.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (postfix.maillog().find("to=<bob@isp.test>") == std::string::npos && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto log = postfix.maillog();
    INFO(log);
    CHECK(log.find("from=<" + user + "@docomo.ne.jp>") != std::string::npos);
    CHECK(log.find("to=<bob@isp.test>") != std::string::npos);
}
