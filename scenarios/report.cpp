#include "scenarios/report.hpp"

#include "clock/duration.hpp"
#include "scenarios/timeline_words.hpp"

#include <cstdio>
#include <numeric>

namespace relaylab::scn {

using nlohmann::json;

std::size_t ScenarioReport::passed() const {
    if (error) return 0;
    return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](const auto& r) { return r.passed; }));
}

std::size_t ScenarioReport::failed() const {
    if (error) return 1;
    return results.size() - passed();
}

std::string text_report(const ScenarioReport& r) {
    std::string s = "=== " + r.name + " (" + r.file + ")\n";
    if (!r.description.empty()) s += "    " + r.description + "\n";
    if (r.error) return s + "ERROR " + *r.error + "\n";
    const RunRecord& run = r.run;
    s += "    seed " + std::to_string(run.seed) + (run.seed_pinned ? " (the scenario's)" : "") + ", start " + format_time(run.start) +
         (run.deterministic ? ", virtual time\n" : ", REAL TIME (an external MTA took part): not deterministic\n");
    for (const auto& e : run.timeline) {
        std::string off = offset_text(e.at, run.start);
        off.resize(std::max<std::size_t>(off.size(), 9), ' ');
        s += off + " " + e.text + "\n";
    }
    s += "--- end at " + offset_text(run.end, run.start) + (run.finished ? ", relay idle\n" : ", LIMIT REACHED, relay not idle\n");
    for (const auto& rr : run.recipients) {
        s += "    " + rr.address + ": " + rr.status + " after " + std::to_string(rr.attempts) + " attempt(s)";
        if (rr.failure_class && rr.status != "delivered") s += ", " + *rr.failure_class + " " + rr.dsn.value_or("");
        s += "\n";
    }
    for (const auto& x : r.results) {
        s += (x.passed ? "PASS " : "FAIL ") + x.name + "\n";
        for (const auto& f : x.failures) s += "       " + f + "\n";
    }
    return s;
}

std::string summary_line(const std::vector<ScenarioReport>& reports) {
    std::size_t p = 0, f = 0;
    for (const auto& r : reports) {
        p += r.passed();
        f += r.failed();
    }
    return std::to_string(p) + " passed, " + std::to_string(f) + " failed";
}

namespace {

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json run_json(const RunRecord& run) {
    json j;
    j["seed"] = run.seed;
    j["seed_pinned"] = run.seed_pinned;
    j["deterministic"] = run.deterministic;
    j["start"] = format_time(run.start);
    j["end"] = offset_text(run.end, run.start);
    j["finished"] = run.finished;
    j["timeline"] = json::array();
    for (const auto& e : run.timeline) j["timeline"].push_back({{"at", offset_text(e.at, run.start)}, {"text", e.text}});
    j["recipients"] = json::array();
    for (const auto& r : run.recipients)
        j["recipients"].push_back({{"submission", r.submission}, {"address", r.address}, {"status", r.status},
                                   {"attempts", r.attempts}, {"stage", opt(r.stage)}, {"reply", opt(r.reply)},
                                   {"class", opt(r.failure_class)}, {"dsn", opt(r.dsn)}, {"remote", opt(r.remote)},
                                   {"final_at", r.final_at ? json(offset_text(*r.final_at, run.start)) : json(nullptr)}});
    j["notices"] = json::array();
    for (const auto& n : run.notices)
        j["notices"].push_back({{"at", offset_text(n.at, run.start)}, {"handset", n.handset}, {"kind", gw::to_string(n.kind)},
                                {"claims", gw::to_string(n.claims)}, {"subject", n.subject}, {"body", n.body}, {"file", n.file},
                                {"final_recipient", n.final_recipient}, {"delivery_status", n.delivery_status}});
    j["remotes"] = json::array();
    for (const auto& r : run.remotes) {
        json t = json::array();
        for (const auto& x : r.transactions) t.push_back({{"mail_from", x.mail_from}, {"rcpt_to", x.rcpt_to}, {"message", x.message}});
        j["remotes"].push_back({{"host", r.host}, {"ip", r.ip}, {"external", r.external}, {"connections", r.connections},
                                {"transactions", t}});
    }
    return j;
}

// For an attribute; element content (`text`) keeps its line breaks, so a timeline reads as text in CI.
std::string xml_escape(const std::string& s, bool text = false) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\n': out += text ? "\n" : "&#10;"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t') out += ' ';  // not allowed in XML 1.0
            else out += c;
        }
    }
    return out;
}

}  // namespace

