// The presenter form of the HTML report: for a trainer at a projector. One page in one language,
// the incident's title and story, the handsets' screens beside the truth, and the scenarios' steps
// side by side, each step captioned in plain words, DNS questions and the EHLO capability list folded
// into one step each, the page opening on the decisive step. No internal names, no machine paths.
#include "scenarios/html_assets.hpp"
#include "scenarios/html_report.hpp"
#include "scenarios/presenter_words.hpp"
#include "scenarios/sequence_diagram.hpp"
#include "scenarios/timeline_words.hpp"

#include <algorithm>
#include <map>

namespace relaylab::scn {
namespace {

std::string esc(std::string_view s) { return html_escape(s); }

// One line of the page's step list: a step, or several folded into one that opens on click.
struct Item {
    std::vector<std::size_t> steps;  // indices into the diagram
    bool folded = false;
    std::string caption;
    Tone tone = Tone::Neutral;
};

bool dns_kind(StepKind k) { return k == StepKind::DnsQuestion || k == StepKind::DnsAnswer || k == StepKind::MxResult; }
bool ehlo(const SequenceStep& s) {
    return s.kind == StepKind::Command && (s.label.rfind("EHLO", 0) == 0 || s.label.rfind("HELO", 0) == 0);
}

Tone worst(Tone a, Tone b) {
    auto rank = [](Tone t) { return t == Tone::Permanent ? 3 : t == Tone::Temporary ? 2 : t == Tone::Good ? 1 : 0; };
    return rank(b) > rank(a) ? b : a;
}

// The step that settled the outcome: for the first recipient that failed (or, if none did, the first
// one), the reply its attempt's outcome rests on; without one, the attempt's own step.
std::size_t decisive_step(const SequenceDiagram& d, const RunRecord& run) {
    if (d.steps.empty()) return 0;
    const RecipientRecord* target = nullptr;
    for (const auto& r : run.recipients)
        if (r.status != "delivered" && r.status != "pending") {
            target = &r;
            break;
        }
    if (!target && !run.recipients.empty()) target = &run.recipients.front();
    if (!target) return d.steps.size() - 1;
    const std::string needle = " for " + target->address + ": ";
    std::optional<std::size_t> attempt;
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
        const auto& s = d.steps[i];
        if (target->status == "refused" && s.kind == StepKind::Intake && s.label.find(target->address) != std::string::npos)
            return i;
        if ((s.kind == StepKind::Attempt || s.kind == StepKind::Retry) && s.label.find(needle) != std::string::npos) {
            attempt = i;
            if (s.kind == StepKind::Attempt) break;  // the final one for this recipient
        }
    }
    if (!attempt) return d.steps.size() - 1;
    std::optional<std::size_t> marked;
    for (std::size_t i = *attempt; i-- > 0;) {
        const auto& s = d.steps[i];
        if (s.kind == StepKind::Attempt || s.kind == StepKind::Retry) break;
        if (s.kind == StepKind::Reply && target->reply && s.label.substr(0, 3) == target->reply->substr(0, 3)) return i;
        if (!marked && s.tone != Tone::Neutral && s.tone != Tone::Good) marked = i;
    }
    return marked.value_or(*attempt);
}

std::vector<Item> items_of(const SequenceDiagram& d, Lang lang) {
    std::vector<Item> items;
    std::string command;  // the last command of the session in progress
    for (std::size_t i = 0; i < d.steps.size(); ++i) {
        const SequenceStep& s = d.steps[i];
        if (dns_kind(s.kind)) {
            Item it;
            it.folded = true;
            std::size_t questions = 0;
            std::string domain, last_caption;
            for (; i < d.steps.size() && dns_kind(d.steps[i].kind); ++i) {
                const auto& x = d.steps[i];
                it.steps.push_back(i);
                it.tone = worst(it.tone, x.tone == Tone::Good ? Tone::Neutral : x.tone);
                if (x.kind == StepKind::DnsQuestion && questions++ == 0) domain = x.label.substr(2, x.label.find(' ', 2) - 2);
                if (x.kind == StepKind::MxResult) last_caption = step_caption(lang, x, command);
            }
            --i;
            std::string n = std::to_string(questions);
            it.caption = lang == Lang::Ja ? "中継サーバーが DNS に " + domain + " のメールサーバーを問い合わせます（" + n + " 件の問い合わせ）"
                                          : "The relay asks DNS where mail for " + domain + " goes (" + n +
                                                (questions == 1 ? " question)" : " questions)");
            if (questions == 0) it.caption = last_caption;
            else if (!last_caption.empty()) it.caption += lang == Lang::Ja ? "。" + last_caption : ". " + last_caption;
            items.push_back(std::move(it));
            continue;
        }
        // EHLO and the server's list of capabilities: one step, unless the server refused it.
        if (ehlo(s) && i + 1 < d.steps.size() && d.steps[i + 1].kind == StepKind::Reply && d.steps[i + 1].tone == Tone::Good) {
            Item it;
            it.folded = true;
            it.steps = {i, i + 1};
            std::size_t lines = d.steps[i + 1].detail.size();
            it.caption = lang == Lang::Ja ? "中継サーバーが名乗り、サーバーが対応機能を " + std::to_string(lines) + " 件挙げます"
                                          : "The relay introduces itself; the server lists " + std::to_string(lines) +
                                                " capabilities";
            command = s.label;
            items.push_back(std::move(it));
            ++i;
            continue;
        }
        if (s.kind == StepKind::Connect || s.kind == StepKind::ConnectFailed) command.clear();
        Item it;
        it.steps = {i};
        it.caption = step_caption(lang, s, command);
        it.tone = s.tone;
        if (s.kind == StepKind::Command) command = s.label;
        items.push_back(std::move(it));
    }
    return items;
}

std::string lane_words(Lang l, const SequenceDiagram& d, const SequenceStep& s) {
    auto name = [&](std::size_t lane) -> std::string {
        if (lane == handset_lane) return std::string(ui(l, "handset"));
        if (lane == gateway_lane) return std::string(ui(l, "gateway"));
        if (lane == dns_lane) return std::string(ui(l, "dns"));
        return lane < d.lanes.size() ? d.lanes[lane].name : std::string(ui(l, "server"));
    };
    if (s.from == s.to) return name(s.from);
    return name(s.from) + " → " + name(s.to);
}

// The protocol's own words for a step: the line sent or received, without the run's internal names.
std::string wire_of(const SequenceStep& s) {
    switch (s.kind) {
    case StepKind::Command:
    case StepKind::Reply:
    case StepKind::DnsQuestion:
    case StepKind::DnsAnswer:
    case StepKind::Connect:
    case StepKind::ConnectFailed: {
        std::string w = s.label;
        for (const auto& d : s.detail) w += "\n" + d;
        return w;
    }
    case StepKind::MxResult: return "MX " + s.label;
    default: return {};
    }
}

// A notice's step shows what reached the phone: its subject and body, not the claim's name.
std::string notice_lines(const SequenceStep& s) {
    std::string w;
    for (const auto& d : s.detail) {
        if (d.rfind("Subject: ", 0) == 0) w += d.substr(9) + "\n";
        else if (d.rfind("| ", 0) == 0) w += d.substr(2) + "\n";
    }
    if (!w.empty()) w.pop_back();
    return w;
}

void step_line(std::string& h, Lang l, const SequenceDiagram& d, const RunRecord& run, std::size_t i, int zone,
               const std::string& caption) {
    const SequenceStep& s = d.steps[i];
    h += "<div class=\"inner tone-" + std::string(to_string(s.tone)) + "\"><span class=\"who\">" + esc(lane_words(l, d, s)) +
         "</span> <span class=\"caption\">" + esc(caption) + "</span>";
    std::string wire = s.kind == StepKind::Notice ? notice_lines(s) : wire_of(s);
    if (!wire.empty()) h += "<pre class=\"wire\">" + esc(wire) + "</pre>";
    h += "<span class=\"when\">" + esc(local_clock(s.at, zone)) + " " + esc(offset_text(s.at, run.start)) + "</span></div>";
}

void stepper(std::string& h, Lang l, std::size_t n, std::size_t open) {
    h += "<div class=\"stepper\" role=\"group\">"
         "<button type=\"button\" data-go=\"first\">|&#9664; " + esc(ui(l, "first")) + "</button>"
         "<button type=\"button\" data-go=\"prev\">&#9664; " + esc(ui(l, "prev")) + "</button>"
         "<button type=\"button\" data-go=\"decisive\" class=\"go-decisive\">&#9733; " + esc(ui(l, "to-decisive")) + "</button>"
         "<button type=\"button\" data-go=\"next\">" + esc(ui(l, "next")) + " &#9654;</button>"
         "<button type=\"button\" data-go=\"last\">" + esc(ui(l, "last")) + " &#9654;|</button>"
         "<span class=\"where\">" + esc(ui(l, "step")) + " <b class=\"pos\">" + std::to_string(open) + "</b> " +
         esc(ui(l, "of")) + " " + std::to_string(n) + "</span></div>";
}

void scenario_column(std::string& h, Lang l, const ScenarioReport& r, std::size_t index, int zone) {
    const auto text = r.presenter.find(std::string(to_string(l)));
    const std::string title = text != r.presenter.end() && !text->second.title.empty() ? text->second.title : r.name;
    const std::string story = text != r.presenter.end() && !text->second.story.empty() ? text->second.story : r.description;
    const std::string id = std::to_string(index + 1);
    h += "<section class=\"scenario\" id=\"scenario-" + id + "\"";
    if (r.error) {
        h += "><h2>" + esc(title) + "</h2><p class=\"story\">" + esc(*r.error) + "</p></section>";
        return;
    }
    SequenceDiagram d = sequence_of(r.run);
    std::vector<Item> items = items_of(d, l);
    const std::size_t decisive = decisive_step(d, r.run);
    std::size_t open = items.size();
    for (std::size_t k = 0; k < items.size(); ++k)
        if (std::find(items[k].steps.begin(), items[k].steps.end(), decisive) != items[k].steps.end()) open = k + 1;
    h += " data-open-step=\"" + std::to_string(open) + "\"><h2>" + esc(title) + "</h2>";
    if (!story.empty()) h += "<p class=\"story\">" + esc(story) + "</p>";
    h += "<h3>" + esc(ui(l, "steps")) + "</h3>";
    stepper(h, l, items.size(), open);
    h += "<ol class=\"steps\">";
    for (std::size_t k = 0; k < items.size(); ++k) {
        const Item& it = items[k];
        const SequenceStep& first = d.steps[it.steps.front()];
        const bool is_decisive = k + 1 == open;
        h += "<li class=\"row tone-" + std::string(to_string(it.tone)) + (is_decisive ? " decisive" : "") + "\"" +
             (is_decisive ? " id=\"decisive-" + id + "\"" : "") + " data-step=\"" + std::to_string(k + 1) +
             "\" data-at=\"" + esc(local_time(first.at, zone)) + "\">";
        h += "<span class=\"t\">" + esc(local_clock(first.at, zone)) + "</span>";
        if (is_decisive) h += "<span class=\"decisive-tag\">&#9733; " + esc(ui(l, "decisive")) + "</span>";
        if (it.folded) {
            h += std::string("<details") + (is_decisive ? " open" : "") + "><summary><span class=\"caption\">" +
                 esc(it.caption) + "</span> <small class=\"fold-hint\">" + esc(ui(l, "folded")) + "</small></summary>";
            for (auto i : it.steps) step_line(h, l, d, r.run, i, zone, step_caption(l, d.steps[i], ""));
            h += "</details>";
        } else {
            step_line(h, l, d, r.run, it.steps.front(), zone, it.caption);
        }
        h += "</li>";
    }
    h += "</ol>";
    // The checks are the test runner's business: folded away, counted.
    h += "<details class=\"checks\"><summary>" + esc(ui(l, "checks")) + " (" + std::to_string(r.passed()) + "/" +
         std::to_string(r.passed() + r.failed()) + ")</summary><ul>";
    for (const auto& x : r.results)
        h += std::string("<li class=\"") + (x.passed ? "pass\">&#10003; " : "fail\">&#10007; ") + esc(x.name) + "</li>";
    h += "</ul></details></section>";
}

// The DSN fields a handset's owner can read; the rest stays in the normal report.
constexpr std::string_view shown_dsn_fields[] = {"Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code"};

void phone(std::string& h, Lang l, const ScenarioReport& r, int zone) {
    const auto text = r.presenter.find(std::string(to_string(l)));
    const std::string title = text != r.presenter.end() && !text->second.title.empty() ? text->second.title : r.name;
    const RunRecord& run = r.run;
    h += "<figure class=\"phone-col\"><figcaption>" + esc(title) + "</figcaption><div class=\"phone\"><div class=\"screen\">";
    h += "<div class=\"statusbar\"><span>&#9993;</span><span>" +
         esc(local_clock(run.notices.empty() ? run.end : run.notices.back().at, zone)) + "</span></div>";
    if (run.notices.empty()) h += "<p class=\"no-notice\">" + esc(ui(l, "no-notice")) + "</p>";
    for (const auto& n : run.notices)
        h += "<article class=\"mail\"><h3 class=\"mail-subject\">" + esc(n.subject) + "</h3><div class=\"mail-body\">" +
             esc(n.body) + "</div></article>";
    h += "</div></div>";
    for (const auto& n : run.notices) {
        NoticeJudgement j = judge_notice(run, n);
        const char* css = j.kind == NoticeJudgement::Kind::Truthful ? "truthful" : j.kind == NoticeJudgement::Kind::Mislabel ? "mislabel" : "unknown";
        const char* tag = j.kind == NoticeJudgement::Kind::Truthful ? "says-correct" : j.kind == NoticeJudgement::Kind::Mislabel ? "says-wrong" : "says-unclear";
        h += std::string("<p class=\"verdict ") + css + "\"><span class=\"tag\">" + esc(ui(l, tag)) + "</span> " +
             esc(ui(l, "notice-claims")) + esc(cause_words(l, gw::to_string(n.claims)));
        if (j.truth && j.truth->failure_class) {
            h += "<br>" + esc(ui(l, "truth-is")) + "<b>" + esc(cause_words(l, *j.truth->failure_class)) + "</b>";
            if (j.truth->reply) h += " <q>" + esc(*j.truth->reply) + "</q>";
        }
        h += "</p>";
    }
    h += "</figure>";
}

void handsets(std::string& h, Lang l, const std::vector<const ScenarioReport*>& shown, int zone) {
    h += "<section class=\"handset-view\"><h2>" + esc(ui(l, "handset-saw")) + "</h2><div class=\"compare\">";
    std::vector<std::map<std::string, std::string>> parts;
    for (const auto* r : shown) {
        phone(h, l, *r, zone);
        for (const auto& n : r->run.notices)
            if (std::find(parts.begin(), parts.end(), n.delivery_status) == parts.end()) parts.push_back(n.delivery_status);
    }
    for (const auto& ds : parts) {
        h += "<aside class=\"dsn-card\"><h3>" + esc(ui(l, "truth")) + "</h3>";
        if (parts.size() == 1 && shown.size() > 1) h += "<p class=\"dsn-who\">" + esc(ui(l, "the-same")) + "</p>";
        h += "<dl class=\"dsn\">";
        for (auto name : shown_dsn_fields)
            if (auto it = ds.find(std::string(name)); it != ds.end())
                h += "<dt>" + esc(name) + "</dt><dd>" + esc(it->second) + "</dd>";
        h += "</dl></aside>";
    }
    h += "</div></section>";
}

}  // namespace

