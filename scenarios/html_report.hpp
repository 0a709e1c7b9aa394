// The training face of a run (`relaylab run --html F`): one self-contained HTML page — inline CSS and
// JS, no network, no fonts from the web — holding, for every scenario, a sequence diagram of the
// timeline with step-through controls, the handset's notice as a phone screen (scenarios side by side,
// e.g. legacy-2009 next to accurate), the truthful delivery-status beside it, and the expectations.
// Everything taken from the run is escaped: a scenario is untrusted input. Deterministic: the same run
// gives the same bytes (virtual times only, no real clock).
#pragma once

#include "scenarios/presenter_words.hpp"
#include "scenarios/report.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::scn {

// Text or attribute value made inert: & < > " ' as references, control characters as spaces.
std::string html_escape(std::string_view s);

std::string html_report(const std::vector<ScenarioReport>& reports);

// The presenter form (`relaylab run --html F --presenter`, docs/training.md): the page for a projector.
struct PresenterOptions {
    Lang lang = Lang::En;
    bool large = false;       // larger type still, for a big room
    int zone_minutes = 0;     // times shown at this offset from UTC (the carrier's time: +540)
};
std::string presenter_report(const std::vector<ScenarioReport>& reports, const PresenterOptions& options);

// A notice's words against the run's truth, as `relaylab audit` judges it (gw::claim_is_true).
struct NoticeJudgement {
    enum class Kind { Truthful, Mislabel, Unknown } kind = Kind::Unknown;
    std::optional<RecipientRecord> truth;  // the failure the notice speaks of, when the run holds it
};
NoticeJudgement judge_notice(const RunRecord& run, const NoticeRecord& n);

// A file name for a page: the scenario file's name without the folders of the machine it ran on.
std::string shown_file_name(std::string_view file);

}  // namespace relaylab::scn
