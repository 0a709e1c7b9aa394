// The control socket of a live relay, in one process on virtual time (tests/gateway/relay_world.hpp):
// a spooled relay with DIR/control, the operator's client (ask_control_socket) and raw peers.
#include "tests/gateway/relay_world.hpp"

#include "relay/control_socket.hpp"
#include "queue/spool.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace relaylab;
using namespace relaylab::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::local::stream_protocol;

namespace {

const std::string zone = R"({ "names": {
  "isp.example":      { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ] },
  "mx1.isp.example":  { "a": ["127.0.0.21"] },
  "slow.example":     { "mx": [ {"preference": 10, "host": "mx1.slow.example"} ] },
  "mx1.slow.example": { "a": ["127.0.0.22"] }
} })";
// isp.example defers every recipient; slow.example keeps a delivery in flight for 10 minutes.
const std::string deferring = R"({ "hostname": "mx1.isp.example", "rcpt": {"reply": "451 4.7.1 try again later"} })";
const std::string slow = R"({ "hostname": "mx1.slow.example", "greeting": {"delay": "10m"} })";
const std::string retry = R"({"retry": {"min_backoff": "1h", "max_backoff": "1h", "lifetime": "5d"}})";

// The world's relay replaced by one on a spool, with a control socket on it.
struct ControlledRelay {
    explicit ControlledRelay(gw::ControlLimits limits = {}) : w(zone, {{"127.0.0.21", deferring}, {"127.0.0.22", slow}}, retry) {
        auto opened = gw::Spool::open(dir.path());
        REQUIRE(opened);
        spool = std::move(opened).value();
        w.restart_on(*spool, std::nullopt, [&](gw::Relay& relay) {
            control.emplace(w.io.get_executor(), w.clock, relay, dir.path(), limits,
                            [this](const gw::ControlCommand& c, const gw::ControlAnswer& a) { observed.emplace_back(c, a); });
        });
    }
    ~ControlledRelay() {
        control.reset();
        w.loop.settle();
    }

    gw::MessageId submit(const std::string& to) {
        w.submit("alice@docomo.ne.jp", {to});
        gw::MessageId id = 0;
        for (const auto& [at, e] : w.recorded.events)
            if (auto* acc = std::get_if<gw::MessageAccepted>(&e)) id = acc->id;
        return id;
    }

    gw::ControlReply ask(gw::ControlCommand command) {
        std::optional<gw::ControlReply> reply;
        fs::path socket = control->path();
        asio::co_spawn(w.io, gw::ask_control_socket(w.clock, socket, command), [&](std::exception_ptr e, gw::ControlReply r) {
            if (e) std::rethrow_exception(e);
            reply = std::move(r);
        });
        REQUIRE(w.loop.run_until([&] { return reply.has_value(); }, w.clock.now() + 1min));
        return *reply;
    }

    // Destroyed bottom up: the control socket, then the relay (which may still write to the
    // spool while it stops), then the spool.
    TempDir dir{"relaylab-control"};
    std::unique_ptr<gw::Spool> spool;
    RelayWorld w;
    std::optional<gw::ControlSocket> control;
    std::vector<std::pair<gw::ControlCommand, gw::ControlAnswer>> observed;
};

// `retry all` sent by the client to the socket at `path` (not necessarily the relay's own).
std::optional<gw::ControlReply> retry_all_at(ControlledRelay& r, const fs::path& path) {
    std::optional<gw::ControlReply> reply;
    asio::co_spawn(r.w.io, gw::ask_control_socket(r.w.clock, path, gw::ControlCommand{gw::ControlVerb::RetryAll, 0}),
                   [&](std::exception_ptr e, gw::ControlReply rep) {
                       if (e) std::rethrow_exception(e);
                       reply = std::move(rep);
                   });
    r.w.loop.run_until([&] { return reply.has_value(); }, r.w.clock.now() + 1min);
    return reply;
}

// A raw peer: sends `bytes` (then closes its sending side when `eof`) and reads until the daemon
// closes. Named values only inside co_await (g++ 12).
asio::awaitable<std::string> raw_exchange(std::string path, std::string bytes, bool eof) {
    auto ex = co_await asio::this_coro::executor;
    stream_protocol::socket s(ex);
    stream_protocol::endpoint ep(path);
    boost::system::error_code ec;
    co_await s.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return "connect: " + ec.message();
    if (!bytes.empty()) co_await asio::async_write(s, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    if (eof) s.shutdown(stream_protocol::socket::shutdown_send, ec);
    std::string got;
    std::array<char, 512> buf;
    while (true) {
        std::size_t n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        got.append(buf.data(), n);
        if (ec) break;
    }
    co_return got;
}

std::string exchange(ControlledRelay& r, std::string bytes, bool eof = false) {
    std::optional<std::string> got;
    asio::co_spawn(r.w.io, raw_exchange(r.control->path().string(), std::move(bytes), eof),
                   [&](std::exception_ptr e, std::string s) {
                       if (e) std::rethrow_exception(e);
                       got = std::move(s);
                   });
    REQUIRE(r.w.loop.run_until([&] { return got.has_value(); }, r.w.clock.now() + 1min));
    return *got;
}

std::size_t attempts_for(const RecordedEvents& rec, gw::MessageId id) {
    std::size_t n = 0;
    for (const auto& a : rec.attempts()) n += a.id == id;
    return n;
}

}  // namespace

