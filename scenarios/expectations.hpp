// Checks a scenario's expectations against what a run recorded. Each expectation passes only when
// every check in it holds; a failure says what was expected and what happened.
#pragma once

#include "scenarios/run_record.hpp"
#include "scenarios/scenario.hpp"

#include <string>
#include <vector>

namespace relaylab::scn {

struct ExpectationResult {
    std::string name;
    std::string pointer;  // where it sits in the scenario file
    bool passed = true;
    std::vector<std::string> failures;  // one line per check that did not hold
};

std::vector<ExpectationResult> check_expectations(const Scenario& scenario, const RunRecord& run);

}  // namespace relaylab::scn
