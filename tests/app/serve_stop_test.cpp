// Issue 12: what `relaylab serve` keeps when it is told to stop. A real serve child process
// delivers to a scripted remote (`relaylab sim-smtp`) that is slow after the final dot or defers
// every recipient; unbound answers the MX; swaks submits as a handset.
#include "tests/support/process.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> zone() {
    return {R"(local-zone: "isp.test." static)", R"(local-data: "isp.test. MX 10 mail.isp.test.")",
            R"(local-data: "mail.isp.test. A 127.0.0.1")"};
}

// A scripted remote MTA (docs/world-smtp.md) as its own process on a free port.
class Remote {
public:
    Remote(const TempDir& dir, const std::string& script) : port(free_port()) {
        std::ofstream(dir.path() / "remote.json") << script;
        process.emplace(std::vector<std::string>{relaylab_binary(), "sim-smtp", "--script", (dir.path() / "remote.json").string(),
                                                 "--listen", "127.0.0.1:" + std::to_string(port)},
                        dir.path() / "remote.out");
        REQUIRE(wait_for_tcp("127.0.0.1", port));
    }
    std::string log() const { return process->log_text(); }
    unsigned short port;
    std::optional<ChildProcess> process;
};

// One relaylab serve run from `dir` as its working directory, config in dir/relay.json.
class Serve {
public:
    Serve(const fs::path& dir, const json& cfg, const std::string& out_name = "serve.out")
        : dir_(dir), out_(dir / out_name) {
        std::ofstream(dir / "relay.json") << cfg.dump(2);
        // Through sh, for the working directory: the default spool is relative to it.
        process.emplace(std::vector<std::string>{"/bin/sh", "-c", "cd \"$0\" && exec \"$1\" serve --config relay.json",
                                                 dir.string(), relaylab_binary()},
                        out_);
    }
    std::string out() const { return read_file(out_); }
    std::string log() const { return read_file(dir_ / "maillog"); }
    std::optional<ChildProcess> process;

private:
    fs::path dir_, out_;
};

json config(const fs::path& dir, const UnboundServer& dns, unsigned short mx_port, unsigned short intake_port) {
    return json{{"hostname", "relay.docomo.test"},
                {"intake", "127.0.0.1:" + std::to_string(intake_port)},
                {"dns_servers", {dns.address()}},
                {"dns_timeout_ms", 500},
                {"mx_port", mx_port},
                {"retry", {{"min_backoff", "1h"}, {"max_backoff", "1h"}, {"lifetime", "5d"}}},
                {"mailboxes", (dir / "mailboxes").string()},
                {"log", (dir / "maillog").string()}};
}

int swaks(unsigned short port) {
    require_program("swaks", "swaks");
    std::string out;
    return run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(port), "--from", "alice@docomo.ne.jp", "--to",
                        "user@isp.test", "--h-Subject", "hello", "--timeout", "20"},
                       out, true, 30s);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A serve with its own spool whose one message has reached a remote that holds its reply to the
// final dot for `dot_delay`: the state every drain test starts from.
struct DeliveryInFlight {
    DeliveryInFlight(const std::string& name, const std::string& dot_delay, const json& extra = json::object())
        : dir(name), remote(dir, R"({"hostname": "mail.isp.test", "dot": {"delay": ")" + dot_delay + R"("}})"),
          dns(zone()), intake(free_port()) {
        json cfg = config(dir.path(), dns, remote.port, intake);
        cfg["spool"] = (dir.path() / "queue").string();
        cfg.update(extra);
        serve.emplace(dir.path(), cfg);
        REQUIRE(wait_for_tcp("127.0.0.1", intake));
        REQUIRE(swaks(intake) == 0);
        REQUIRE(wait_until([&] { return contains(remote.log(), "<message: "); }));  // the dot is in, the 250 is not
    }
    TempDir dir;
    Remote remote;
    UnboundServer dns;
    unsigned short intake;
    std::optional<Serve> serve;
};

}  // namespace

