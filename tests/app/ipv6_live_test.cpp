// IPv6 live, against real peers on loopback: unbound serves AAAA records, Postfix's smtp-sink
// listens on [::1], `relaylab serve` delivers. Every case needs ::1 on this machine: without it
// the test is skipped, visibly (a failure under CI=true).
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

struct Ipv6Relay : LiveRelay {
    Ipv6Relay(const UnboundServer& dns, unsigned short mx_port, const std::string& inet_protocols = "all")
        : LiveRelay(dns.address(), mx_port,
                    {{"inet_protocols", inet_protocols},
                     {"retry", {{"min_backoff", "1m"}, {"max_backoff", "1m"}, {"lifetime", "10m"}}}},
                    "relaylab-ipv6") {}

    // Python's smtplib as the handset; prints "accepted" or the refusal.
    void submit(const std::string& to) {
        require_program("python3", "python3");
        std::string out;
        run_command({"python3", "-c",
                     "import smtplib,sys\n"
                     "s=smtplib.SMTP('127.0.0.1',int(sys.argv[1]),timeout=20)\n"
                     "s.sendmail('alice@docomo.ne.jp',[sys.argv[2]],b'Subject: ipv6\\r\\n\\r\\nhello\\r\\n')\n"
                     "print('accepted')\n"
                     "s.quit()\n",
                     std::to_string(intake_port), to},
                    out, true, std::chrono::seconds(30));
        INFO(out);
        REQUIRE(out.find("accepted") != std::string::npos);
    }

    std::string notice(const std::string& handset) const {
        auto d = dir.path() / "mailboxes" / handset / "new";
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < until) {
            if (fs::exists(d))
                for (const auto& e : fs::directory_iterator(d)) return read_file(e.path());
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "";
    }

};

std::vector<std::string> zone(const std::vector<std::string>& records) {
    std::vector<std::string> lines{R"(local-zone: "isp.test." static)", R"(local-data: "isp.test. MX 10 mail.isp.test.")"};
    for (const auto& r : records) lines.push_back("local-data: \"" + r + "\"");
    return lines;
}

bool open_on(const std::string& ip, unsigned short port) {
    return wait_for_tcp(ip, port, std::chrono::milliseconds(100));
}

}  // namespace

TEST_CASE("serve, IPv6: an MX host with only an AAAA record is delivered to over IPv6", "[serve][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    SmtpSink sink({}, "::1");
    UnboundServer dns(zone({"mail.isp.test. AAAA ::1"}));
    Ipv6Relay relay(dns, sink.port());
    relay.submit("bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO(log);
    CHECK(log.find("to=<bob@isp.test>, relay=mail.isp.test[::1]:" + std::to_string(sink.port()) + ", ") != std::string::npos);
}

TEST_CASE("serve, IPv6: a refused IPv6 address falls back to IPv4 in the same attempt", "[serve][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    SmtpSink sink;  // 127.0.0.1 only
    REQUIRE_FALSE(open_on("::1", sink.port()));
    UnboundServer dns(zone({"mail.isp.test. AAAA ::1", "mail.isp.test. A 127.0.0.1"}));
    Ipv6Relay relay(dns, sink.port());
    relay.submit("bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO(log);
    const auto refused = log.find("relaylab/smtp: connect to mail.isp.test[::1]:" + std::to_string(sink.port()) +
                                  ": Connection refused\n");
    const auto sent = log.find("to=<bob@isp.test>, relay=mail.isp.test[127.0.0.1]:" + std::to_string(sink.port()) + ", ");
    REQUIRE(refused != std::string::npos);  // IPv6 first (docs/ipv6.md)
    REQUIRE(sent != std::string::npos);
    CHECK(refused < sent);
    CHECK(log.find("status=deferred") == std::string::npos);
}

TEST_CASE("serve, IPv6: a refused IPv4 MX falls back to an IPv6 one in the same attempt", "[serve][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    SmtpSink sink({}, "::1");
    REQUIRE_FALSE(open_on("127.0.0.1", sink.port()));
    UnboundServer dns({R"(local-zone: "isp.test." static)", R"(local-data: "isp.test. MX 10 mx4.isp.test.")",
                       R"(local-data: "isp.test. MX 20 mx6.isp.test.")", R"(local-data: "mx4.isp.test. A 127.0.0.1")",
                       R"(local-data: "mx6.isp.test. AAAA ::1")"});
    Ipv6Relay relay(dns, sink.port());
    relay.submit("bob@isp.test");
    REQUIRE(relay.wait_log("status=sent"));
    const auto log = relay.log();
    INFO(log);
    CHECK(log.find("relaylab/smtp: connect to mx4.isp.test[127.0.0.1]:" + std::to_string(sink.port()) +
                   ": Connection refused\n") != std::string::npos);
    CHECK(log.find("to=<bob@isp.test>, relay=mx6.isp.test[::1]:" + std::to_string(sink.port()) + ", ") != std::string::npos);
    CHECK(log.find("status=deferred") == std::string::npos);
}

TEST_CASE("serve, IPv6: inet_protocols ipv4 never tries the AAAA address, even where it would deliver", "[serve][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    SmtpSink sink({}, "::1");
    REQUIRE_FALSE(open_on("127.0.0.1", sink.port()));
    UnboundServer dns(zone({"mail.isp.test. AAAA ::1", "mail.isp.test. A 127.0.0.1"}));
    Ipv6Relay relay(dns, sink.port(), "ipv4");
    relay.submit("bob@isp.test");
    REQUIRE(relay.wait_log("status=deferred"));
    const auto log = relay.log();
    INFO(log);
    CHECK(log.find("connect to mail.isp.test[127.0.0.1]:" + std::to_string(sink.port()) + ": Connection refused") !=
          std::string::npos);
    CHECK(log.find("[::1]") == std::string::npos);
    CHECK(log.find("status=sent") == std::string::npos);
}

TEST_CASE("serve, IPv6: a 550 over IPv6 is logged with host[::1] and bounced with the address in the DSN",
          "[serve][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    SmtpSink sink({"-f", "RCPT", "-B", "550 5.1.1 no such user"}, "::1");
    UnboundServer dns(zone({"mail.isp.test. AAAA ::1"}));
    Ipv6Relay relay(dns, sink.port());
    relay.submit("nobody@isp.test");
    REQUIRE(relay.wait_log("status=bounced"));
    const auto log = relay.log();
    INFO(log);
    CHECK(log.find("to=<nobody@isp.test>, relay=mail.isp.test[::1]:" + std::to_string(sink.port()) + ", ") !=
          std::string::npos);
    CHECK(log.find("(host mail.isp.test[::1] said: 550 5.1.1 no such user (in reply to RCPT TO command))") !=
          std::string::npos);
    const auto notice = relay.notice("alice@docomo.ne.jp");
    INFO(notice);
    CHECK(notice.find("Remote-MTA: dns; mail.isp.test\r\n") != std::string::npos);
    CHECK(notice.find("X-Remote-MTA-IP: ::1\r\n") != std::string::npos);
    CHECK(notice.find("Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n") != std::string::npos);
}
