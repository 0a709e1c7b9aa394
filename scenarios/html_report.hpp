// The training face of a run (`relaylab run --html F`): one self-contained HTML page — inline CSS and
// JS, no network, no fonts from the web — holding, for every scenario, a sequence diagram of the
// timeline with step-through controls, the handset's notice as a phone screen (scenarios side by side,
// e.g. legacy-2009 next to accurate), the truthful delivery-status beside it, and the expectations.
// Everything taken from the run is escaped: a scenario is untrusted input. Deterministic: the same run
// gives the same bytes (virtual times only, no real clock).
#pragma once

#include "scenarios/report.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace relaylab::scn {

// Text or attribute value made inert: & < > " ' as references, control characters as spaces.
std::string html_escape(std::string_view s);

std::string html_report(const std::vector<ScenarioReport>& reports);

}  // namespace relaylab::scn
