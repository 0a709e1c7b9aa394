// `relaylab probe mx|smtp` against a real unbound and Postfix's smtp-sink.
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace relaylab::test;
using nlohmann::json;

namespace {

int run_relaylab(const std::vector<std::string>& args, std::string& out, bool merge = false) {
    std::vector<std::string> argv{relaylab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out, merge, std::chrono::seconds(60));
}

}  // namespace

TEST_CASE("relaylab probe mx prints the ordered MX hosts from a real unbound", "[probe]") {
    UnboundServer dns({
        R"(local-zone: "isp.test." static)",
        R"(local-data: "isp.test. MX 20 mx2.isp.test.")",
        R"(local-data: "isp.test. MX 10 mx1.isp.test.")",
        R"(local-data: "mx1.isp.test. A 127.0.0.21")",
        R"(local-data: "mx2.isp.test. A 127.0.0.22")",
        R"(local-zone: "nullmx.test." static)",
        R"(local-data: "nullmx.test. MX 0 .")",
        R"(local-zone: "gone.test." always_nxdomain)",
    });
    std::string out;
    SECTION("JSON in preference order") {
        REQUIRE(run_relaylab({"probe", "mx", "isp.test", "--dns", dns.address(), "--json"}, out) == 0);
        auto j = json::parse(out);
        CHECK(j["domain"] == "isp.test");
        CHECK(j["status"] == "found");
        REQUIRE(j["hosts"].size() == 2);
        CHECK(j["hosts"][0]["name"] == "mx1.isp.test");
        CHECK(j["hosts"][0]["preference"] == 10);
        CHECK(j["hosts"][0]["addresses"] == json::array({"127.0.0.21"}));
        CHECK(j["hosts"][1]["name"] == "mx2.isp.test");
    }
    SECTION("text") {
        REQUIRE(run_relaylab({"probe", "mx", "isp.test", "--dns", dns.address()}, out) == 0);
        CHECK(out == "isp.test: found\n  10 mx1.isp.test  127.0.0.21\n  20 mx2.isp.test  127.0.0.22\n");
    }
    SECTION("typed failures, exit 1") {
        REQUIRE(run_relaylab({"probe", "mx", "nullmx.test", "--dns", dns.address(), "--json"}, out) == 1);
        CHECK(json::parse(out)["status"] == "null_mx");
        REQUIRE(run_relaylab({"probe", "mx", "gone.test", "--dns", dns.address(), "--json"}, out) == 1);
        CHECK(json::parse(out)["status"] == "nxdomain");
    }
}

TEST_CASE("relaylab probe smtp reports a 553 at MAIL FROM from smtp-sink as stage mail, permanent", "[probe]") {
    SmtpSink sink({"-f", "MAIL", "-B", "553 malformed address"});
    std::string out;
    REQUIRE(run_relaylab({"probe", "smtp", sink.endpoint(), "--from", "q.@docomo.ne.jp", "--to", "user@isp.test",
                      "--to", "other@isp.test", "--json"},
                     out) == 1);
    auto j = json::parse(out);
    CHECK(j["stage"] == "mail");
    CHECK(j["code"] == 553);
    CHECK(j["text"] == "malformed address");
    CHECK(j["permanent"] == true);
    CHECK(j["host"] == sink.endpoint());
    REQUIRE(j["recipients"].size() == 2);
    for (const auto& r : j["recipients"]) {
        CHECK(r["stage"] == "mail");
        CHECK(r["code"] == 553);
    }
    bool sent_raw = false;
    for (const auto& t : j["transcript"])
        if (t["dir"] == "C" && t["text"].get<std::string>().rfind("MAIL FROM:<q.@docomo.ne.jp>", 0) == 0) sent_raw = true;
    CHECK(sent_raw);  // the sender goes out exactly as given
}

TEST_CASE("relaylab probe smtp: accepted mail exits 0 with stage done", "[probe]") {
    SmtpSink sink;
    std::string out;
    REQUIRE(run_relaylab({"probe", "smtp", sink.endpoint(), "--from", "a@docomo.ne.jp", "--to", "b@isp.test", "--json"},
                     out) == 0);
    auto j = json::parse(out);
    CHECK(j["stage"] == "done");
    CHECK(j["code"] == 250);
}

TEST_CASE("relaylab commands explain themselves and refuse bad command lines", "[cli]") {
    std::string out;
    CHECK(run_relaylab({"--help"}, out) == 0);
    for (const char* cmd : {"probe", "serve", "config", "sim-dns", "sim-smtp"}) CHECK(out.find(cmd) != std::string::npos);
    CHECK(run_relaylab({"probe", "mx", "--help"}, out) == 0);
    CHECK(out.find("--dns") != std::string::npos);
    CHECK(run_relaylab({"probe", "smtp", "--help"}, out) == 0);
    CHECK(out.find("--from") != std::string::npos);
    CHECK(run_relaylab({"serve", "--help"}, out) == 0);
    CHECK(run_relaylab({"probe", "mx", "isp.test"}, out, true) == 2);  // no --dns
    CHECK(run_relaylab({"probe", "smtp", "nohost", "--from", "a@b", "--to", "c@d"}, out, true) == 2);
    CHECK(run_relaylab({"probe", "mx", "isp.test", "--dns", "not-an-address"}, out, true) == 2);
    CHECK(run_relaylab({"no-such-command"}, out, true) == 2);
}
