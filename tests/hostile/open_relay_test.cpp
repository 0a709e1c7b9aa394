// Never an open relay, proven through `relaylab serve` itself: a handset outside intake_allow gets a
// 554 5.7.1 greeting, every command after it 503, and nothing is queued, logged or written; a
// non-loopback bind without intake_allow is refused at start with a clear message. Loopback only.
#include "tests/hostile/hostile_peer.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace relaylab;
using namespace relaylab::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// A config for `relaylab serve` in `dir`: intake on `listen`, DNS on a closed loopback port.
fs::path write_config(const TempDir& dir, const std::string& listen, const nlohmann::json& allow) {
    nlohmann::json c{{"hostname", "relay.test"},
                     {"intake", listen},
                     {"dns_servers", {"127.0.0.1:" + std::to_string(free_port())}},
                     {"mailboxes", (dir.path() / "mailboxes").string()},
                     {"spool", false},  // the working directory is CTest's, shared: keep no queue there
                     {"log", (dir.path() / "relay.log").string()}};
    if (!allow.is_null()) c["intake_allow"] = allow;
    auto path = dir.path() / "gateway.json";
    std::ofstream(path) << c.dump(2);
    return path;
}

// One SMTP exchange on real time: sends `commands` at once, returns what the server said until it
// closed (at most 10 s).
std::string exchange(unsigned short port, const std::string& commands) {
    asio::io_context io;
    RealClock clock;
    std::string said;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            tcp::socket s(io);
            boost::system::error_code ec;
            tcp::endpoint to(asio::ip::make_address("127.0.0.1"), port);
            co_await s.async_connect(to, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            RawPeer p(std::move(s), clock);
            if (auto greeting = co_await p.hear()) said += *greeting;  // speak only after the greeting
            co_await p.say(commands);
            while (auto line = co_await p.hear()) said += *line;
        },
        [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run_for(10s);
    return said;
}

std::string file_text(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("never an open relay: relaylab serve", "[hostile][integration][open-relay]") {
    const std::string binary = relaylab_binary();
    REQUIRE(fs::exists(binary));
    TempDir dir("relaylab-open-relay");
    const std::string submission =
        "EHLO outsider\r\nMAIL FROM:<a@carrier.example>\r\nRCPT TO:<victim@isp.example>\r\nDATA\r\n"
        "Subject: spam\r\n\r\nspam\r\n.\r\nQUIT\r\n";

    SECTION("a connection from outside intake_allow gets 554 5.7.1 and nothing is queued") {
        unsigned short port = free_port();
        auto config = write_config(dir, "127.0.0.1:" + std::to_string(port), nlohmann::json::array({"10.0.0.0/8"}));
        ChildProcess serve({binary, "serve", "--config", config.string()}, dir.path() / "serve.out");
        REQUIRE(wait_for_tcp("127.0.0.1", port));

        std::string said = exchange(port, submission);
        INFO(said);
        CHECK(said.rfind("554 5.7.1 ", 0) == 0);
        CHECK(said.find("not a network allowed to relay") != std::string::npos);
        CHECK(said.find("\r\n250") == std::string::npos);
        CHECK(said.find("354") == std::string::npos);
        CHECK(said.find("503 5.5.1") != std::string::npos);
        CHECK(said.find("221 ") != std::string::npos);

        int status = serve.stop();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        CHECK(serve.log_text().find("stopped (drained; 0 messages still queued") != std::string::npos);
        CHECK(file_text(dir.path() / "relay.log").empty());
        CHECK_FALSE(fs::exists(dir.path() / "mailboxes" / "a@carrier.example"));
    }
    SECTION("the same gateway with loopback in intake_allow takes the message (the control case)") {
        unsigned short port = free_port();
        auto config = write_config(dir, "127.0.0.1:" + std::to_string(port), nlohmann::json::array({"127.0.0.0/8"}));
        ChildProcess serve({binary, "serve", "--config", config.string()}, dir.path() / "serve.out");
        REQUIRE(wait_for_tcp("127.0.0.1", port));
        std::string said = exchange(port, submission);
        INFO(said);
        CHECK(said.rfind("220 ", 0) == 0);
        CHECK(said.find("queued as") != std::string::npos);
        serve.stop();
    }
    SECTION("binding 0.0.0.0 without intake_allow is refused at start, with a clear message") {
        unsigned short port = free_port();
        auto config = write_config(dir, "0.0.0.0:" + std::to_string(port), nullptr);
        std::string output;
        int rc = run_command({binary, "serve", "--config", config.string()}, output, true, 20s);
        INFO(output);
        CHECK(rc != 0);
        CHECK(output.find("is not a loopback address") != std::string::npos);
        CHECK(output.find("intake_allow") != std::string::npos);
        CHECK(output.find("open relay") != std::string::npos);
    }
}