TEST_CASE("serve: SIGTERM lets the delivery in flight finish, then exits 0", "[serve][drain]") {
    // The remote has the whole message and takes 2 s to answer the final dot.
    DeliveryInFlight w("relaylab-drain", "2s");
    auto& serve = *w.serve;
    int status = serve.process->stop(10000ms);
    INFO(serve.out());
    INFO(w.remote.log());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(contains(serve.log(), "to=<user@isp.test>, relay=mail.isp.test[127.0.0.1]"));
    CHECK(contains(serve.log(), "status=sent"));
    CHECK(contains(serve.out(), "signal 15, draining"));
    CHECK(contains(serve.out(), "stopped (drained; 0 messages still queued, kept in the spool)"));
}

TEST_CASE("serve: a delivery that outlasts stop_timeout is cut short and its message kept in the spool", "[serve][drain]") {
    DeliveryInFlight w("relaylab-drain-deadline", "20s", {{"stop_timeout", "500ms"}});
    auto& serve = *w.serve;
    auto signalled = std::chrono::steady_clock::now();
    int status = serve.process->stop(10000ms);
    auto took = std::chrono::steady_clock::now() - signalled;
    INFO(serve.out());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(took >= 500ms);
    CHECK(took < 5s);
    CHECK_FALSE(contains(serve.log(), "status=sent"));
    CHECK(contains(serve.out(), "stopped (stop_timeout 500ms passed with 0 intake sessions and 1 deliveries cut short; "
                                "1 messages still queued, kept in the spool)"));
}

TEST_CASE("serve: a second signal during the drain stops at once", "[serve][drain]") {
    DeliveryInFlight w("relaylab-drain-twice", "20s");
    auto& serve = *w.serve;
    ::kill(serve.process->pid(), SIGTERM);
    REQUIRE(wait_until([&] { return contains(serve.out(), "draining"); }));
    ::kill(serve.process->pid(), SIGINT);
    CHECK(wait_until([&] { return !serve.process->running(); }, 5s));  // not the 30 s stop_timeout
    int status = serve.process->stop();
    INFO(serve.out());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(contains(serve.out(), "signal 2 again, stopping at once"));
    CHECK(contains(serve.out(), "stopped (second signal; 1 messages still queued, kept in the spool)"));
}

TEST_CASE("serve: with no spool key a deferred message is on disk in ./spool and outlives a stop", "[serve][spool]") {
    TempDir dir{"relaylab-default-spool"};
    Remote remote(dir, R"({"hostname": "mail.isp.test", "rcpt": {"reply": "451 4.7.1 try again later"}})");
    UnboundServer dns(zone());
    unsigned short intake = free_port();
    json cfg = config(dir.path(), dns, remote.port, intake);
    {
        Serve serve(dir.path(), cfg);
        REQUIRE(wait_for_tcp("127.0.0.1", intake));
        REQUIRE(swaks(intake) == 0);
        REQUIRE(wait_until([&] { return contains(serve.log(), "status=deferred"); }));
        int status = serve.process->stop(10000ms);
        INFO(serve.out());
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK(fs::is_directory(dir.path() / "spool"));
        CHECK_FALSE(contains(serve.out(), "spool is off"));
    }
    Serve again(dir.path(), cfg, "serve-again.out");
    REQUIRE(wait_for_tcp("127.0.0.1", intake));
    INFO(again.out());
    CHECK(contains(again.out(), "spool spool: 1 messages recovered"));
}

TEST_CASE("serve: \"spool\": false is memory-only, said at start, and true is refused", "[serve][spool]") {
    TempDir dir{"relaylab-no-spool"};
    UnboundServer dns(zone());
    unsigned short intake = free_port();
    json cfg = config(dir.path(), dns, 25, intake);
    cfg["spool"] = false;
    {
        Serve serve(dir.path(), cfg);
        REQUIRE(wait_for_tcp("127.0.0.1", intake));
        int status = serve.process->stop(10000ms);
        INFO(serve.out());
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK(contains(serve.out(), "warning: spool is off (memory-only): a stop loses every queued message"));
        CHECK(contains(serve.out(), "stopped (drained; 0 messages still queued, lost: no spool)"));
        CHECK_FALSE(fs::exists(dir.path() / "spool"));
    }
    cfg["spool"] = true;
    std::ofstream(dir.path() / "true.json") << cfg.dump(2);
    std::string out;
    CHECK(run_command({relaylab_binary(), "config", "--check", (dir.path() / "true.json").string()}, out, true) == 2);
    CHECK(contains(out, "at /spool:"));
    CHECK(contains(out, "write a directory, or false for memory-only"));
}
