// The verdict on one finding: its failure class, RFC 3463 status and reason, from whatever the
// evidence holds — a reply at a known stage (classified exactly as the gateway does), or a status
// code, a reply or an MTA's words without a stage. nullopt: the evidence says too little to tell.
#pragma once

#include "diagnosis/finding.hpp"
#include "taxonomy/classify.hpp"

#include <optional>

namespace relaylab::diag {

std::optional<gw::Classification> classify_finding(const Finding& f);

// Sisimai's name for a bounce that cannot be explained: "onhold" when the finding holds a reply, a
// status or words that decide nothing, "undefined" when nothing was read. explain --json and
// explain --jsonl / triage say the same.
gw::Reason untold_reason(const Finding& f);

}  // namespace relaylab::diag
