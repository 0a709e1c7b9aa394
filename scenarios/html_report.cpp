#include "scenarios/html_report.hpp"

#include "clock/duration.hpp"
#include "taxonomy/classify.hpp"
#include "bounce/policy.hpp"
#include "scenarios/html_assets.hpp"
#include "scenarios/sequence_diagram.hpp"
#include "scenarios/timeline_words.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

namespace relaylab::scn {

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\n':
        case '\t': out += c; break;
        default: out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
        }
    }
    return out;
}

namespace {

// The delivery-status fields a trainer points at first (RFC 3464 §2.3); the rest follow in name order.
constexpr std::string_view main_dsn_fields[] = {"Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code"};

std::string esc(std::string_view s) { return html_escape(s); }

std::string clock_of(TimePoint t) { return format_time(t).substr(11, 5); }  // "10:00" on the phone's bar

// The recipient a notice speaks about: the same address, not delivered, decided at the notice's time
// if one was (a handset may mail the same address twice).
const RecipientRecord* recipient_of(const RunRecord& run, const NoticeRecord& n) {
    const RecipientRecord* found = nullptr;
    for (const auto& r : run.recipients) {
        if (r.address != n.final_recipient || r.status == "delivered" || !r.failure_class) continue;
        if (r.final_at && *r.final_at == n.at) return &r;
        if (!found) found = &r;
    }
    return found;
}

struct Verdict {
    std::string css;  // truthful | mislabel | unknown
    std::string html;
};

// A delay notice speaks of the attempt just before it, which the recipient's record has since
// overwritten: its class and status come from that attempt's timeline line
// ("attempt 2 for R: deferred, dns_temporary 4.4.3 (...)", timeline_words.cpp).
std::optional<RecipientRecord> deferral_before(const RunRecord& run, const NoticeRecord& n) {
    const std::string head = " for " + n.final_recipient + ": deferred, ";
    for (auto it = run.timeline.rbegin(); it != run.timeline.rend(); ++it) {
        if (it->at > n.at || it->text.rfind("attempt ", 0) != 0) continue;
        auto p = it->text.find(head);
        if (p == std::string::npos) continue;
        std::string rest = it->text.substr(p + head.size());
        auto space = rest.find(' '), end = rest.find(' ', space == std::string::npos ? rest.size() : space + 1);
        if (space == std::string::npos) return std::nullopt;
        RecipientRecord r;
        r.address = n.final_recipient;
        r.status = "pending";
        r.failure_class = rest.substr(0, space);
        r.dsn = rest.substr(space + 1, end == std::string::npos ? std::string::npos : end - space - 1);
        return r;
    }
    return std::nullopt;
}

// The words' claimed cause against the truth, as `relaylab audit` judges it (gw::claim_is_true).
Verdict verdict_of(const RunRecord& run, const NoticeRecord& n) {
    NoticeJudgement j = judge_notice(run, n);
    const std::string claim_name(gw::to_string(n.claims));
    if (!j.truth) return {"unknown", "The words claim <b>" + esc(claim_name) + "</b>; the run holds no truth to compare."};
    const RecipientRecord* r = &*j.truth;
    std::string truth = "<b>" + esc(*r->failure_class) + "</b> " + esc(r->dsn.value_or(""));
    if (r->reply) truth += ", <q>" + esc(*r->reply) + "</q>";
    if (r->stage) truth += " at " + esc(*r->stage);
    if (r->remote) truth += " from " + esc(*r->remote);
    std::string claimed = "The words claim <b>" + esc(claim_name) + "</b>; the truth is " + truth + ".";
    if (j.kind == NoticeJudgement::Kind::Truthful) return {"truthful", "<span class=\"tag\">truthful</span> " + claimed};
    if (j.kind == NoticeJudgement::Kind::Unknown) return {"unknown", claimed + " (An expiry's last temporary cause is not in the record.)"};
    return {"mislabel", "<span class=\"tag\">mislabel</span> " + claimed};
}

void dsn_fields(std::string& h, const std::map<std::string, std::string>& ds) {
    h += "<dl class=\"dsn\">";
    for (auto name : main_dsn_fields)
        if (auto it = ds.find(std::string(name)); it != ds.end())
            h += "<dt>" + esc(name) + "</dt><dd class=\"main\">" + esc(it->second) + "</dd>";
    for (const auto& [k, v] : ds)
        if (std::find(std::begin(main_dsn_fields), std::end(main_dsn_fields), k) == std::end(main_dsn_fields))
            h += "<dt class=\"minor\">" + esc(k) + "</dt><dd class=\"minor\">" + esc(v) + "</dd>";
    h += "</dl>";
}

void phone(std::string& h, const ScenarioReport& r) {
    const RunRecord& run = r.run;
    h += "<figure class=\"phone-col\"><figcaption><span class=\"scenario-name\">" + esc(r.name) + "</span></figcaption>";
    h += std::string("<div class=\"phone") + (run.notices.empty() ? " empty" : "") +
         "\"><div class=\"earpiece\"></div><div class=\"screen\">";
    h += "<div class=\"statusbar\"><span>&#9776; Mail</span><span>" +
         esc(run.notices.empty() ? clock_of(run.end) : clock_of(run.notices.back().at)) + "</span></div>";
    if (run.notices.empty()) h += "<p class=\"no-notice\">No notice: the handset heard nothing.</p>";
    for (const auto& n : run.notices) {
        h += "<article class=\"mail " + esc(std::string(gw::to_string(n.kind))) + "\"><div class=\"mail-to\">To: " + esc(n.handset) + " &middot; " +
             esc(offset_text(n.at, run.start)) + "</div><h3 class=\"mail-subject\">" + esc(n.subject) + "</h3>";
        h += "<div class=\"mail-body\">" + esc(n.body) + "</div></article>";
    }
    h += "</div><div class=\"home-button\"></div></div>";
    for (const auto& n : run.notices) {
        Verdict v = verdict_of(run, n);
        h += "<p class=\"verdict " + v.css + "\">" + v.html + "</p>";
    }
    h += "</figure>";
}

// The phones side by side, then each distinct delivery-status part once (under legacy-2009 and
// accurate it is the same: only the words differ).
void handset_view(std::string& h, const std::vector<ScenarioReport>& reports) {
    std::vector<std::pair<std::map<std::string, std::string>, std::vector<std::string>>> parts;
    std::size_t notices = 0;
    for (const auto& r : reports) {
        if (r.error) continue;
        for (std::size_t i = 0; i < r.run.notices.size(); ++i) {
            const auto& n = r.run.notices[i];
            ++notices;
            std::string who = r.name + (r.run.notices.size() > 1 ? " (notice " + std::to_string(i + 1) + ")" : "");
            auto it = std::find_if(parts.begin(), parts.end(), [&](const auto& p) { return p.first == n.delivery_status; });
            if (it == parts.end()) parts.push_back({n.delivery_status, {who}});
            else it->second.push_back(who);
        }
    }
    h += "<section class=\"handset-view\"><h2>What the handset read &mdash; and what really happened</h2>";
    h += "<div class=\"compare\"><div class=\"phones\">";
    for (const auto& r : reports)
        if (!r.error) phone(h, r);
    h += "</div><div class=\"truth\">";
    for (const auto& [ds, who] : parts) {
        h += "<aside class=\"dsn-card\"><h3>Delivery-status <small>RFC 3464, always truthful</small></h3>";
        if (notices > 1) {
            h += "<p class=\"dsn-who\">";
            if (who.size() == notices) h += "The same in every notice";
            else
                for (std::size_t i = 0; i < who.size(); ++i) h += (i ? ", " : "In ") + esc(who[i]);
            h += "</p>";
        }
        if (ds.empty()) h += "<p class=\"dsn-who\">No delivery-status part was found in the notice.</p>";
        dsn_fields(h, ds);
        h += "</aside>";
    }
    h += "</div></div></section>";
}

void expectations(std::string& h, const ScenarioReport& r) {
    h += "<div class=\"expectations\"><h3>Expectations</h3><ul>";
    if (r.error) h += "<li class=\"fail\"><span class=\"mark\">ERROR</span> " + esc(*r.error) + "</li>";
    for (const auto& x : r.results) {
        h += std::string("<li class=\"") + (x.passed ? "pass" : "fail") + "\"><span class=\"mark\">" +
             (x.passed ? "PASS" : "FAIL") + "</span> " + esc(x.name);
        for (const auto& f : x.failures) h += "<div class=\"why\">" + esc(f) + "</div>";
        h += "</li>";
    }
    h += "</ul></div>";
}

void stepper(std::string& h, std::size_t steps) {
    const std::string n = std::to_string(steps);
    h += "<div class=\"stepper\" role=\"group\" aria-label=\"step through the timeline\">"
         "<button type=\"button\" data-go=\"first\" title=\"first step (Home)\">|&#9664; First</button>"
         "<button type=\"button\" data-go=\"prev\" title=\"previous step (&larr;)\">&#9664; Previous</button>"
         "<input type=\"range\" min=\"1\" max=\"" + n + "\" value=\"" + n + "\" aria-label=\"step\">"
         "<button type=\"button\" data-go=\"next\" title=\"next step (&rarr;)\">Next &#9654;</button>"
         "<button type=\"button\" data-go=\"last\" title=\"last step (End)\">Last &#9654;|</button>"
         "<span class=\"where\">Step <b class=\"pos\">" + n + "</b> of " + n +
         " &middot; virtual time <b class=\"vt\"></b> <span class=\"abs\"></span></span>"
         "<pre class=\"current\"></pre><p class=\"keys\">Keys: &larr; &rarr; step, Home / End, after a click in this scenario.</p></div>";
}

// One grid row per step: the time, a cell per lane (its lifeline), and the arrow or note over them.
void diagram(std::string& h, const RunRecord& run) {
    SequenceDiagram d = sequence_of(run);
    const std::size_t lanes = d.lanes.size();
    const std::string columns = "grid-template-columns:5.5em repeat(" + std::to_string(lanes) + ",minmax(0,1fr))";
    stepper(h, d.steps.size());
    h += "<div class=\"seq\"><div class=\"lanes\" style=\"" + columns + "\"><div class=\"t\">time</div>";
    for (std::size_t i = 0; i < lanes; ++i)
        h += "<div class=\"lane-head lane-" + std::to_string(std::min<std::size_t>(i, mx_lane_first)) + "\"><b>" +
             esc(d.lanes[i].name) + "</b>" + (d.lanes[i].detail.empty() ? "" : "<small>" + esc(d.lanes[i].detail) + "</small>") +
             "</div>";
    h += "</div>";
    std::optional<TimePoint> previous;
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
        const SequenceStep& s = d.steps[i];
        const std::string at = offset_text(s.at, run.start);
        h += "<div class=\"row " + std::string(to_string(s.kind)) + " tone-" + std::string(to_string(s.tone)) +
             "\" data-step=\"" + std::to_string(i + 1) + "\" data-at=\"" + esc(at) + "\" data-abs=\"" +
             esc(format_time(s.at)) + "\" data-source=\"" + esc(s.source) + "\" style=\"" + columns + "\">";
        h += std::string("<div class=\"t") + (previous && *previous == s.at ? " same" : "") + "\">" + esc(at) + "</div>";
        previous = s.at;
        for (std::size_t l = 0; l < lanes; ++l) h += "<div class=\"life\" style=\"grid-column:" + std::to_string(l + 2) + "\"></div>";
        std::string body = "<div class=\"label\">" + esc(s.label) + "</div>";
        for (const auto& line : s.detail) body += "<div class=\"detail\">" + esc(line) + "</div>";
        if (s.from == s.to) {
            // A note sits over its lane and its neighbours, so that long words have room.
            std::size_t lo = s.from > 0 ? s.from - 1 : 0, hi = std::min(s.from + 1, lanes - 1);
            h += "<div class=\"note\" style=\"grid-column:" + std::to_string(lo + 2) + "/" + std::to_string(hi + 3) + "\">" +
                 body + "</div>";
        } else {
            std::size_t lo = std::min(s.from, s.to), hi = std::max(s.from, s.to), span = hi - lo + 1;
            // From the middle of the first lane to the middle of the last: half a lane in from each side.
            char inset[32];
            std::snprintf(inset, sizeof inset, "%.4f%%", 50.0 / static_cast<double>(span));
            h += "<div class=\"msg " + std::string(s.to > s.from ? "rightward" : "leftward") + "\" style=\"grid-column:" +
                 std::to_string(lo + 2) + "/" + std::to_string(hi + 3) + "\"><div class=\"arrow\" style=\"margin:0 " +
                 inset + "\">" + body + "<div class=\"line\"></div></div></div>";
        }
        h += "</div>";
    }
    h += "</div>";
}

