// A scenario file (docs/scenarios.md) that reproduces what a bounce or log line reports: a DNS zone,
// a scripted remote answering that reply at that stage, the submission, and expectations of the
// truth, the handset's notice included. The scenario is checked by `relaylab run`, which is how a
// reproduction proves itself.
// Never invents silently: every value the evidence does not give (the sender, the MX host, the retry
// schedule, the year of a syslog time stamp…) is listed in the scenario's "made_up" array, and no
// expectation or script choice rests on one (an invented sender is never judged by its local part).
#pragma once

#include "diagnosis/finding.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// A value the scenario needed and the evidence did not give.
struct MadeUp {
    std::string field;  // where it is in the scenario: "submissions[0].from", "start", ...
    std::string value;  // what was put there
    std::string why;    // "the log line names no sender"
};

// When the evidence happened, as the scenario's "start" ("2009-06-01T10:00:00Z"): a Date: header
// (RFC 5322 §3.3, converted to UTC), an ISO time stamp at a line's start (Exim, RFC 5424 syslog,
// JSON "time"), or a BSD syslog stamp ("Jun  1 10:00:00", which has no year). nullopt: no date.
// What had to be assumed (the year, the time zone) is added to made_up.
std::optional<std::string> start_of(std::string_view input, std::vector<MadeUp>& made_up);

// nullopt when the finding says too little to reproduce (the same "cannot tell" as explain).
// `input` is the text the finding was read from (for its date and the scenario's unique name).
std::optional<nlohmann::json> scenario_from_finding(const Finding& f, std::string_view input = {});

}  // namespace relaylab::diag
