// Hostile handsets at the gateway's intake (a whole relay on virtual time, tests/gateway/relay_world.hpp):
// garbage, floods, slow drips, oversized messages, too many recipients, and sender addresses built
// to climb out of the mailbox directory. Each is refused with the right code or contained, the
// session ends within its deadline, and nothing is ever written outside <mailboxes>.
#include "tests/gateway/relay_world.hpp"
#include "tests/hostile/hostile_peer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace relaylab;
using namespace relaylab::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

const std::string zone = R"({ "names": {
  "isp.example":     { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ] },
  "mx1.isp.example": { "a": ["127.0.0.21"] },
  "gone.example":    { "behaviour": "nxdomain" }
} })";
const std::string accepting = R"({ "hostname": "mx1.isp.example" })";

struct Talk {
    std::string replies;  // everything the intake said, up to a bound
    bool closed = false;  // the intake closed the connection
    Duration took{};
};

// A handset that connects to the intake and runs `script`; the intake's replies are collected by
// the script's own reads (RawPeer keeps at most its line bound).
Talk handset(RelayWorld& w, const std::function<asio::awaitable<void>(RawPeer&, Talk&)>& script,
             Duration limit = 1h) {
    Talk talk;
    bool done = false;
    TimePoint began = w.clock.now();
    std::optional<RawPeer> peer;
    asio::co_spawn(
        w.io,
        [&]() -> asio::awaitable<void> {
            tcp::socket s(w.io);
            boost::system::error_code ec;
            tcp::endpoint intake(asio::ip::make_address("127.0.0.1"), w.intake->port());
            co_await s.async_connect(intake, asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) {
                peer.emplace(std::move(s), w.clock);
                co_await script(*peer, talk);
            }
            done = true;
        },
        [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    w.loop.run_until([&] { return done; }, w.clock.now() + limit);
    talk.took = w.clock.now() - began;
    if (peer) {
        boost::system::error_code ignored;
        peer->socket.close(ignored);
    }
    w.loop.settle();
    REQUIRE(done);
    return talk;
}

// Reads replies until the intake closes (or the RawPeer gives up), keeping at most 64 KiB of them.
asio::awaitable<void> listen_to_end(RawPeer& p, Talk& t) {
    while (auto line = co_await p.hear()) {
        if (t.replies.size() < 64 * 1024) t.replies += *line;
    }
    t.closed = true;
}

asio::awaitable<void> say_and_listen(RawPeer& p, Talk& t, std::string bytes) {
    co_await p.say(bytes);
    co_await listen_to_end(p, t);
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::size_t count(const std::string& s, std::string_view part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

// Every regular file under `root`, relative to it.
std::vector<std::string> files_under(const fs::path& root) {
    std::vector<std::string> out;
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).string());
    return out;
}

}  // namespace

TEST_CASE("hostile handsets: garbage ends in a refusal or a closed connection, within the deadline",
          "[hostile][integration]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}});
    const Duration idle = w.config.limits.idle_timeout;

    SECTION("an endless command line (10 MB, no LF) is discarded and answered once with 500") {
        Talk t;
        auto growth = peak_growth_kb([&] {
            t = handset(w, [](RawPeer& p, Talk& t) -> asio::awaitable<void> {
                std::string chunk(64 * 1024, 'x');
                std::string ehlo = "EHLO ";
                co_await p.say(ehlo);
                for (std::size_t sent = 0; sent < 10 * 1024 * 1024; sent += chunk.size())
                    if (!co_await p.say(chunk)) co_return;
                std::string rest = "\r\nQUIT\r\n";
                co_await say_and_listen(p, t, rest);
            });
        });
        CHECK(has(t.replies, "220 "));
        CHECK(count(t.replies, "500 5.5.2 Error: line too long") == 1);
        CHECK(has(t.replies, "221 "));
        CHECK(t.closed);
        if (growth) CHECK(*growth < 8 * 1024);
    }
    SECTION("a command without a line end, then silence: 421 at the idle deadline") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) { return say_and_listen(p, t, "EHLO handset"); });
        CHECK(has(t.replies, "421 4.4.2"));
        CHECK(t.closed);
        CHECK(t.took == idle);
    }
    SECTION("bare LF line ends are accepted (lenient, as Postfix)") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) {
            return say_and_listen(p, t, "EHLO h\nMAIL FROM:<a@carrier.example>\nRCPT TO:<b@isp.example>\nQUIT\n");
        });
        CHECK(has(t.replies, "250 2.1.0 Ok"));
        CHECK(has(t.replies, "250 2.1.5 Ok"));
        CHECK(has(t.replies, "221 "));
    }
    SECTION("binary junk: 500 per line, then 421 too many errors and the connection is closed") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) -> asio::awaitable<void> {
            std::string junk;
            for (int i = 0; i < 100; ++i) junk += std::string("\x16\x03\x01\x00\xff\xfe", 6) + "\r\n";
            co_await say_and_listen(p, t, junk);
        });
        CHECK(has(t.replies, "500 5.5.2"));
        CHECK(has(t.replies, "421 4.7.0"));
        CHECK(t.closed);
        CHECK(count(t.replies, "500 ") == smtp::default_max_errors);  // Postfix's smtpd_hard_error_limit
    }
    SECTION("one byte per second, never a whole line: closed at the deadline of that line") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) -> asio::awaitable<void> {
            std::string first = "E";
            co_await p.say(first);
            for (int i = 0; i < 3600 && !p.broken; ++i) {
                co_await p.pause(1s);
                std::string one = "x";
                if (!co_await p.say(one)) break;
            }
            co_await listen_to_end(p, t);
        });
        CHECK(has(t.replies, "421 4.4.2"));
        CHECK(t.took <= idle + 2s);
    }
    SECTION("a reset in the middle of DATA queues nothing") {
        handset(w, [](RawPeer& p, Talk&) -> asio::awaitable<void> {
            std::string head = "EHLO h\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\nSubject: x\r\n\r\nhalf a message";
            co_await p.say(head);
            while (p.in.find("354 ") == std::string::npos)
                if (!co_await p.read_some()) break;
            p.reset();
        });
        w.loop.settle();
        CHECK(w.relay->idle());
        CHECK(w.recorded.events.empty());
        CHECK(w.received("127.0.0.21").empty());
    }
    SECTION("a half-close in the middle of DATA queues nothing") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) -> asio::awaitable<void> {
            std::string head = "EHLO h\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\nSubject: x\r\n\r\nhalf";
            co_await p.say(head);
            p.half_close();
            co_await listen_to_end(p, t);
        });
        CHECK(t.closed);
        CHECK(has(t.replies, "354 "));
        CHECK_FALSE(has(t.replies, "queued"));
        CHECK(w.relay->idle());
        CHECK(w.recorded.events.empty());
    }
    SECTION("nothing after DATA: 421 at the idle deadline, nothing queued") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) {
            return say_and_listen(p, t, "EHLO h\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\n");
        });
        CHECK(has(t.replies, "354 "));
        CHECK(has(t.replies, "421 4.4.2"));
        CHECK(t.took == idle);
        CHECK(w.relay->idle());
        CHECK(w.recorded.events.empty());
    }
}

