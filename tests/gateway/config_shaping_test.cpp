// The "queue" object's destination shaping keys (docs/shaping.md): defaults for every destination,
// and a destination's own limits, whose missing keys take the defaults.
#include "relay/config.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::gw;

TEST_CASE("config: queue.destinations shape one destination, over the queue's defaults", "[config][shaping]") {
    auto c = read_config(JsonSource("gw.json", R"({"queue": {
  "destination_concurrency": 10, "max_messages_per_session": 50, "max_new_sessions_per_minute": 60,
  "destinations": {
    "DoCoMo.ne.jp.": {"destination_concurrency": 5, "max_messages_per_session": 100, "max_new_sessions_per_minute": 30},
    "ezweb.ne.jp": {"destination_concurrency": 2}
  }}})"));
    const QueueLimits& q = c.queue;
    CHECK(q.max_messages_per_session == 50);
    CHECK(q.max_new_sessions_per_minute == 60);
    REQUIRE(q.destinations.size() == 2);
    const auto docomo = q.for_destination("docomo.ne.jp");  // the key, lower case, without its final dot
    CHECK(docomo.concurrency == 5);
    CHECK(docomo.messages_per_session == 100);
    CHECK(docomo.new_sessions_per_minute == 30);
    const auto ezweb = q.for_destination("ezweb.ne.jp");  // the keys it does not give: the defaults
    CHECK(ezweb.concurrency == 2);
    CHECK(ezweb.messages_per_session == 50);
    CHECK(ezweb.new_sessions_per_minute == 60);
    const auto other = q.for_destination("isp.example");
    CHECK(other.concurrency == 10);
    CHECK(other.messages_per_session == 50);
    CHECK(other.new_sessions_per_minute == 60);
    SECTION("printed, and read back the same") {
        auto printed = config_to_json(c);
        CHECK(printed["queue"]["destinations"]["docomo.ne.jp"]["max_new_sessions_per_minute"] == 30);
        auto again = read_config(JsonSource("printed", printed.dump(2)));
        CHECK(config_to_json(again) == printed);
    }
}

TEST_CASE("config: the shaping defaults are no limits but Postfix's concurrency", "[config][shaping]") {
    auto c = read_config(JsonSource("x", "{}"));
    CHECK(c.queue.destination_concurrency == 20);  // default_destination_concurrency_limit
    CHECK(c.queue.max_messages_per_session == 0);  // smtp_connection_reuse_count_limit = 0
    CHECK(c.queue.max_new_sessions_per_minute == 0);
    CHECK(c.queue.destinations.empty());
    auto printed = config_to_json(c);
    CHECK(printed["queue"]["max_messages_per_session"] == 0);
    CHECK(printed["queue"]["max_new_sessions_per_minute"] == 0);
    CHECK(printed["queue"]["destinations"] == nlohmann::json::object());
}

TEST_CASE("config: shaping errors name the key", "[config][shaping]") {
    auto error_of = [](const std::string& text) -> std::string {
        try {
            read_config(JsonSource("gw.json", text));
        } catch (const JsonSourceError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(error_of(R"({"queue": {"destinations": {"a.example": {"max_sesions": 5}}}})")
              .find("at /queue/destinations/a.example/max_sesions: unknown key") != std::string::npos);
    CHECK(error_of(R"({"queue": {"destinations": {"a.example": {"destination_concurrency": 0}}}})")
              .find("out of range") != std::string::npos);
    CHECK(error_of(R"({"queue": {"destinations": ["a.example"]}})").find("expected an object") != std::string::npos);
    CHECK(error_of(R"({"queue": {"max_new_sessions_per_minute": -1}})").find("out of range") != std::string::npos);
}
