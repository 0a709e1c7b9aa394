// `relaylab serve` as an operator meets it: a warning at start when no configured DNS server answers
// (and none when one does), and SIGHUP reloading the policy like `postfix reload` — the next notice
// has the new words, a bad policy keeps the old one, and the log says which. The world is
// relaylab's own scripted DNS and an MTA answering like Exchange 5.5 (examples/incident-2009).
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const std::string examples = std::string(RELAYLAB_SOURCE_DIR) + "/examples/incident-2009/";

// Polls `text()` until it holds `needle` or `wait` passes.
template <typename Text>
// Generous: serve under ASan on a loaded 2-core CI machine took over 10 s to log its DNS check
// (3.7 s alone). A wait that succeeds returns as soon as the line is there.
bool eventually(Text text, const std::string& needle, std::chrono::milliseconds wait = 45s) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (text().find(needle) == std::string::npos) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

struct Serve {
    Serve(const std::string& dns_server, unsigned short mx_port, const std::string& policy) : intake(free_port()) {
        write_config(dns_server, mx_port, policy);
        process.emplace(std::vector<std::string>{relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()},
                        dir.path() / "serve.out");
        REQUIRE(wait_for_tcp("127.0.0.1", intake));
    }
    // DNS timeout 3 s: sim-dns under ASan on a loaded CI machine took longer than 300 ms to answer
    // the start-up check, which then (rightly) warned that no server answers. A dead port is
    // refused at once whatever the timeout.
    void write_config(const std::string& dns_server, unsigned short mx_port, const std::string& policy) {
        json cfg{{"hostname", "relay.docomo.test"}, {"intake", "127.0.0.1:" + std::to_string(intake)},
                 {"dns_servers", {dns_server}}, {"dns_timeout_ms", 3000}, {"dns_tries", 2}, {"mx_port", mx_port},
                 {"policy", policy}, {"mailboxes", (dir.path() / "mailboxes").string()},
                 {"spool", (dir.path() / "spool").string()}, {"log", (dir.path() / "maillog").string()}};
        std::ofstream(dir.path() / "relay.json.new") << cfg.dump(2);
        fs::rename(dir.path() / "relay.json.new", dir.path() / "relay.json");  // never read half-written
    }
    std::string out() const { return process->log_text(); }
    std::string maillog() const { return read_file(dir.path() / "maillog"); }
    void submit() {
        std::string o;
        REQUIRE(run_command({relaylab_binary(), "probe", "smtp", "127.0.0.1:" + std::to_string(intake), "--from",
                             "q.@docomo.ne.jp", "--to", "user@isp.example"},
                            o, true, 30s) == 0);
    }
    // The subjects of the handset's notices, decoded by `relaylab notice show`, once `count` are there.
    std::string subjects(std::size_t count) {
        const auto maildir = dir.path() / "mailboxes";
        std::string o;
        auto until = std::chrono::steady_clock::now() + 15s;
        for (;;) {
            run_command({relaylab_binary(), "notice", "show", maildir.string()}, o, false, 30s);
            std::size_t n = 0;
            for (auto p = o.find("Subject: "); p != std::string::npos; p = o.find("Subject: ", p + 1)) ++n;
            if (n >= count || std::chrono::steady_clock::now() > until) break;
            std::this_thread::sleep_for(50ms);
        }
        std::string s;
        for (auto p = o.find("Subject: "); p != std::string::npos; p = o.find("Subject: ", p + 1))
            s += o.substr(p + 9, o.find('\n', p) - p - 9) + "\n";
        return s;
    }

    TempDir dir{"relaylab-serve-reload"};
    unsigned short intake;
    std::optional<ChildProcess> process;
};

}  // namespace

TEST_CASE("serve warns at start when no configured DNS server answers, and still serves", "[serve][dns-check]") {
    // A port nothing listens on: the query is refused at once (ICMP port unreachable).
    Serve serve("127.0.0.1:" + std::to_string(free_port()), 25, "legacy-2009");
    REQUIRE(eventually([&] { return serve.out(); }, "relaylab serve: warning: no configured DNS server answers (127.0.0.1:"));
    CHECK(serve.out().find("every delivery will be deferred until one does") != std::string::npos);
    CHECK(serve.process->running());  // a warning, not a refusal
    CHECK(wait_for_tcp("127.0.0.1", serve.intake));
}

TEST_CASE("serve reloads its policy on SIGHUP and keeps it when the new one is bad", "[serve][reload]") {
    TempDir world("relaylab-reload-world");
    const auto dns_port = free_port(), mx_port = free_port("127.0.0.31");
    ChildProcess dns({relaylab_binary(), "sim-dns", "--zones", examples + "zones.json", "--listen",
                      "127.0.0.1:" + std::to_string(dns_port)},
                     world.path() / "dns.log");
    ChildProcess mx({relaylab_binary(), "sim-smtp", "--script", examples + "exchange-2009.json", "--listen",
                     "127.0.0.31:" + std::to_string(mx_port)},
                    world.path() / "mx.log");
    REQUIRE(wait_for_tcp("127.0.0.1", dns_port));
    REQUIRE(wait_for_tcp("127.0.0.31", mx_port));
    const std::string dns_server = "127.0.0.1:" + std::to_string(dns_port);
    Serve serve(dns_server, mx_port, "legacy-2009");
    REQUIRE(eventually([&] { return serve.out(); }, "DNS check: " + dns_server + " answers (nxdomain"));
    CHECK(serve.out().find("warning: no configured DNS server") == std::string::npos);

    serve.submit();
    CHECK(serve.subjects(1) == "送信メールエラー\n");

    serve.write_config(dns_server, mx_port, "accurate");
    REQUIRE(::kill(serve.process->pid(), SIGHUP) == 0);
    REQUIRE(eventually([&] { return serve.out(); }, "relaylab serve: reload: policy legacy-2009 -> accurate\n"));
    CHECK(serve.maillog().find(" relaylab/master: reload: policy legacy-2009 -> accurate\n") != std::string::npos);
    serve.submit();
    CHECK(serve.subjects(2) == "送信メールエラー\n送信エラー: 送信元アドレスが受信側に拒否されました\n");

    SECTION("a policy that does not load keeps the running one") {
        serve.write_config(dns_server, mx_port, "no-such-policy");
        REQUIRE(::kill(serve.process->pid(), SIGHUP) == 0);
        REQUIRE(eventually([&] { return serve.out(); }, "relaylab serve: reload failed, keeping policy accurate: policy no-such-policy: "));
        CHECK(serve.maillog().find("relaylab/master: warning: reload failed, keeping policy accurate") != std::string::npos);
        serve.submit();
        CHECK(serve.subjects(3) ==
              "送信メールエラー\n送信エラー: 送信元アドレスが受信側に拒否されました\n送信エラー: 送信元アドレスが受信側に拒否されました\n");
    }
    SECTION("a config file that does not parse keeps the running policy") {
        std::ofstream(serve.dir.path() / "relay.json") << "{ \"policy\": ";
        REQUIRE(::kill(serve.process->pid(), SIGHUP) == 0);
        REQUIRE(eventually([&] { return serve.out(); }, "relaylab serve: reload failed, keeping policy accurate: config: "));
        CHECK(serve.process->running());
    }
    SECTION("other changed keys are named as needing a restart") {
        serve.write_config("127.0.0.1:9", mx_port, "legacy-2009");
        REQUIRE(::kill(serve.process->pid(), SIGHUP) == 0);
        REQUIRE(eventually([&] { return serve.out(); },
                           "reload: policy accurate -> legacy-2009 (other changed keys take effect at the next start)"));
    }
}
