// A relay restarted on the same spool resumes where it stopped: in one process, on virtual time,
// with the scripted DNS and remote MTA of tests/gateway/relay_world.hpp. The first relay is
// dropped without any shutdown work, as kill -9 would leave it.
#include "tests/gateway/relay_world.hpp"

#include "queue/spool.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::test;
using namespace std::chrono_literals;

namespace {

const std::string zone = R"({ "names": {
  "isp.example":      { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ] },
  "mx1.isp.example":  { "a": ["127.0.0.21"] },
  "healing.example":  { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ],
                        "schedule": [ {"from": "0s", "until": "30m", "behaviour": "servfail"} ] }
} })";
const std::string accepting = R"({ "hostname": "mx1.isp.example" })";
const std::string retry = R"({"retry": {"min_backoff": "10m", "max_backoff": "1h", "lifetime": "5d"}})";

}  // namespace

TEST_CASE("a restarted relay resumes deferred recipients at their due time", "[spool]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}}, retry);
    TempDir spool_dir("relaylab-spool");
    auto first = gw::Spool::open(spool_dir.path());
    REQUIRE(first);
    w.restart_on(**first, 1);

    auto at_intake = w.submit("alice@docomo.ne.jp", {"bob@healing.example", "carol@isp.example"});
    REQUIRE(at_intake.size() == 2);
    // The first attempts: carol is delivered, bob deferred (SERVFAIL) to +10m.
    REQUIRE(w.loop.run_until([&] { return w.recorded.attempts().size() == 2; }, w.clock.now() + 1min));
    CHECK(w.received("127.0.0.21").size() == 1);
    CHECK((*first)->durable() >= 1);

    // "kill -9": the relay and its spool vanish; nothing is written on the way out.
    const TimePoint crash = w.clock.now();
    first->reset();
    auto second = gw::Spool::open(spool_dir.path());
    REQUIRE(second);
    const auto& recovered = (*second)->recovered();

    SECTION("the spool holds the message with bob waiting and carol done") {
        REQUIRE(recovered.live.size() == 1);
        const auto& m = recovered.live.begin()->second.message;
        CHECK(m.recipients[0].state == gw::RecipientState::Waiting);
        CHECK(m.recipients[0].due == world_start + 10min);
        CHECK(m.recipients[1].state == gw::RecipientState::Delivered);
    }

    SECTION("the new relay tries bob at +10m and +30m, delivers, and never re-sends to carol") {
        w.restart_on(**second, 2);
        auto before = w.recorded.attempts().size();
        REQUIRE(w.run_until_idle());
        auto attempts = w.recorded.attempts();
        REQUIRE(attempts.size() == before + 2);
        CHECK(attempts[before].disposition == gw::Disposition::Deferred);
        CHECK(attempts[before].outcome.outcome.recipient == "bob@healing.example");
        CHECK(attempts.back().disposition == gw::Disposition::Delivered);
        CHECK(w.clock.now() == world_start + 30min);
        CHECK(crash < world_start + 10min);
        CHECK(w.received("127.0.0.21").size() == 2);  // carol once, bob once
        CHECK(w.relay->interrupted_attempts() == 0);
        // Finished: the next open finds nothing live, and new ids continue after the old ones.
        second->reset();
        auto third = gw::Spool::open(spool_dir.path());
        CHECK((*third)->recovered().live.empty());
        CHECK((*third)->recovered().max_id >= 1);
    }

    SECTION("new submissions after the restart get fresh queue ids") {
        w.restart_on(**second, 2);
        auto old_id = recovered.live.begin()->first;
        w.submit("alice@docomo.ne.jp", {"dave@isp.example"});
        gw::MessageId newest = 0;
        for (const auto& [at, e] : w.recorded.events)
            if (auto* acc = std::get_if<gw::MessageAccepted>(&e)) newest = acc->id;
        CHECK(newest > old_id);
        REQUIRE(w.run_until_idle());
        CHECK(w.relay->queue().messages() == 0);
        CHECK(w.received("127.0.0.21").size() == 3);
    }
}

TEST_CASE("an attempt cut short by a crash is retried at once and counted", "[spool]") {
    RelayWorld w(zone, {{"127.0.0.21", accepting}}, retry);
    TempDir spool_dir("relaylab-spool");
    {
        // The state a crash mid-delivery leaves: accepted, attempt started, no result.
        auto opened = gw::Spool::open(spool_dir.path());
        gw::QueuedMessage m;
        m.id = 41;
        m.arrival = w.clock.now();
        m.envelope = gw::Envelope{"alice@docomo.ne.jp", {"bob@isp.example"}};
        m.content = "Subject: x\r\n\r\nx\r\n";
        gw::QueuedRecipient r;
        r.address = "bob@isp.example";
        r.domain = "isp.example";
        r.due = m.arrival;
        m.recipients.push_back(r);
        (*opened)->append_message(m);
        (*opened)->append_event(41, gw::SpoolEvent{gw::SpoolEventKind::AttemptStarted, m.arrival, 0, 0, {}});
    }
    auto opened = gw::Spool::open(spool_dir.path());
    w.restart_on(**opened, 3);
    CHECK(w.relay->interrupted_attempts() == 1);
    REQUIRE(w.run_until_idle(1h));
    CHECK(w.received("127.0.0.21").size() == 1);
    CHECK(w.clock.now() == world_start);  // due at once
    SECTION("and the next message gets id 42") {
        auto ok = w.submit("alice@docomo.ne.jp", {"bob@isp.example"});
        REQUIRE(w.run_until_idle(1h));
        auto accepted = std::find_if(w.recorded.events.rbegin(), w.recorded.events.rend(), [](const auto& e) {
            return std::holds_alternative<gw::MessageAccepted>(e.second);
        });
        REQUIRE(accepted != w.recorded.events.rend());
        CHECK(std::get<gw::MessageAccepted>(accepted->second).id == 42);
    }
}