TEST_CASE("control socket: retry makes a deferred message's next attempt happen at once", "[control]") {
    ControlledRelay r;
    auto id = r.submit("bob@isp.example");
    REQUIRE(r.w.loop.run_until([&] { return attempts_for(r.w.recorded, id) == 1; }, r.w.clock.now() + 1min));
    REQUIRE(r.w.recorded.attempts().back().disposition == gw::Disposition::Deferred);
    const TimePoint asked = r.w.clock.now();

    SECTION("retry ID: ok 1, and the second attempt comes now, not in an hour") {
        auto reply = r.ask({gw::ControlVerb::Retry, id});
        REQUIRE(reply);
        CHECK(reply->line == "ok 1");
        REQUIRE(r.w.loop.run_until([&] { return attempts_for(r.w.recorded, id) == 2; }, asked + 1min));
        CHECK(r.w.clock.now() < asked + 1min);
        // Recorded: the spool holds the forced retry (what a restart replays).
        auto on_disk = gw::read_spool(r.dir.path());
        const auto& history = on_disk.replay.live.at(id).history;
        CHECK(std::any_of(history.begin(), history.end(),
                          [](const gw::SpoolEvent& e) { return e.kind == gw::SpoolEventKind::RetryForced; }));
        REQUIRE(r.observed.size() == 1);
        CHECK(r.observed[0].second.affected == 1);
    }
    SECTION("retry all counts the waiting recipients of every message") {
        auto second = r.submit("carol@isp.example");
        REQUIRE(r.w.loop.run_until([&] { return attempts_for(r.w.recorded, second) == 1; }, r.w.clock.now() + 1min));
        auto reply = r.ask({gw::ControlVerb::RetryAll, 0});
        REQUIRE(reply);
        CHECK(reply->line == "ok 2");
        REQUIRE(r.w.loop.run_until([&] { return r.w.recorded.attempts().size() == 4; }, r.w.clock.now() + 1min));
    }
    SECTION("without a control command the next attempt waits its hour") {
        REQUIRE(r.w.loop.run_until([&] { return attempts_for(r.w.recorded, id) == 2; }, asked + 2h));
        CHECK(r.w.clock.now() >= asked + 59min);
    }
    SECTION("delete ID: ok 1, gone from the queue and from the spool") {
        auto reply = r.ask({gw::ControlVerb::Delete, id});
        REQUIRE(reply);
        CHECK(reply->line == "ok 1");
        CHECK(r.w.relay->queue().messages() == 0);
        CHECK(r.w.relay->idle());
        CHECK(gw::read_spool(r.dir.path()).replay.live.empty());
        // No further attempt, and no notice to the handset (postsuper -d is silent).
        r.w.loop.run(r.w.clock.now() + 3h);
        CHECK(attempts_for(r.w.recorded, id) == 1);
        CHECK(r.w.recorded.notices().empty());
        SECTION("and a second delete no longer finds it") {
            CHECK(r.ask({gw::ControlVerb::Delete, id})->line == "error unknown queue id");
        }
    }
    SECTION("an unknown id is an error, and changes nothing") {
        auto reply = r.ask({gw::ControlVerb::Retry, id + 100});
        REQUIRE(reply);
        CHECK(reply->line == "error unknown queue id");
        CHECK(reply->answer.error == gw::ControlError::NoSuchMessage);
        CHECK(r.w.relay->queue().messages() == 1);
    }
}

TEST_CASE("control socket: a message in delivery cannot be deleted until its attempt ends", "[control]") {
    ControlledRelay r;
    auto id = r.submit("dave@slow.example");
    REQUIRE(r.w.loop.run_until([&] { return r.w.relay->in_flight() == 1; }, r.w.clock.now() + 1min));
    CHECK(r.ask({gw::ControlVerb::Delete, id})->line == "error in flight, try again");
    CHECK(r.ask({gw::ControlVerb::Retry, id})->line == "ok 0");  // nothing waits: the attempt runs
    CHECK(r.w.relay->queue().messages() == 1);
}

