// A whole relay in one process on virtual time: the scripted DNS and remote MTAs on loopback
// sockets, the real resolver, relay and intake, and a handset that submits over real SMTP.
#pragma once

#include "clock/timer.hpp"
#include "relay/config.hpp"
#include "intake/intake.hpp"
#include "bounce/maildir.hpp"
#include "relay/relay.hpp"
#include "relay/setup.hpp"
#include "bounce/shipped_policies.hpp"
#include "queue/spool.hpp"
#include "resolver/resolver.hpp"
#include "scenarios/virtual_loop.hpp"
#include "scenarios/world/dns_server.hpp"
#include "scenarios/world/dns_zone.hpp"
#include "scenarios/world/smtp_mta.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "smtpclient/client.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

namespace relaylab::test {

inline const TimePoint world_start = TimePoint{} + std::chrono::seconds(1'243'850'400);  // 2009-06-01T10:00Z

struct RecordedEvents final : gw::EventSink {
    std::vector<std::pair<TimePoint, gw::GatewayEvent>> events;
    void on_event(TimePoint at, const gw::GatewayEvent& e) override { events.emplace_back(at, e); }
    std::vector<gw::AttemptResult> attempts() const {
        std::vector<gw::AttemptResult> out;
        for (const auto& [at, e] : events)
            if (auto* a = std::get_if<gw::AttemptResult>(&e)) out.push_back(*a);
        return out;
    }
    std::vector<gw::NoticeWritten> notices() const {
        std::vector<gw::NoticeWritten> out;
        for (const auto& [at, e] : events)
            if (auto* n = std::get_if<gw::NoticeWritten>(&e)) out.push_back(*n);
        return out;
    }
};

class RelayWorld {
public:
    // `mtas`: listen address → script JSON. All MTAs share one port (the gateway's mx_port).
    // `gateway`: a gateway config object (JSON text); dns_servers, mx_port and mailboxes are set here.
    RelayWorld(const std::string& zone_json, const std::map<std::string, std::string>& mtas,
               const std::string& gateway_json = "{}")
        : clock(world_start), loop(io, clock) {
        auto zone = world::DnsZone::parse(zone_json);
        if (auto* err = std::get_if<world::DnsZoneError>(&zone)) throw std::runtime_error(world::to_string(*err));
        dns = std::make_unique<world::DnsServer>(io.get_executor(), clock, std::get<world::DnsZone>(std::move(zone)),
                                                 boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        mx_port = free_port("127.0.0.1");
        for (const auto& [ip, text] : mtas) {
            auto script = world::parse_mta_script(text);
            if (auto* err = std::get_if<world::MtaScriptError>(&script)) throw std::runtime_error(err->str());
            remotes[ip] = std::make_unique<world::ScriptedMta>(io.get_executor(), clock,
                                                               std::get<world::MtaScript>(std::move(script)), ip, mx_port);
        }
        auto j = nlohmann::json::parse(gateway_json);
        j["dns_servers"] = {"127.0.0.1:" + std::to_string(dns->port())};
        j["mx_port"] = mx_port;
        j["mailboxes"] = (dir.path() / "mailboxes").string();
        if (!j.contains("dns_timeout_ms")) j["dns_timeout_ms"] = 1000;
        config = gw::read_config(JsonSource("gateway", j.dump()));
        auto policy = gw::load_named_policy(config.policy);
        if (!policy) throw std::runtime_error(policy.error().message());
        resolver = std::make_unique<dns::Resolver>(io.get_executor(), clock, gw::resolver_config(config));
        relay = std::make_unique<gw::Relay>(io.get_executor(), clock, *resolver, gw::relay_settings(config),
                                            std::move(policy).value(), rng, &recorded);
        intake = std::make_unique<gw::Intake>(io.get_executor(), clock, *relay, gw::intake_settings(config, "127.0.0.1"),
                                              "127.0.0.1", 0);
        relay->start();
    }

    ~RelayWorld() {
        intake->stop();
        relay->stop();
        for (auto& [ip, m] : remotes) m->stop();
        dns->stop();
        loop.settle();
    }

    // A handset submits over SMTP; returns the per-recipient outcomes at intake.
    std::vector<smtp::RecipientOutcome> submit(const std::string& from, const std::vector<std::string>& to,
                                               const std::string& subject = "test") {
        smtp::Message msg{from, to, "From: <" + from + ">\r\nTo: <" + to.front() + ">\r\nSubject: " + subject +
                                        "\r\nMessage-ID: <" + std::to_string(++submitted) + "@handset>\r\n\r\nhello\r\n"};
        std::optional<std::vector<smtp::RecipientOutcome>> result;
        boost::asio::co_spawn(io, submit_one(msg), [&](std::exception_ptr e, std::vector<smtp::RecipientOutcome> r) {
            if (e) std::rethrow_exception(e);
            result = std::move(r);
        });
        loop.run_until([&] { return result.has_value(); }, clock.now() + std::chrono::hours(1));
        if (!result) throw std::runtime_error("submission did not finish");
        return *result;
    }

    // Runs virtual time until the relay is idle (or `limit` of virtual time passes).
    bool run_until_idle(Duration limit = std::chrono::hours(24 * 6)) {
        return loop.run_until([&] { return relay->idle(); }, clock.now() + limit);
    }

    // The handset's notices (file contents), oldest first.
    std::vector<std::string> notice_files(const std::string& handset) const {
        std::vector<std::string> out;
        auto dirpath = dir.path() / "mailboxes" / gw::mailbox_directory_name(handset) / "new";
        if (!std::filesystem::exists(dirpath)) return out;
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(dirpath)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            out.push_back(ss.str());
        }
        return out;
    }

    std::vector<world::ReceivedConnection> received(const std::string& ip) const { return remotes.at(ip)->received(); }

    // Replaces the relay and intake by ones on `spool` (a restart: the new relay recovers what the
    // spool holds). `process_id` keeps the notices of two runs from sharing a Maildir name.
    // `before_start` runs after the new relay exists and before it starts.
    void restart_on(gw::Spool& spool, std::optional<long> process_id = std::nullopt,
                    const std::function<void(gw::Relay&)>& before_start = {}) {
        intake->stop();
        relay->stop();
        loop.settle();
        intake.reset();
        relay.reset();
        auto policy = gw::load_named_policy(config.policy);
        auto settings = gw::relay_settings(config);
        if (process_id) settings.process_id = *process_id;
        relay = std::make_unique<gw::Relay>(io.get_executor(), clock, *resolver, settings, std::move(policy).value(), rng,
                                            &recorded);
        relay->recover(spool);
        intake = std::make_unique<gw::Intake>(io.get_executor(), clock, *relay, gw::intake_settings(config, "127.0.0.1"),
                                              "127.0.0.1", 0);
        if (before_start) before_start(*relay);
        relay->start();
    }

    boost::asio::io_context io;
    VirtualClock clock;
    scn::VirtualLoop loop;
    TempDir dir{"relaylab-relay"};
    std::mt19937_64 rng{1};
    unsigned short mx_port = 0;
    std::unique_ptr<world::DnsServer> dns;
    std::map<std::string, std::unique_ptr<world::ScriptedMta>> remotes;
    gw::GatewayConfig config;
    std::unique_ptr<dns::Resolver> resolver;
    RecordedEvents recorded;
    std::unique_ptr<gw::Relay> relay;
    std::unique_ptr<gw::Intake> intake;
    int submitted = 0;

private:
    boost::asio::awaitable<std::vector<smtp::RecipientOutcome>> submit_one(smtp::Message msg) {
        // Named values, not temporaries, in co_await expressions: g++ 12 can destroy an aggregate
        // temporary argument of a coroutine call twice.
        smtp::ClientConfig cfg;
        smtp::Client client(io.get_executor(), clock, cfg);
        smtp::Remote remote{"relay", "127.0.0.1", intake->port()};
        co_await client.open(remote);
        auto r = co_await client.send(std::move(msg));
        co_await client.quit();
        co_return r;
    }
};

}  // namespace relaylab::test