std::string presenter_report(const std::vector<ScenarioReport>& reports, const PresenterOptions& o) {
    const Lang l = o.lang;
    std::vector<const ScenarioReport*> ran;
    for (const auto& r : reports)
        if (!r.error) ran.push_back(&r);
    // One scenario: its title heads the page; several: the page's own, each column has its title.
    std::string title(ui(l, "page-title"));
    if (reports.size() == 1) {
        auto t = reports.front().presenter.find(std::string(to_string(l)));
        if (t != reports.front().presenter.end() && !t->second.title.empty()) title = t->second.title;
    }
    std::string h = "<!DOCTYPE html>\n<html lang=\"" + std::string(to_string(l)) +
                    "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>" + esc(title) + "</title><style>";
    h += html_report_style();
    h += presenter_style();
    h += "</style></head><body class=\"presenter" + std::string(o.large ? " large" : "") + "\"><header><h1>" +
         esc(title) + "</h1><p class=\"summary\">";
    if (!ran.empty()) h += esc(local_time(ran.front()->run.start, o.zone_minutes).substr(0, 10)) + " &middot; ";
    h += esc(ui(l, "times-in")) + esc(local_time(TimePoint{}, o.zone_minutes).substr(20)) +
         " &middot; <a href=\"#decisive-1\" class=\"jump\">&#9733; " + esc(ui(l, "decisive")) + "</a></p></header><main>";
    handsets(h, l, ran, o.zone_minutes);
    h += "<div class=\"runs cols-" + std::to_string(std::min<std::size_t>(std::max<std::size_t>(reports.size(), 1), 2)) + "\">";
    for (std::size_t i = 0; i < reports.size(); ++i) scenario_column(h, l, reports[i], i, o.zone_minutes);
    h += "</div></main><script>";
    h += presenter_script();
    h += "</script></body></html>\n";
    return h;
}

}  // namespace relaylab::scn
