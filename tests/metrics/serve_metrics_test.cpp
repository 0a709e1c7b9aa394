// relaylab serve with metrics_listen on 127.0.0.1, against real peers: unbound serves isp.test
// (MX: Postfix's smtp-sink, which accepts) and says nowhere.test does not exist; swaks submits.
// The endpoint is scraped over HTTP, promtool (Debian prometheus) checks the exposition, and the
// counters must move: one delivery, one bounce with its notice, MX lookups found and nxdomain.
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One HTTP/1.1 GET over a plain socket; the whole response (the server closes after it).
std::string http_get(unsigned short port, const std::string& target) {
    int fd = connect_loopback(port, std::chrono::seconds(10));
    REQUIRE(fd >= 0);
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

// Raw SMTP: `bytes` sent at once, every reply read until the server closes.
std::string smtp_raw(unsigned short port, const std::string& bytes) {
    int fd = connect_loopback(port, std::chrono::seconds(10));
    REQUIRE(fd >= 0);
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

// The samples of an exposition: "name{labels}" → value (comments skipped).
std::map<std::string, double> samples(const std::string& body) {
    std::map<std::string, double> out;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        REQUIRE(sp != std::string::npos);
        out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return out;
}

struct Scrape {
    std::string headers, body;
    std::map<std::string, double> values;
    double operator[](const std::string& k) const {
        auto it = values.find(k);
        return it == values.end() ? 0 : it->second;
    }
};

Scrape scrape(unsigned short port) {
    auto res = http_get(port, "/metrics");
    auto split = res.find("\r\n\r\n");
    REQUIRE(split != std::string::npos);
    Scrape s{res.substr(0, split + 2), res.substr(split + 4), {}};
    REQUIRE(s.headers.starts_with("HTTP/1.1 200 OK\r\n"));
    s.values = samples(s.body);
    return s;
}

// promtool's verdict on an exposition (it reads standard input).
void promtool_accepts(const Scrape& s, const fs::path& dir) {
    require_program("promtool", "prometheus");
    require_program("sh", "dash");
    auto file = dir / "scrape.txt";
    std::ofstream(file) << s.body;
    std::string out;
    int rc = run_command({"sh", "-c", "promtool check metrics < \"$1\"", "sh", file.string()}, out, true,
                         std::chrono::seconds(60));
    INFO(out);
    CHECK(rc == 0);
}

// Polls until `ok` holds for a scrape, up to 15 s; returns the last scrape.
template <typename Pred>
Scrape scrape_until(unsigned short port, Pred ok) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    Scrape s = scrape(port);
    while (!ok(s) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        s = scrape(port);
    }
    return s;
}

}  // namespace

