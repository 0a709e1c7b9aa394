// `relaylab run` as users run it: every library scenario twice (byte-identical reports), a real
// external MTA (Postfix's smtp-sink) in real time, and a failing expectation's exit status.
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace relaylab::test;

namespace {

std::filesystem::path library_dir() { return RELAYLAB_LIBRARY_DIR; }

int run_relaylab(const std::vector<std::string>& args, std::string& out) {
    std::vector<std::string> argv{relaylab_binary(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out, false, std::chrono::seconds(100));
}

void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

}  // namespace

TEST_CASE("every library scenario gives the same report byte for byte on a second run", "[run]") {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(library_dir()))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 20);
    TempDir dir("relaylab-scn-twice");
    for (const auto& f : files) {
        INFO(f);
        std::string out1, out2;
        std::vector<std::string> a1{"--json", (dir.path() / "1.json").string(), "--junit", (dir.path() / "1.xml").string(), f};
        std::vector<std::string> a2{"--json", (dir.path() / "2.json").string(), "--junit", (dir.path() / "2.xml").string(), f};
        CHECK(run_relaylab(a1, out1) == 0);
        CHECK(run_relaylab(a2, out2) == 0);
        CHECK(out1 == out2);
        CHECK(read_file(dir.path() / "1.json") == read_file(dir.path() / "2.json"));
        // JUnit's time attributes are wall-clock seconds; everything else is the same.
        auto untimed = [](const std::string& xml) { return std::regex_replace(xml, std::regex(R"( time="[0-9.]+")"), ""); };
        CHECK(untimed(read_file(dir.path() / "1.xml")) == untimed(read_file(dir.path() / "2.xml")));
        CHECK(out1.find(" 0 failed\n") != std::string::npos);
    }
}

TEST_CASE("a different seed may change the MX shuffle, the same seed never does", "[run]") {
    // The library's scenario pins seed 1; a copy without it takes --seed.
    TempDir dir("relaylab-scn-seed");
    std::string text = read_file(library_dir() / "mx-shuffle-seed.json");
    const std::string pin = "  \"seed\": 1,\n";
    REQUIRE(text.find(pin) != std::string::npos);
    text.erase(text.find(pin), pin.size());
    auto f = (dir.path() / "mx-shuffle.json").string();
    write(f, text);
    std::string a, b;
    REQUIRE(run_relaylab({"--seed", "1", f}, a) == 0);
    REQUIRE(run_relaylab({"--seed", "1", f}, b) == 0);
    CHECK(a == b);
    std::string c;
    CHECK(run_relaylab({"--seed", "2", f}, c) == 1);
    CHECK(c.find("remote: expected \"mxb.isp.example\", got \"mxa.isp.example\"") != std::string::npos);
}

TEST_CASE("a failed expectation fails the run with exit 1 and a FAIL line", "[run]") {
    TempDir dir("relaylab-scn-fail");
    auto f = dir.path() / "wrong.json";
    write(f, R"({"world": {"dns": {"names": {}}}, "submissions": [{"from": "a@docomo.ne.jp", "to": "b@nowhere.example"}],
  "expect": [{"recipient": "b@nowhere.example", "status": "delivered"}, {"nothing_lost": true}]})");
    std::string out;
    CHECK(run_relaylab({f.string()}, out) == 1);
    CHECK(out.find("FAIL 1: recipient b@nowhere.example\n       status: expected \"delivered\", got \"bounced\"") !=
          std::string::npos);
    CHECK(out.substr(out.size() - std::string("1 passed, 1 failed\n").size()) == "1 passed, 1 failed\n");
}

TEST_CASE("a bad scenario file exits 2 and names file:line:col", "[run]") {
    TempDir dir("relaylab-scn-bad");
    auto f = dir.path() / "bad.json";
    write(f, "{\"world\": {},\n \"submisions\": []}");
    std::string out;
    std::vector<std::string> argv{relaylab_binary(), "run", f.string()};
    CHECK(run_command(argv, out, true) == 2);
    CHECK(out.find(f.string() + ":2:2:") != std::string::npos);
    CHECK(out.find("0 passed, 1 failed") != std::string::npos);
}

