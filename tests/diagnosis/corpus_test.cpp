// The labelled corpus (tests/diagnosis/corpus/, docs/corpus.md): every case read as
// `relaylab explain --jsonl` reads it (diag::triage_input, diag::to_json), each recipient set against
// its independent label. Prints the figures and every miss. Targets (issue 11): the cause told for
// ≥ 90% of the recipients whose evidence says enough (label reason not "undefined"), the RFC 3463
// status exact for ≥ 85%, the Sisimai reason equal for ≥ 85%; the output says how far each figure is
// from its target.
#include "diagnosis/batch.hpp"
#include "diagnosis/triage.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace relaylab;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path corpus = CORPUS_DIR;

// Targets from issue 11, asserted as they are: measured on 2026-12-02 over 383 cases / 404 recipients,
// told 99.5%, status 92.1%, reason 94.3% (captured 85.5% / 87.9%, written 97.0% / 99.1%); the misses
// left are listed in docs/corpus.md. A corpus addition that the readers get wrong fails here.
constexpr double told_target = 90.0, status_target = 85.0, reason_target = 85.0;
constexpr double told_floor = told_target, status_floor = status_target, reason_floor = reason_target;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Case {
    fs::path input, label;
};

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const auto& e : fs::recursive_directory_iterator(corpus)) {
        const auto name = e.path().filename().string();
        const std::string suffix = ".expect.json";
        if (!e.is_regular_file() || name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
        const auto stem = name.substr(0, name.size() - suffix.size());
        for (const char* ext : {".eml", ".txt"}) {
            const auto input = e.path().parent_path() / (stem + ext);
            if (fs::exists(input)) out.push_back({input, e.path()});
        }
    }
    std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.input < b.input; });
    return out;
}

std::string field(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string percent(std::size_t part, std::size_t whole) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
    return buf;
}

double ratio(std::size_t part, std::size_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

TEST_CASE("labelled corpus: told, status and reason against the labels", "[diagnosis][corpus]") {
    const auto all = cases();
    REQUIRE(all.size() >= 100);  // the corpus is there: a missing folder must not pass as 100% of nothing

    std::size_t recipients = 0, tellable = 0, told = 0, status_ok = 0, reason_ok = 0;
    std::map<std::string, std::array<std::size_t, 3>> by_origin;  // recipients, status ok, reason ok
    std::ostringstream misses;
    for (const auto& c : all) {
        const auto label = json::parse(slurp(c.label), nullptr, false);
        REQUIRE_FALSE(label.is_discarded());
        diag::BatchInput input{c.input.string(), slurp(c.input), false, {}};
        if (input.text.size() > diag::max_input_octets) {
            input.text.resize(diag::max_input_octets);
            input.truncated = true;
        }
        std::vector<json> got;
        for (const auto& r : diag::triage_input(input, false)) got.push_back(diag::to_json(r));
        std::vector<bool> used(got.size(), false);
        const auto rel = fs::relative(c.input, corpus).string();
        const auto origin = rel.substr(0, rel.find('/'));
        for (const auto& want : label["recipients"]) {
            const auto rcpt = lower(field(want, "recipient"));
            std::optional<std::size_t> at;
            for (std::size_t i = 0; i < got.size() && !at; ++i)
                if (!used[i] && (rcpt.empty() || lower(field(got[i], "recipient")) == rcpt)) at = i;
            const json none = json::object();
            if (at) used[*at] = true;
            const json& g = at ? got[*at] : none;
            const auto want_reason = field(want, "reason"), want_status = field(want, "status");
            const bool can_tell = g.value("can_tell", false);
            const bool s_ok = field(g, "status") == want_status, r_ok = field(g, "reason") == want_reason;
            ++recipients;
            auto& o = by_origin[origin];
            ++o[0];
            if (want_reason != "undefined") {
                ++tellable;
                if (can_tell) ++told;
            }
            if (s_ok) ++status_ok, ++o[1];
            if (r_ok) ++reason_ok, ++o[2];
            if (!s_ok || !r_ok || (!can_tell && want_reason != "undefined"))
                misses << "  " << rel << " " << (rcpt.empty() ? "(no recipient)" : rcpt) << ": want " << want_reason
                       << " " << want_status << ", got " << (at ? field(g, "reason") + " " + field(g, "status") : "no record")
                       << (can_tell ? "" : " (cannot tell)") << (at ? " class=" + field(g, "class") : "") << "\n";
        }
    }
    const double told_pct = ratio(told, tellable), status_pct = ratio(status_ok, recipients),
                 reason_pct = ratio(reason_ok, recipients);
    const auto gap = [](double got, double target) {
        return got >= target ? std::string("target met") : "BELOW TARGET by " + std::to_string(target - got).substr(0, 4) + " points";
    };
    std::cout << "corpus: " << all.size() << " cases, " << recipients << " labelled recipients\n"
              << "  told:   " << told << "/" << tellable << " = " << percent(told, tellable) << " (target "
              << told_target << "%: " << gap(told_pct, told_target) << ")\n"
              << "  status: " << status_ok << "/" << recipients << " = " << percent(status_ok, recipients)
              << " (target " << status_target << "%: " << gap(status_pct, status_target) << ")\n"
              << "  reason: " << reason_ok << "/" << recipients << " = " << percent(reason_ok, recipients)
              << " (target " << reason_target << "%: " << gap(reason_pct, reason_target) << ")\n";
    for (const auto& [origin, o] : by_origin)
        std::cout << "  " << origin << ": " << o[0] << " recipients, status " << percent(o[1], o[0]) << ", reason "
                  << percent(o[2], o[0]) << "\n";
    std::cout << "misses:\n" << misses.str() << std::flush;
    CHECK(told_pct >= told_floor);
    CHECK(status_pct >= status_floor);
    CHECK(reason_pct >= reason_floor);
}