json json_report(const std::vector<ScenarioReport>& reports) {
    json j;
    j["scenarios"] = json::array();
    std::size_t p = 0, f = 0;
    for (const auto& r : reports) {
        json s{{"file", r.file}, {"name", r.name}, {"description", r.description}, {"passed", r.passed()}, {"failed", r.failed()}};
        if (r.error) s["error"] = *r.error;
        else s["run"] = run_json(r.run);
        s["expectations"] = json::array();
        for (const auto& x : r.results)
            s["expectations"].push_back({{"name", x.name}, {"pointer", x.pointer}, {"passed", x.passed}, {"failures", x.failures}});
        j["scenarios"].push_back(std::move(s));
        p += r.passed();
        f += r.failed();
    }
    j["passed"] = p;
    j["failed"] = f;
    j["summary"] = summary_line(reports);
    return j;
}

namespace {

std::string xml_text(const std::string& s) { return xml_escape(s, true); }

std::string seconds_text(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", seconds);
    return buf;
}

}  // namespace

std::string junit_report(const std::vector<ScenarioReport>& reports) {
    std::size_t tests = 0, failures = 0, errors = 0;
    double seconds = 0;
    for (const auto& r : reports) {
        tests += r.error ? 1 : r.results.size();
        (r.error ? errors : failures) += r.failed();
        seconds += r.seconds;
    }
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"relaylab run\" tests=\"" +
                    std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
                    std::to_string(errors) + "\" time=\"" + seconds_text(seconds) + "\">\n";
    for (const auto& r : reports) {
        std::size_t n = r.error ? 1 : r.results.size();
        s += "  <testsuite name=\"" + xml_escape(r.name) + "\" file=\"" + xml_escape(r.file) + "\" tests=\"" +
             std::to_string(n) + "\" failures=\"" + std::to_string(r.error ? 0 : r.failed()) + "\" errors=\"" +
             std::to_string(r.error ? 1 : 0) + "\" time=\"" + seconds_text(r.seconds) + "\">\n";
        if (r.error) {
            // The file could not be loaded or run: an error of the suite, not a failed expectation.
            s += "    <testcase classname=\"" + xml_escape(r.name) + "\" name=\"load and run\" time=\"" +
                 seconds_text(r.seconds) + "\">\n      <error message=\"" + xml_escape(*r.error) + "\">" +
                 xml_text(*r.error) + "</error>\n    </testcase>\n";
        }
        // An expectation is a check of a finished run: its own time is nil, the run's is the suite's.
        for (const auto& x : r.results) {
            s += "    <testcase classname=\"" + xml_escape(r.name) + "\" name=\"" + xml_escape(x.name) + "\" time=\"" +
                 seconds_text(0) + "\"";
            if (x.passed) {
                s += "/>\n";
                continue;
            }
            std::string all;
            for (const auto& f : x.failures) all += (all.empty() ? "" : "\n") + f;
            s += ">\n      <failure message=\"" + xml_escape(x.failures.empty() ? "failed" : x.failures.front()) + "\">" +
                 xml_text(all) + "</failure>\n    </testcase>\n";
        }
        s += "    <system-out>" + xml_text(text_report(r)) + "</system-out>\n";
        s += "  </testsuite>\n";
    }
    return s + "</testsuites>\n";
}

std::string quiet_report(const ScenarioReport& r) {
    std::string s;
    for (const auto& x : r.results) {
        s += (x.passed ? "PASS " : "FAIL ") + r.name + ": " + x.name + "\n";
        for (const auto& f : x.failures) s += "       " + f + "\n";
    }
    if (r.error) {
        std::string e = *r.error;
        for (std::size_t nl = e.find('\n'); nl != std::string::npos; nl = e.find('\n', nl + 1)) e.insert(nl + 1, 7, ' ');
        s += "ERROR " + r.name + " (" + r.file + "): " + e + "\n";
    }
    return s;
}

}  // namespace relaylab::scn
