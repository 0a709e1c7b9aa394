// The log lines of the scheduler's concurrency feedback (docs/shaping.md): qmgr's, one per change.
#include "log/journal.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace relaylab;
using namespace std::chrono_literals;

namespace {

const TimePoint at = TimePoint{} + 1'243'850'400s;  // 2009-06-01T10:00Z

gw::DestinationWindow lowered() {
    return {gw::WindowChange{"isp.example", 20, 2, 20, std::nullopt}, "mx1.isp.example[192.0.2.25]",
            "421 4.7.0 Too many concurrent connections"};
}

std::string logged(const gw::GatewayEvent& e, bool json) {
    std::ostringstream out;
    {
        gw::Journal journal(out, json);
        journal.on_event(at, e);
    }
    return out.str();
}

}  // namespace

TEST_CASE("journal: a destination's window change is one qmgr line", "[journal][shaping]") {
    CHECK(logged(lowered(), false) ==
          "2009-06-01T10:00:00.000Z relaylab/qmgr: isp.example: concurrency 20 -> 2 (limit 20): refused by "
          "mx1.isp.example[192.0.2.25]: 421 4.7.0 Too many concurrent connections\n");
    gw::DestinationWindow held = lowered();
    held.change.from = 1;
    held.change.to = 1;
    held.change.held_until = at + 5min;
    CHECK(logged(held, false).find("isp.example: concurrency 1 -> 1 (limit 20), delivery temporarily suspended until "
                                   "2009-06-01T10:05:00.000Z: refused by ") != std::string::npos);
    gw::DestinationWindow raised{gw::WindowChange{"isp.example", 2, 3, 20, std::nullopt}, {}, {}};
    CHECK(logged(raised, false) ==
          "2009-06-01T10:00:00.000Z relaylab/qmgr: isp.example: concurrency 2 -> 3 (limit 20): deliveries succeed\n");
    SECTION("and a JSON line") {
        auto j = nlohmann::json::parse(logged(held, true));
        CHECK(j["event"] == "concurrency");
        CHECK(j["destination"] == "isp.example");
        CHECK(j["from"] == 1);
        CHECK(j["to"] == 1);
        CHECK(j["limit"] == 20);
        CHECK(j["suspended_until"] == "2009-06-01T10:05:00.000Z");
        CHECK(j["refused_by"] == "mx1.isp.example[192.0.2.25]");
        CHECK(j["reply"] == "421 4.7.0 Too many concurrent connections");
        CHECK_FALSE(nlohmann::json::parse(logged(raised, true)).contains("reply"));
    }
}