TEST_CASE("a remote may be a real MTA: Postfix's smtp-sink, in real time, reported as not deterministic", "[run]") {
    require_program("/usr/sbin/smtp-sink", "postfix");
    TempDir dir("relaylab-scn-external");
    auto port = free_port("127.0.0.1");
    std::vector<std::string> argv{"/usr/sbin/smtp-sink"};
    if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
    argv.insert(argv.end(), {"-f", "MAIL", "-B", "553 malformed address", "127.0.0.1:" + std::to_string(port), "10"});
    ChildProcess sink(argv, dir.path() / "sink.log");
    REQUIRE(wait_for_tcp("127.0.0.1", port));
    auto f = dir.path() / "external.json";
    write(f, R"({"world": {"dns": {"names": {"isp.example": {"mx": [{"preference": 10, "host": "mx.isp.example"}]}}},
             "remotes": {"mx.isp.example": {"external": "127.0.0.1:)" + std::to_string(port) + R"("}}},
  "gateway": {"policy": "legacy-2009"},
  "submissions": [{"from": "q.@docomo.ne.jp", "to": "user@isp.example"}],
  "expect": [{"recipient": "user@isp.example", "status": "bounced", "stage": "mail", "reply": "553 malformed address", "dsn": "5.1.7"},
             {"notice": "q.@docomo.ne.jp", "claims": "host_unknown", "contains": "Host Unknown"},
             {"nothing_lost": true}]})");
    std::string out;
    CHECK(run_relaylab({f.string()}, out) == 0);
    CHECK(out.find("REAL TIME") != std::string::npos);
    CHECK(out.find("S: 553 malformed address") != std::string::npos);
    CHECK(out.find("3 passed, 0 failed") != std::string::npos);
}

TEST_CASE("IPv6 in the scenario world: the refused ::1 address is tried first, and inet_protocols ipv4 skips it",
          "[run][ipv6]") {
    require(loopback_v6_available(), "the IPv6 loopback address ::1");
    std::string out;
    SECTION("ipv6-refused-ipv4-delivers: ::1 refused, then 127.0.0.10 delivers, one attempt") {
        REQUIRE(run_relaylab({(library_dir() / "ipv6-refused-ipv4-delivers.json").string()}, out) == 0);
        INFO(out);
        const auto refused = out.find("*: connect to mx1.isp.example[::1] failed: connect_refused\n");
        const auto connected = out.find("*: connected to mx1.isp.example[127.0.0.10]\n");
        REQUIRE(refused != std::string::npos);
        REQUIRE(connected != std::string::npos);
        CHECK(refused < connected);
        CHECK(out.find("mx: isp.example found: 10 mx1.isp.example [::1] [127.0.0.10]\n") != std::string::npos);
    }
    SECTION("ipv6-only-delivered: connected over ::1") {
        REQUIRE(run_relaylab({(library_dir() / "ipv6-only-delivered.json").string()}, out) == 0);
        INFO(out);
        CHECK(out.find("*: connected to mx1.isp.example[::1]\n") != std::string::npos);
        CHECK(out.find("delivered by mx1.isp.example[::1]") != std::string::npos);
    }
    SECTION("the same world with inet_protocols ipv4: no AAAA question, no IPv6 connection") {
        TempDir dir("relaylab-scn-ipv4");
        auto scenario = nlohmann::json::parse(read_file(library_dir() / "ipv6-refused-ipv4-delivers.json"));
        scenario["gateway"]["inet_protocols"] = "ipv4";
        write(dir.path() / "ipv4.json", scenario.dump(2));
        REQUIRE(run_relaylab({(dir.path() / "ipv4.json").string()}, out) == 0);
        INFO(out);
        CHECK(out.find("mx1.isp.example AAAA") == std::string::npos);
        CHECK(out.find("[::1]") == std::string::npos);
        CHECK(out.find("*: connected to mx1.isp.example[127.0.0.10]\n") != std::string::npos);
    }
}