void recipients(std::string& h, const RunRecord& run) {
    if (run.recipients.empty()) return;
    h += "<table class=\"recipients\"><caption>Recipients, as the run ended</caption><thead><tr><th>recipient</th>"
         "<th>status</th><th>attempts</th><th>class</th><th>RFC 3463</th><th>stage</th><th>reply</th><th>remote</th></tr>"
         "</thead><tbody>";
    for (const auto& r : run.recipients) {
        h += "<tr class=\"st-" + esc(r.status) + "\"><td>" + esc(r.address) + "</td><td>" + esc(r.status) + "</td><td>" +
             std::to_string(r.attempts) + "</td><td>" + esc(r.failure_class.value_or("")) + "</td><td>" +
             esc(r.dsn.value_or("")) + "</td><td>" + esc(r.stage.value_or("")) + "</td><td>" + esc(r.reply.value_or("")) +
             "</td><td>" + esc(r.remote.value_or("")) + "</td></tr>";
    }
    h += "</tbody></table>";
}

void scenario(std::string& h, const ScenarioReport& r, std::size_t index) {
    const bool ok = r.failed() == 0;
    h += "<section class=\"scenario\" id=\"scenario-" + std::to_string(index + 1) + "\"><h2><span class=\"badge " +
         (ok ? "pass\">PASS" : "fail\">FAIL") + "</span> " + esc(r.name) + "</h2>";
    h += "<p class=\"file\">" + esc(shown_file_name(r.file));
    if (!r.error)
        h += " &middot; seed " + std::to_string(r.run.seed) + " &middot; starts " + esc(format_time(r.run.start)) +
             " &middot; ends " + esc(offset_text(r.run.end, r.run.start)) +
             (r.run.deterministic ? " &middot; virtual time" : " &middot; REAL TIME (an external MTA took part)") +
             (r.run.finished ? "" : " &middot; LIMIT REACHED, relay not idle");
    h += "</p>";
    if (!r.description.empty()) h += "<p class=\"description\">" + esc(r.description) + "</p>";
    expectations(h, r);
    if (!r.error) {
        diagram(h, r.run);
        recipients(h, r.run);
    }
    h += "</section>";
}

}  // namespace