TEST_CASE("hostile handsets: oversized messages get 552, too many recipients 452", "[hostile][integration]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}},
                 R"({"limits": {"max_message_size": 65536, "max_recipients": 3}})");

    SECTION("a declared SIZE over the limit: 552 at MAIL") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) {
            return say_and_listen(p, t, "EHLO h\r\nMAIL FROM:<a@carrier.example> SIZE=10000000\r\nQUIT\r\n");
        });
        CHECK(has(t.replies, "552 5.3.4"));
    }
    SECTION("a message over the limit: read to the end, 552, nothing queued") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) -> asio::awaitable<void> {
            std::string head = "EHLO h\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\nSubject: big\r\n\r\n";
            co_await p.say(head);
            std::string lines;
            while (lines.size() < 64 * 1024) lines += std::string(998, 'b') + "\r\n";
            for (int i = 0; i < 4; ++i)
                if (!co_await p.say(lines)) co_return;
            co_await say_and_listen(p, t, ".\r\nQUIT\r\n");
        });
        CHECK(has(t.replies, "552 5.3.4"));
        CHECK_FALSE(has(t.replies, "queued"));
        CHECK(has(t.replies, "221 "));
        CHECK(w.relay->idle());
        CHECK(w.recorded.events.empty());
    }
    SECTION("a fourth recipient: 452, the first three are taken") {
        Talk t = handset(w, [](RawPeer& p, Talk& t) {
            return say_and_listen(p, t,
                                  "EHLO h\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<r1@isp.example>\r\n"
                                  "RCPT TO:<r2@isp.example>\r\nRCPT TO:<r3@isp.example>\r\nRCPT TO:<r4@isp.example>\r\n"
                                  "RSET\r\nQUIT\r\n");
        });
        CHECK(count(t.replies, "250 2.1.5") == 3);
        CHECK(has(t.replies, "452 4.5.3"));
    }
}

TEST_CASE("hostile handsets: a sender built to escape the mailbox directory gets its notice inside it",
          "[hostile][integration]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}});
    const fs::path root = w.dir.path();
    const fs::path mailboxes = root / "mailboxes";

    SECTION("../../x@y and friends, accepted at intake (local_part pass), bounced, notice contained") {
        const std::vector<std::string> senders{"../../x@y", "..@y", "./x@y", "a/../../../b@y", ".@y"};
        for (const auto& from : senders) {
            auto r = w.submit(from, {"user@gone.example"});
            REQUIRE(r.size() == 1);
            CHECK(r[0].delivered());  // the 2009 intake is lenient; the notice is what must be contained
        }
        REQUIRE(w.run_until_idle());
        CHECK(w.recorded.notices().size() == senders.size());
        for (const auto& from : senders) CHECK(w.notice_files(from).size() == 1);
        // Everything the relay wrote is under mailboxes/, one level of mailbox per sender.
        for (const auto& f : files_under(root)) {
            INFO(f);
            CHECK(f.rfind("mailboxes/", 0) == 0);
            CHECK(std::count(f.begin(), f.end(), '/') == 3);  // mailboxes/<box>/new/<file>
        }
        for (const auto& e : fs::directory_iterator(mailboxes)) {
            auto name = e.path().filename().string();
            CHECK(name.front() != '.');
            CHECK(fs::weakly_canonical(e.path()).parent_path() == fs::weakly_canonical(mailboxes));
        }
        CHECK_FALSE(fs::exists(root.parent_path() / "x@y"));
        CHECK_FALSE(fs::exists(root / "x@y"));
    }
    SECTION("local_part reject refuses them at intake with 553 5.1.7 and writes nothing") {
        RelayWorld strict(zone, {{"127.0.0.21", accepting}}, R"({"local_part": "reject"})");
        auto r = strict.submit("../../x@y", {"user@gone.example"});
        REQUIRE(r.size() == 1);
        CHECK(r[0].stage == smtp::Stage::Mail);
        REQUIRE(r[0].reply);
        CHECK(r[0].reply->code == 553);
        REQUIRE(r[0].reply->enhanced);
        CHECK(r[0].reply->enhanced->str() == "5.1.7");
        REQUIRE(strict.run_until_idle());
        CHECK(files_under(strict.dir.path()).empty());
    }
}
