// Runs one scenario: builds its world (scripted DNS server and remote MTAs on loopback), the live
// gateway (resolver, relay, intake) on the runner's clock, lets handsets submit over SMTP at their
// virtual times, and runs until the relay is idle or the limit passes.
#pragma once

#include "scenarios/run_record.hpp"
#include "scenarios/scenario.hpp"

#include <cstdint>
#include <stdexcept>

namespace relaylab::scn {

// A handset's submission may take this much virtual time (tarpits at intake are not a thing here).
inline constexpr Duration submission_time_limit = std::chrono::hours(1);
// With a real external MTA the run keeps real time; it never lasts longer than this.
inline constexpr Duration real_time_run_limit = std::chrono::minutes(2);
// Attempts at finding one port free on every remote's address (parallel runs pick the same ones).
inline constexpr int port_attempts = 32;
// The first address handed to a remote named without one: 127.0.0.10, .11, ...
inline constexpr unsigned first_assigned_host_octet = 10;
inline constexpr std::size_t max_timeline_entries = 200'000;
// Memory-backed scratch space for a run's mailboxes, used when $TMPDIR is not set (runner.cpp says why).
inline constexpr const char* memory_scratch_dir = "/dev/shm";

struct RunOptions {
    // The relay's random choices (the MX shuffle), for a scenario that pins no "seed" of its own.
    std::uint64_t seed = 1;
};

// The world could not be set up (no free port, an unloadable policy, an address clash).
class RunError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

RunRecord run_scenario(const Scenario& scenario, const RunOptions& options);

// The delivery-status part of a notice file as field → value (unfolded); later fields win.
std::map<std::string, std::string> delivery_status_fields(const std::string& notice);

}  // namespace relaylab::scn
