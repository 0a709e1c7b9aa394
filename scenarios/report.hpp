// The three faces of a run: a readable text timeline with PASS/FAIL lines, a full JSON report, and
// JUnit XML for CI systems (one testsuite per scenario with its timeline as system-out, one testcase
// per expectation; a scenario that could not be loaded or run is an <error>).
#pragma once

#include "scenarios/expectations.hpp"
#include "scenarios/run_record.hpp"
#include "scenarios/scenario.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::scn {

struct ScenarioReport {
    std::string file;
    std::string name;
    std::string description;
    std::optional<std::string> error;  // the scenario could not be loaded or run: counts as one failure
    RunRecord run;
    std::vector<ExpectationResult> results;
    // Wall-clock time to load, run and check it: only the JUnit report shows it (CI tools sort and
    // split suites by it), so that every other report stays the same byte for byte.
    double seconds = 0;
    std::map<std::string, PresenterText> presenter{};  // the scenario's "presenter" texts, by language

    std::size_t passed() const;
    std::size_t failed() const;  // failed expectations, or 1 for an error
};

// The scenario's timeline and its PASS/FAIL lines (no summary line).
std::string text_report(const ScenarioReport& r);
// --quiet: the PASS/FAIL lines, each FAIL with its reasons, and an ERROR line for a scenario that
// could not be loaded or run.
std::string quiet_report(const ScenarioReport& r);
// "N passed, N failed" over every expectation of every scenario.
std::string summary_line(const std::vector<ScenarioReport>& reports);
nlohmann::json json_report(const std::vector<ScenarioReport>& reports);
std::string junit_report(const std::vector<ScenarioReport>& reports);

}  // namespace relaylab::scn
