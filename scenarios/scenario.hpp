// A scenario: a small world (DNS zones, remote MTAs), the gateway's configuration, handset
// submissions at virtual times, and expectations. Read from JSON (docs/scenarios.md) by load_scenario.
#pragma once

#include "clock/clock.hpp"
#include "relay/config.hpp"
#include "jsonsource/json_source.hpp"
#include "scenarios/world/dns_zone.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "taxonomy/claim.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::scn {

// 2009-06-01T10:00:00Z: the week of the incident.
inline const TimePoint default_start = TimePoint{} + std::chrono::seconds(1'243'850'400);
// Without an explicit "limit", a run stops this long after the last submission's lifetime ends.
inline constexpr Duration limit_after_lifetime = std::chrono::hours(24);
// Bounds on what a scenario file may ask for (a scenario is small; anything bigger is a mistake).
inline constexpr std::size_t max_submissions = 1000;
inline constexpr std::size_t max_recipients_per_submission = 100;
inline constexpr std::size_t max_remotes = 200;
inline constexpr std::size_t max_expectations = 1000;
// The loader stops after this many mistakes in one file (a file that bad needs its first ones fixed).
inline constexpr std::size_t max_reported_mistakes = 50;

// The one IPv6 loopback address a remote may listen on (docs/ipv6.md).
inline constexpr std::string_view kLoopbackV6 = "::1";

// A remote mail exchanger, by host name.
struct RemoteSpec {
    std::string host;                   // lower case, no trailing dot
    std::optional<std::string> address; // 127.0.0.x or ::1; assigned (127.0.0.x) by the runner when absent
    std::optional<std::string> profile; // postfix, exim, sendmail, opensmtpd, qmail, exchange-2009
    std::optional<std::string> external_ip;  // a real MTA instead of a scripted one
    unsigned short external_port = 0;
    world::MtaScript script;            // the profile merged with the scenario's script
};

struct Submission {
    Duration at{};  // since the scenario's start
    std::string from;
    std::vector<std::string> to;
    std::string subject = "test";
    std::string body = "hello";
};

// Virtual time since the start, inclusive bounds.
struct TimeWindow {
    std::optional<Duration> after;
    std::optional<Duration> before;
    bool contains(Duration d) const { return (!after || d >= *after) && (!before || d <= *before); }
};

enum class ExpectKind { Recipient, Notice, Remote, Handset, NothingLost, Destination };

struct Expectation {
    ExpectKind kind = ExpectKind::Recipient;
    std::string name;     // the JUnit testcase name; generated when the file gives none
    std::string pointer;  // where it sits in the file, "/expect/3"
    std::string subject;  // the recipient, handset or remote host the expectation is about

    // recipient: its final state and the last attempt's truth (of every submission to it, or only
    // those from the handset `from`).
    std::optional<std::string> from;
    std::optional<std::string> status;  // delivered | bounced | expired | refused | pending
    std::optional<unsigned> attempts;
    std::optional<std::string> stage, reply, reply_contains, failure_class, dsn, remote;
    std::optional<TimeWindow> final_at;

    // notice (subject = handset): the n-th notice, or the one for `notice_recipient`.
    std::optional<std::string> notice_recipient;
    std::size_t index = 0;
    std::optional<gw::NoticeKind> notice_kind;
    std::optional<gw::Claim> claims;
    std::optional<std::string> notice_subject, body;
    std::vector<std::string> contains, not_contains;
    std::map<std::string, std::string> delivery_status;  // field → exact value
    std::optional<TimeWindow> notice_at;

    // remote (subject = host): what it received.
    std::optional<std::size_t> connections;
    std::optional<std::string> mail_from;            // every MAIL FROM path, exactly (raw or quoted)
    std::optional<std::vector<std::string>> rcpt_to; // distinct RCPT TO paths, in order

    // handset (subject = handset): how many notices it got.
    std::optional<std::size_t> notices;

    // destination (subject = domain): what the concurrency feedback did to its window.
    std::optional<std::size_t> lowest_concurrency;  // the lowest window set; 0: never lowered
    std::optional<bool> suspended;                   // held at window 1 until the retry time
};

// What a trainer's page (`relaylab run --html --lang L`) says of a scenario in language L.
struct PresenterText {
    std::string title;  // the incident's title
    std::string story;  // a few sentences: what happened, who was told what
};

struct Scenario {
    std::string file;  // as given on the command line
    std::string name;  // "name", or the file's stem
    std::string description;
    std::map<std::string, PresenterText> presenter;  // by language: "en", "ja"
    // The seed of the relay's random choices, when the scenario pins one ("seed"); it wins over
    // `relaylab run --seed`, which seeds the scenarios that pin none (docs/scenarios.md).
    std::optional<std::uint64_t> seed;
    TimePoint start = default_start;
    std::optional<Duration> limit;  // virtual time from the start
    world::DnsZone zone;
    std::vector<RemoteSpec> remotes;  // sorted by host
    gw::GatewayConfig gateway;
    std::vector<Submission> submissions;  // sorted by time (stable)
    std::vector<Expectation> expectations;

    bool has_external() const;
};

// Every mistake found in one scenario file, in file order. The base is the first mistake; what() names
// them all, one "file:line:col: key: message" a line.
class ScenarioErrors : public JsonSourceError {
public:
    explicit ScenarioErrors(std::vector<JsonSourceError> mistakes);  // not empty
    const char* what() const noexcept override { return text_.c_str(); }
    const std::vector<JsonSourceError>& mistakes() const { return mistakes_; }

private:
    ScenarioErrors(std::vector<JsonSourceError> sorted, int);
    std::vector<JsonSourceError> mistakes_;
    std::string text_;
};

// Reads a scenario. Throws ScenarioErrors naming every mistake ("file:line:col: key: message"),
// including unknown keys, bad durations, unknown profiles, scripts that do not parse and values
// outside their set (stage, kind, status, class, claims); a syntax error alone is a JsonSourceError.
Scenario load_scenario(const std::filesystem::path& file);
Scenario parse_scenario(const JsonSource& source);

// The names of the shipped remote-MTA profiles (scenarios/profiles/*.json).
std::vector<std::string> profile_names();
// A profile's script JSON with ${hostname} filled in; nullopt for an unknown name.
std::optional<nlohmann::json> profile_script(const std::string& name, const std::string& hostname);

}  // namespace relaylab::scn
