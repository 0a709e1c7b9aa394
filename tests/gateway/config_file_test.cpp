#include "relay/config.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::gw;
using namespace std::chrono_literals;

TEST_CASE("a gateway config reads every documented key", "[config]") {
    JsonSource src("gw.json", R"({
  "hostname": "relay.docomo.example",
  "intake": "127.0.0.1:2600",
  "dns_servers": ["127.0.0.1:5354"],
  "dns_timeout_ms": 500,
  "dns_tries": 1,
  "mx_port": 2525,
  "policy": "accurate",
  "local_part": "quote",
  "retry": {"min_backoff": "1s", "max_backoff": "10s", "lifetime": "1m", "delay_warning": "30s"},
  "mailboxes": "/tmp/mb"
})");
    auto c = read_config(src);
    CHECK(c.hostname == "relay.docomo.example");
    CHECK(c.dns_servers == std::vector<std::string>{"127.0.0.1:5354"});
    CHECK(c.dns_timeout == Duration(500ms));
    CHECK(c.mx_port == 2525);
    CHECK(c.local_part == "quote");
    CHECK(c.retry.min_backoff == Duration(1s));
    CHECK(c.retry.lifetime == Duration(1min));
    CHECK(c.retry.delay_warning == Duration(30s));
    CHECK(c.mailboxes == "/tmp/mb");
}

TEST_CASE("defaults are Postfix's where Postfix has one", "[config]") {
    auto c = read_config(JsonSource("x", "{}"));
    CHECK(c.retry.min_backoff == Duration(300s));
    CHECK(c.retry.max_backoff == Duration(4000s));
    CHECK(c.retry.lifetime == Duration(120h));
    CHECK_FALSE(c.retry.delay_warning);
    CHECK(c.intake == "127.0.0.1:2600");
    CHECK(c.mx_port == 25);
    SECTION("and they round-trip through the printed form") {
        auto printed = config_to_json(c).dump(2);
        auto again = read_config(JsonSource("printed", printed));
        CHECK(config_to_json(again) == config_to_json(c));
    }
}

TEST_CASE("config errors name the key and its line:col", "[config]") {
    auto error_of = [](const std::string& text) -> std::string {
        try {
            read_config(JsonSource("gw.json", text));
        } catch (const JsonSourceError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(error_of("{\n  \"local_part\": \"escape\"\n}") ==
          "gw.json:2:3: at /local_part: \"escape\" is not one of: pass, quote, reject");
    CHECK(error_of("{\n  \"retry\": {\"lifetme\": \"5d\"}\n}").rfind("gw.json:2:13: at /retry/lifetme: unknown key", 0) == 0);
    CHECK(error_of("{\"retry\": {\"lifetime\": \"five days\"}}").find("not a duration") != std::string::npos);
    CHECK(error_of("{\"dns_servers\": [\"127.0.0.1\"]}") == "gw.json:1:18: at /dns_servers/0: expected \"address:port\"");
    CHECK(error_of("{\"mx_port\": 70000}").find("out of range") != std::string::npos);
    CHECK(error_of("{\"intake\": 2600}") == "gw.json:1:2: at /intake: expected a string");
    // A port of many digits overflowed stoul and threw out_of_range out of the loader (fuzz_scenario).
    CHECK(error_of("{\"intake\": \"a:99999999999999999999999\"}") == "gw.json:1:2: at /intake: expected \"address:port\"");
    CHECK(error_of("{\"dns_servers\": [\"127.0.0.1:000053\"]}") == "gw.json:1:18: at /dns_servers/0: expected \"address:port\"");
    CHECK(error_of("{\"intake\": \"127.0.0.1:65536\"}") == "gw.json:1:2: at /intake: expected \"address:port\"");
}
