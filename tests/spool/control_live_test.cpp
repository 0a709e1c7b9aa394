// `relaylab queue --retry/--delete` against a running `relaylab serve` with a spool, as an operator
// uses it: unbound serves isp.test whose MX port has nobody listening (every attempt is deferred,
// 4.4.1), swaks submits, and the edits go through DIR/control.
#include "tests/support/process.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
}

// Polls `done` every 50 ms for up to `wait` of real time.
template <typename F>
bool eventually(F done, std::chrono::milliseconds wait = std::chrono::milliseconds(10000)) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

struct SpooledServe {
    explicit SpooledServe(const UnboundServer& dns) : intake_port(free_port()), mx_port(free_port()) {
        json cfg{{"hostname", "relay.docomo.test"},
                 {"intake", "127.0.0.1:" + std::to_string(intake_port)},
                 {"dns_servers", {dns.address()}},
                 {"dns_timeout_ms", 500},
                 {"mx_port", mx_port},  // nobody listens: connection refused, deferred
                 {"retry", {{"min_backoff", "1h"}, {"max_backoff", "1h"}, {"lifetime", "5d"}}},
                 {"mailboxes", (dir.path() / "mailboxes").string()},
                 {"spool", spool().string()},
                 {"log", (dir.path() / "maillog").string()}};
        std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
        start();
    }
    void start() {
        process.reset();
        process.emplace(std::vector<std::string>{relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()},
                        dir.path() / ("serve" + std::to_string(++starts) + ".out"));
        REQUIRE(wait_for_tcp("127.0.0.1", intake_port));
    }
    int stop() { return process->stop(); }
    fs::path spool() const { return dir.path() / "spool"; }
    std::string log() const { return read_file(dir.path() / "maillog"); }

    int queue(std::vector<std::string> args, std::string& out) {
        std::vector<std::string> argv{relaylab_binary(), "queue", "--spool", spool().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, out, true, std::chrono::seconds(30));
    }

    TempDir dir{"relaylab-control-live"};
    unsigned short intake_port;
    unsigned short mx_port;
    int starts = 0;
    std::optional<ChildProcess> process;
};

}  // namespace

TEST_CASE("relaylab queue --retry/--delete on a running serve go through DIR/control", "[control][serve]") {
    UnboundServer dns({R"(local-zone: "isp.test." static)", R"(local-data: "isp.test. MX 10 mail.isp.test.")",
                       R"(local-data: "mail.isp.test. A 127.0.0.1")"});
    SpooledServe serve(dns);
    std::string out;
    require_program("swaks", "swaks");
    REQUIRE(run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(serve.intake_port), "--from",
                         "alice@docomo.ne.jp", "--to", "bob@isp.test", "--timeout", "20"},
                        out, true, std::chrono::seconds(30)) == 0);
    REQUIRE(eventually([&] { return count_of(serve.log(), "status=deferred") == 1; }));
    std::smatch m;
    std::string log = serve.log();
    REQUIRE(std::regex_search(log, m, std::regex("relaylab/qmgr: ([0-9]+): from=<alice@docomo.ne.jp>")));
    const std::string id = m[1];
    // The spool is held: the old offline path would refuse; the socket is there, 0600.
    REQUIRE(fs::exists(fs::symlink_status(serve.spool() / "control")));
    CHECK((fs::symlink_status(serve.spool() / "control").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));

    SECTION("--retry ID: ok 1, and the next attempt comes at once instead of in an hour") {
        CHECK(serve.queue({"--retry", id}, out) == 0);
        CHECK(out == "ok 1\n");
        CHECK(eventually([&] { return count_of(serve.log(), "status=deferred") == 2; }));
        CHECK(serve.log().find("relaylab/postqueue: " + id + ": retry forced, 1 recipient(s) due now") != std::string::npos);
        REQUIRE(serve.queue({}, out) == 0);
        CHECK(out.find("<bob@isp.test>  waiting, 2 attempt(s)") != std::string::npos);
        CHECK(serve.queue({"--retry", "all"}, out) == 0);
        CHECK(out == "ok 1\n");
    }
    SECTION("--delete of an unknown id: exit 1 and the daemon's error") {
        CHECK(serve.queue({"--delete", "999999"}, out) == 1);
        CHECK(out.find("error unknown queue id") != std::string::npos);
        CHECK(serve.queue({"--delete", "nine"}, out) == 2);  // usage: not a queue id
    }
    SECTION("--delete ID: gone from the listing, and still gone after a restart") {
        CHECK(serve.queue({"--delete", id}, out) == 0);
        CHECK(out == "ok 1\n");
        CHECK(serve.log().find("relaylab/postsuper: " + id + ": removed") != std::string::npos);
        REQUIRE(serve.queue({}, out) == 0);
        CHECK(out == "Mail queue is empty\n");

        int status = serve.stop();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK_FALSE(fs::exists(fs::symlink_status(serve.spool() / "control")));  // removed on a clean stop
        serve.start();
        REQUIRE(eventually([&] { return read_file(serve.dir.path() / "serve2.out").find("messages recovered") != std::string::npos; }));
        CHECK(read_file(serve.dir.path() / "serve2.out").find(": 0 messages recovered") != std::string::npos);
        REQUIRE(serve.queue({}, out) == 0);
        CHECK(out == "Mail queue is empty\n");
        CHECK(serve.queue({"--retry", id}, out) == 1);
        CHECK(out.find("error unknown queue id") != std::string::npos);
        CHECK(count_of(serve.log(), "status=deferred") == 1);
    }
    SECTION("a lock holder that does not answer on DIR/control: a clear message, exit 1") {
        REQUIRE(WIFEXITED(serve.stop()));
        int fd = ::open((serve.spool() / "lock").c_str(), O_RDWR | O_CLOEXEC);
        REQUIRE(fd >= 0);
        REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
        CHECK(serve.queue({"--retry", id}, out) == 1);
        CHECK(out.find("is held by another process that does not answer on " + (serve.spool() / "control").string()) !=
              std::string::npos);
        ::close(fd);
        // Lock free again: the offline edit, as before.
        CHECK(serve.queue({"--retry", id}, out) == 0);
        CHECK(out == id + ": due now\n");
        CHECK(serve.queue({"--retry", "all"}, out) == 0);
        CHECK(out == "all: 1 recipient(s) due now\n");
    }
}