NoticeJudgement judge_notice(const RunRecord& run, const NoticeRecord& n) {
    std::optional<RecipientRecord> deferral = n.kind == gw::NoticeKind::Delay ? deferral_before(run, n) : std::nullopt;
    const RecipientRecord* r = deferral ? &*deferral : recipient_of(run, n);
    NoticeJudgement j;
    if (!r || !r->failure_class) return j;
    j.truth = *r;
    gw::Classification c;
    if (auto f = gw::failure_class_from_string(*r->failure_class)) c.failure = *f;
    c.expired = r->status == "expired";
    if (gw::claim_is_true(n.claims, c)) j.kind = NoticeJudgement::Kind::Truthful;
    else if (!c.expired) j.kind = NoticeJudgement::Kind::Mislabel;
    return j;
}

std::string shown_file_name(std::string_view file) {
    auto slash = file.find_last_of('/');
    return std::string(slash == std::string_view::npos ? file : file.substr(slash + 1));
}

std::string html_report(const std::vector<ScenarioReport>& reports) {
    std::string title = "relaylab run";
    for (std::size_t i = 0; i < reports.size(); ++i) title += (i ? ", " : ": ") + reports[i].name;
    std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>" + esc(title) + "</title><style>";
    h += html_report_style();
    h += "</style></head><body><header><h1>relaylab run &mdash; training report</h1><p class=\"summary\">" +
         esc(summary_line(reports)) + " &middot; " + std::to_string(reports.size()) +
         (reports.size() == 1 ? " scenario" : " scenarios") + " &middot; times are virtual</p><nav>";
    for (std::size_t i = 0; i < reports.size(); ++i)
        h += "<a href=\"#scenario-" + std::to_string(i + 1) + "\" class=\"" + (reports[i].failed() ? "fail" : "pass") +
             "\">" + esc(reports[i].name) + "</a>";
    h += "</nav></header><main>";
    handset_view(h, reports);
    for (std::size_t i = 0; i < reports.size(); ++i) scenario(h, reports[i], i);
    h += "</main><script>";
    h += html_report_script();
    h += "</script></body></html>\n";
    return h;
}

}  // namespace relaylab::scn
