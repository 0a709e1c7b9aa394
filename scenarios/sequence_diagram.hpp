// A run's timeline as a sequence diagram: lanes (handset, gateway, DNS, each MX host) and one step
// per exchange between them. Read back from the timeline's words (timeline_words.hpp, the smtpclient
// transcript), so that every report face tells the same story; a line it does not know becomes a note
// on the gateway's lane, never an error.
#pragma once

#include "clock/clock.hpp"
#include "scenarios/run_record.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace relaylab::scn {

// Fixed lanes; MX hosts follow from mx_lane_first on, in the order of the scenario's remotes.
inline constexpr std::size_t handset_lane = 0;
inline constexpr std::size_t gateway_lane = 1;
inline constexpr std::size_t dns_lane = 2;
inline constexpr std::size_t mx_lane_first = 3;
// A timeline is already bounded by the runner; a diagram gets no more lanes than this (the rest share one).
inline constexpr std::size_t max_mx_lanes = 16;

struct Lane {
    std::string name;    // "handset", "gateway", "DNS", "mx1.isp.example"
    std::string detail;  // "127.0.0.10" for a host, else empty
};

enum class StepKind {
    Submission,     // handset → gateway: a handset hands in a message
    Intake,         // gateway → handset: the intake's answer per recipient
    Relay,          // note: queued
    DnsQuestion,    // gateway → DNS
    DnsAnswer,      // DNS → gateway (a note on DNS when no reply came)
    MxResult,       // note: the resolver's MX list
    Connect,        // gateway → MX
    ConnectFailed,  // gateway → MX, refused or timed out
    Command,        // C: gateway → MX
    Reply,          // S: MX → gateway (a multi-line reply is one step)
    Session,        // other transcript events: close, timeouts
    Attempt,        // note: the attempt's classification (RFC 3463 status)
    Retry,          // note: classification, and a retry scheduled
    Notice,         // gateway → handset: the notice, its body and delivery-status lines as detail
    Other,
};

// How the step reads at a glance: a 2xx, a 4xx or deferral, a 5xx or bounce.
enum class Tone { Neutral, Good, Temporary, Permanent };

struct SequenceStep {
    TimePoint at{};
    std::size_t from = gateway_lane;
    std::size_t to = gateway_lane;  // == from: a note on that lane
    StepKind kind = StepKind::Other;
    Tone tone = Tone::Neutral;
    std::string label;                // one line
    std::vector<std::string> detail;  // further lines: a reply's continuation, a notice's body
    std::string source;               // the timeline line(s) the step came from, for the step-through
};

struct SequenceDiagram {
    std::vector<Lane> lanes;
    std::vector<SequenceStep> steps;
};

std::string_view to_string(StepKind k);  // "submission", "dns-question", ... (CSS class names)
std::string_view to_string(Tone t);      // "neutral", "good", "temporary", "permanent"

SequenceDiagram sequence_of(const RunRecord& run);

}  // namespace relaylab::scn
