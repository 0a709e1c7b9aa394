// A scenario file (docs/scenarios.md) that reproduces what a bounce or log line reports: a DNS zone,
// a scripted remote answering that reply at that stage, the submission, and expectations of the
// truth. The scenario is checked by `relaylab run`, which is how a reproduction proves itself.
#pragma once

#include "diagnosis/finding.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace relaylab::diag {

// nullopt when the finding says too little to reproduce (the same "cannot tell" as explain).
std::optional<nlohmann::json> scenario_from_finding(const Finding& f);

}  // namespace relaylab::diag
