#include "scenarios/expectations.hpp"

#include "clock/duration.hpp"
#include "scenarios/timeline_words.hpp"

#include <algorithm>
#include <type_traits>

namespace relaylab::scn {

namespace {

std::string quoted(const std::optional<std::string>& s) { return s ? "\"" + *s + "\"" : std::string("nothing"); }

std::string window_text(const TimeWindow& w) {
    return "[" + (w.after ? "+" + format_duration(*w.after) : std::string("start")) + ", " +
           (w.before ? "+" + format_duration(*w.before) : std::string("end")) + "]";
}

class Checker {
public:
    explicit Checker(ExpectationResult& r) : r_(r) {}
    void fail(std::string what) {
        r_.passed = false;
        r_.failures.push_back(std::move(what));
    }
    void same(const char* what, const std::optional<std::string>& want, const std::optional<std::string>& got) {
        if (want && want != got) fail(std::string(what) + ": expected " + quoted(want) + ", got " + quoted(got));
    }
    // An enumerated value (notice kind, claim): compared as the value, reported by its name.
    template <class Enum>
        requires std::is_enum_v<Enum>
    void same(const char* what, const std::optional<Enum>& want, Enum got) {
        if (want && *want != got)
            fail(std::string(what) + ": expected \"" + std::string(gw::to_string(*want)) + "\", got \"" +
                 std::string(gw::to_string(got)) + "\"");
    }

private:
    ExpectationResult& r_;
};

void check_recipient(const Scenario& s, const Expectation& e, const RunRecord& run, Checker& c) {
    std::size_t seen = 0;
    for (const auto& r : run.recipients) {
        if (r.address != e.subject) continue;
        if (e.from && s.submissions.at(r.submission).from != *e.from) continue;
        ++seen;
        c.same("status", e.status, r.status);
        if (e.attempts && *e.attempts != r.attempts)
            c.fail("attempts: expected " + std::to_string(*e.attempts) + ", got " + std::to_string(r.attempts));
        c.same("stage", e.stage, r.stage);
        c.same("reply", e.reply, r.reply);
        if (e.reply_contains && (!r.reply || r.reply->find(*e.reply_contains) == std::string::npos))
            c.fail("reply: expected it to contain \"" + *e.reply_contains + "\", got " + quoted(r.reply));
        c.same("class", e.failure_class, r.failure_class);
        c.same("dsn", e.dsn, r.dsn);
        c.same("remote", e.remote, r.remote);
        if (e.final_at) {
            if (!r.final_at) c.fail("final_at: expected " + window_text(*e.final_at) + ", but it never became final");
            else if (!e.final_at->contains(*r.final_at - run.start))
                c.fail("final_at: expected " + window_text(*e.final_at) + ", got " + offset_text(*r.final_at, run.start));
        }
    }
    if (seen == 0) c.fail("no submission named recipient " + e.subject + (e.from ? " from " + *e.from : ""));
}

void check_notice(const Expectation& e, const RunRecord& run, Checker& c) {
    std::vector<const NoticeRecord*> match;
    for (const auto& n : run.notices)
        if (n.handset == e.subject && (!e.notice_recipient || n.final_recipient == *e.notice_recipient)) match.push_back(&n);
    if (e.index >= match.size()) {
        c.fail("no notice #" + std::to_string(e.index) + " to " + e.subject +
               (e.notice_recipient ? " about " + *e.notice_recipient : "") + " (" + std::to_string(match.size()) +
               " found)");
        return;
    }
    const NoticeRecord& n = *match[e.index];
    c.same("kind", e.notice_kind, n.kind);
    c.same("claims", e.claims, n.claims);
    c.same("subject", e.notice_subject, n.subject);
    c.same("body", e.body, n.body);
    std::string all = n.subject + "\n" + n.body;
    for (const auto& s : e.contains)
        if (all.find(s) == std::string::npos) c.fail("notice text: expected to contain \"" + s + "\"");
    for (const auto& s : e.not_contains)
        if (all.find(s) != std::string::npos) c.fail("notice text: must not contain \"" + s + "\"");
    for (const auto& [field, want] : e.delivery_status) {
        auto it = n.delivery_status.find(field);
        std::optional<std::string> got;
        if (it != n.delivery_status.end()) got = it->second;
        c.same(("delivery-status " + field).c_str(), want, got);
    }
    if (e.notice_at && !e.notice_at->contains(n.at - run.start))
        c.fail("at: expected " + window_text(*e.notice_at) + ", got " + offset_text(n.at, run.start));
}

void check_remote(const Expectation& e, const RunRecord& run, Checker& c) {
    auto it = std::find_if(run.remotes.begin(), run.remotes.end(), [&](const auto& r) { return r.host == e.subject; });
    if (it == run.remotes.end()) {
        c.fail("the world has no remote named " + e.subject);
        return;
    }
    if (e.connections && *e.connections != it->connections)
        c.fail("connections: expected " + std::to_string(*e.connections) + ", got " + std::to_string(it->connections));
    if (e.mail_from) {
        if (it->transactions.empty()) c.fail("mail_from: expected \"" + *e.mail_from + "\", but no MAIL FROM arrived");
        for (const auto& t : it->transactions)
            if (t.mail_from != *e.mail_from) {
                c.fail("mail_from: expected \"" + *e.mail_from + "\", got \"" + t.mail_from + "\"");
                break;
            }
    }
    if (e.rcpt_to) {
        std::vector<std::string> got;
        for (const auto& t : it->transactions)
            for (const auto& r : t.rcpt_to)
                if (std::find(got.begin(), got.end(), r) == got.end()) got.push_back(r);
        if (got != *e.rcpt_to) {
            std::string g;
            for (const auto& r : got) g += (g.empty() ? "" : ", ") + r;
            c.fail("rcpt_to: got [" + g + "]");
        }
    }
}

void check_handset(const Expectation& e, const RunRecord& run, Checker& c) {
    auto n = static_cast<std::size_t>(
        std::count_if(run.notices.begin(), run.notices.end(), [&](const auto& x) { return x.handset == e.subject; }));
    if (e.notices && *e.notices != n)
        c.fail("notices: expected " + std::to_string(*e.notices) + ", got " + std::to_string(n));
}

void check_destination(const Expectation& e, const RunRecord& run, Checker& c) {
    auto it = run.destinations.find(e.subject);
    const DestinationRecord none;
    const DestinationRecord& d = it == run.destinations.end() ? none : it->second;
    if (e.lowest_concurrency && *e.lowest_concurrency != d.lowest_window)
        c.fail("lowest_concurrency: expected " + std::to_string(*e.lowest_concurrency) + ", got " +
               (d.lowered ? std::to_string(d.lowest_window) : std::string("never lowered (0)")));
    if (e.suspended && *e.suspended != d.suspended)
        c.fail(std::string("suspended: expected ") + (*e.suspended ? "true" : "false") + ", got " +
               (d.suspended ? "true" : "false"));
}

// Every recipient the intake accepted ends delivered, bounced or expired, and every bounce or
// expiry reached its handset as a notice.
void check_nothing_lost(const Scenario& s, const RunRecord& run, Checker& c) {
    if (!run.finished) c.fail("the relay was not idle when the run stopped at " + offset_text(run.end, run.start));
    for (const auto& r : run.recipients) {
        if (r.status == "pending") c.fail(r.address + " is still pending");
        if (r.status != "bounced" && r.status != "expired") continue;
        const std::string& handset = s.submissions.at(r.submission).from;
        bool noticed = std::any_of(run.notices.begin(), run.notices.end(), [&](const auto& n) {
            return n.kind == gw::NoticeKind::Failure && n.handset == handset && n.final_recipient == r.address;
        });
        if (!noticed && !handset.empty()) c.fail(r.address + " " + r.status + " without a notice to " + handset);
    }
}

}  // namespace

std::vector<ExpectationResult> check_expectations(const Scenario& s, const RunRecord& run) {
    std::vector<ExpectationResult> out;
    for (const auto& e : s.expectations) {
        ExpectationResult r;
        r.name = e.name;
        r.pointer = e.pointer;
        Checker c(r);
        switch (e.kind) {
        case ExpectKind::Recipient: check_recipient(s, e, run, c); break;
        case ExpectKind::Notice: check_notice(e, run, c); break;
        case ExpectKind::Remote: check_remote(e, run, c); break;
        case ExpectKind::Handset: check_handset(e, run, c); break;
        case ExpectKind::NothingLost: check_nothing_lost(s, run, c); break;
        case ExpectKind::Destination: check_destination(e, run, c); break;
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace relaylab::scn