TEST_CASE("serve's metrics: promtool accepts them and they count deliveries, bounces, notices and lookups",
          "[serve][metrics]") {
    require_program("swaks", "swaks");
    SmtpSink sink;
    UnboundServer dns({R"(local-zone: "isp.test." static)", R"(local-data: "isp.test. MX 10 mail.isp.test.")",
                       R"(local-data: "mail.isp.test. A 127.0.0.1")", R"(local-zone: "nowhere.test." always_nxdomain)"});
    TempDir dir("relaylab-metrics");
    auto intake_port = free_port(), metrics_port = free_port();
    json cfg{{"hostname", "relay.docomo.test"},
             {"intake", "127.0.0.1:" + std::to_string(intake_port)},
             {"dns_servers", {dns.address()}},
             {"dns_timeout_ms", 500},
             {"mx_port", sink.port()},
             {"policy", "accurate"},
             {"mailboxes", (dir.path() / "mailboxes").string()},
             {"spool", (dir.path() / "spool").string()},
             {"log", (dir.path() / "maillog").string()},
             {"metrics_listen", "127.0.0.1:" + std::to_string(metrics_port)}};
    std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
    ChildProcess serve({relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()},
                       dir.path() / "serve.out");
    REQUIRE(wait_for_tcp("127.0.0.1", intake_port));
    REQUIRE(wait_for_tcp("127.0.0.1", metrics_port));

    auto before = scrape(metrics_port);
    promtool_accepts(before, dir.path());
    CHECK(before["relaylab_messages_accepted_total"] == 0);
    CHECK(before["relaylab_queue_messages"] == 0);
    CHECK(before.body.find("# TYPE relaylab_deliveries_total counter\n") != std::string::npos);

    auto swaks = [&](const std::string& to) {
        std::string out;
        int rc = run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(intake_port), "--from",
                              "q.@docomo.ne.jp", "--to", to, "--timeout", "20"},
                             out, true, std::chrono::seconds(30));
        INFO(out);
        REQUIRE(rc == 0);
    };
    swaks("user@isp.test");
    swaks("user@nowhere.test");
    auto after = scrape_until(metrics_port, [](const Scrape& s) {
        return s["relaylab_deliveries_total{disposition=\"delivered\",class=\"delivered\"}"] >= 1 &&
               s["relaylab_deliveries_total{disposition=\"bounced\",class=\"dns_nxdomain\"}"] >= 1 &&
               s["relaylab_queue_messages"] == 0 && s["relaylab_notices_pending"] == 0;
    });
    INFO(after.body);
    promtool_accepts(after, dir.path());
    CHECK(after["relaylab_messages_accepted_total"] == 2);
    CHECK(after["relaylab_recipients_accepted_total"] == 2);
    // wait_for_tcp's probe was a session too: count from the first scrape.
    CHECK(before["relaylab_intake_sessions_total"] >= 1);
    CHECK(after["relaylab_intake_sessions_total"] - before["relaylab_intake_sessions_total"] == 2);
    CHECK(after["relaylab_intake_refusals_total{reason=\"network\"}"] == 0);
    CHECK(after["relaylab_deliveries_total{disposition=\"delivered\",class=\"delivered\"}"] == 1);
    CHECK(after["relaylab_deliveries_total{disposition=\"bounced\",class=\"dns_nxdomain\"}"] == 1);
    CHECK(after["relaylab_dns_mx_lookups_total{status=\"found\"}"] == 1);
    CHECK(after["relaylab_dns_mx_lookups_total{status=\"nxdomain\"}"] == 1);
    // isp.test's one MX host, mail.isp.test, and its address (nowhere.test has no MX host).
    CHECK(after["relaylab_dns_host_lookups_total{status=\"found\"}"] == 1);
    CHECK(after["relaylab_smtp_sessions_total"] == 1);
    CHECK(after["relaylab_notice_write_errors_total"] == 0);
    CHECK(after["relaylab_queue_messages"] == 0);
    CHECK(after["relaylab_queue_recipients{state=\"waiting\"}"] == 0);
    CHECK(after["relaylab_deliveries_in_flight"] == 0);
    CHECK(after["relaylab_spool_records_total"] > before["relaylab_spool_records_total"]);
    CHECK(after["relaylab_spool_syncs_total"] >= 2);
    CHECK(after["relaylab_spool_errors_total{when=\"accept\"}"] == 0);
    double notices = 0;
    for (const auto& [k, v] : after.values)
        if (k.starts_with("relaylab_notices_total{kind=\"failure\"")) notices += v;
    CHECK(notices == 1);

    // A refused address (local_part "pass" takes q.@…; an RCPT without a domain is refused).
    std::string out;
    run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(intake_port), "--from", "a@docomo.ne.jp", "--to",
                 "nodomain", "--timeout", "20"},
                out, true, std::chrono::seconds(30));
    auto refused = scrape(metrics_port);
    CHECK(refused["relaylab_intake_refusals_total{reason=\"address\"}"] >= 1);
    CHECK(refused["relaylab_intake_sessions_total"] - after["relaylab_intake_sessions_total"] == 1);
    CHECK(refused["relaylab_intake_refusals_total{reason=\"protocol\"}"] == 0);

    // The SMTP core's own refusal (503: MAIL before EHLO) counts as protocol, and by its code.
    const auto said = smtp_raw(intake_port, "MAIL FROM:<a@docomo.ne.jp>\r\nQUIT\r\n");
    INFO(said);
    REQUIRE(said.find("503 5.5.1") != std::string::npos);
    auto core = scrape_until(metrics_port, [](const Scrape& s) { return s["relaylab_intake_refusals_total{reason=\"protocol\"}"] >= 1; });
    CHECK(core["relaylab_intake_refusals_total{reason=\"protocol\"}"] == 1);
    CHECK(core["relaylab_intake_negative_replies_total{code=\"503\"}"] == 1);
    promtool_accepts(core, dir.path());

    // Anything but /metrics or / is 404; the intake is untouched by the endpoint.
    CHECK(http_get(metrics_port, "/debug").starts_with("HTTP/1.1 404 Not Found\r\n"));
    CHECK(serve.running());
}

TEST_CASE("serve refuses metrics_listen on a non-loopback address without metrics_allow_remote", "[serve][metrics]") {
    TempDir dir("relaylab-metrics-refuse");
    json cfg{{"intake", "127.0.0.1:" + std::to_string(free_port())},
             {"spool", false},
             {"metrics_listen", "0.0.0.0:9464"}};
    std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
    std::string out;
    int rc = run_command({relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()}, out, true,
                         std::chrono::seconds(20));
    CHECK(rc == 2);
    CHECK(out.find("metrics_listen 0.0.0.0 is not a loopback address: set metrics_allow_remote") != std::string::npos);
    cfg["metrics_listen"] = "127.0.0.1:notaport";
    std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
    CHECK(run_command({relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()}, out, true,
                      std::chrono::seconds(20)) == 2);
    CHECK(out.find("metrics_listen") != std::string::npos);
}