TEST_CASE("control socket: bad lines, silence and crowds get an error line, never a hang", "[control]") {
    SECTION("a malformed command") {
        ControlledRelay r;
        CHECK(exchange(r, "flush\n") == "error malformed command\n");
        CHECK(exchange(r, "retry all", true) == "error malformed command\n");  // closed before the line end
    }
    SECTION("a line longer than 256 bytes") {
        ControlledRelay r;
        CHECK(exchange(r, std::string(300, 'x')) == "error line too long\n");
    }
    SECTION("a client that says nothing is answered after 5 s") {
        ControlledRelay r;
        TimePoint start = r.w.clock.now();
        CHECK(exchange(r, "") == "error timeout waiting for the command\n");
        CHECK(r.w.clock.now() >= start + 5s);
        CHECK(r.w.clock.now() < start + 6s);
    }
    SECTION("more connections than the limit: the extra one hears busy at once") {
        gw::ControlLimits limits;
        limits.max_connections = 1;
        ControlledRelay r(limits);
        std::optional<std::string> silent;
        asio::co_spawn(r.w.io, raw_exchange(r.control->path().string(), "", false), [&](std::exception_ptr e, std::string s) {
            if (e) std::rethrow_exception(e);
            silent = std::move(s);
        });
        r.w.loop.settle();
        TimePoint start = r.w.clock.now();
        auto reply = r.ask({gw::ControlVerb::RetryAll, 0});
        REQUIRE(reply);
        CHECK(reply->line == "error busy, try again");
        CHECK(r.w.clock.now() == start);
        REQUIRE(r.w.loop.run_until([&] { return silent.has_value(); }, r.w.clock.now() + 1min));
        CHECK(*silent == "error timeout waiting for the command\n");
        CHECK(r.ask({gw::ControlVerb::RetryAll, 0})->line == "ok 0");  // the slot is free again
    }
}

TEST_CASE("control socket file: mode 0600, stale one replaced, removed on stop", "[control]") {
    TempDir dir("relaylab-control-file");
    const fs::path path = dir.path() / "control";
    SECTION("a stale socket left by a crash is replaced; the file is 0600 and goes away on stop") {
        {
            int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
            REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
            ::close(fd);  // the file stays, nobody listens
        }
        ControlledRelay r;  // its own spool dir; this one is checked by hand below
        gw::ControlSocket control(r.w.io.get_executor(), r.w.clock, *r.w.relay, dir.path());
        struct ::stat st{};
        REQUIRE(::lstat(path.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
        auto reply = retry_all_at(r, path);
        REQUIRE(reply);
        REQUIRE(*reply);
        CHECK((*reply)->line == "ok 0");
        control.stop();
        CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    }
    SECTION("a file that is not a socket is never removed: refused") {
        std::ofstream(path) << "not a socket\n";
        ControlledRelay r;
        CHECK_THROWS_AS(gw::ControlSocket(r.w.io.get_executor(), r.w.clock, *r.w.relay, dir.path()), boost::system::system_error);
        CHECK(fs::is_regular_file(path));
    }
    SECTION("nobody listening: the client says it could not connect, at once") {
        ControlledRelay r;
        auto reply = retry_all_at(r, path);
        REQUIRE(reply);
        REQUIRE_FALSE(*reply);
        CHECK(reply->error().kind == gw::ControlClientError::Connect);
    }
}

// Issue 12: the socket's mode is one fence; the peer's credentials (SO_PEERCRED) are the other, so a
// loosened mode (an operator's chmod, a group-writable spool) still lets only the daemon's own
// user, or root, edit the queue.
TEST_CASE("control socket: only the daemon's uid or root may command it (SO_PEERCRED)", "[control]") {
    require(::geteuid() == 0, "running as root (to connect as another user)");
    ControlledRelay r;
    SECTION("the same uid is answered") { CHECK(r.ask({gw::ControlVerb::RetryAll, 0})->line == "ok 0"); }
    SECTION("another uid hears `error not permitted` and nothing is done") {
        // Loosen the fences the mode puts up, as a careless chmod would.
        fs::permissions(r.dir.path(), fs::perms::owner_all | fs::perms::others_exec);
        fs::permissions(r.control->path(), fs::perms::all);
        const std::string path = r.control->path().string();
        int pipefd[2];
        REQUIRE(::pipe(pipefd) == 0);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {  // the child: nobody, one command, the answer back through the pipe
            ::close(pipefd[0]);
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
            int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
            if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(4);
            const char line[] = "retry all\n";
            if (::write(fd, line, sizeof line - 1) < 0) {}  // the answer may come first; read it anyway
            char buf[128];
            ssize_t n, total = 0;
            while ((n = ::read(fd, buf + total, sizeof buf - 1 - static_cast<std::size_t>(total))) > 0) total += n;
            if (::write(pipefd[1], buf, static_cast<std::size_t>(total)) < 0) ::_exit(5);
            ::_exit(0);
        }
        ::close(pipefd[1]);
        // Real time, no virtual jumps: the child's bytes must not race a virtual receive timeout.
        int status = 0;
        auto until = std::chrono::steady_clock::now() + 10s;
        while (::waitpid(pid, &status, WNOHANG) == 0) {
            r.w.io.poll();
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                FAIL("the child did not finish");
            }
            std::this_thread::sleep_for(1ms);
        }
        std::string answer;
        char buf[128];
        ssize_t n;
        while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) answer.append(buf, static_cast<std::size_t>(n));
        ::close(pipefd[0]);
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
        CHECK(answer == "error not permitted\n");
        CHECK(r.observed.empty());  // the relay was never asked
    }
}
