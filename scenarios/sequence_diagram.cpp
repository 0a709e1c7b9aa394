#include "scenarios/sequence_diagram.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace relaylab::scn {

std::string_view to_string(StepKind k) {
    switch (k) {
    case StepKind::Submission: return "submission";
    case StepKind::Intake: return "intake";
    case StepKind::Relay: return "relay";
    case StepKind::DnsQuestion: return "dns-question";
    case StepKind::DnsAnswer: return "dns-answer";
    case StepKind::MxResult: return "mx-result";
    case StepKind::Connect: return "connect";
    case StepKind::ConnectFailed: return "connect-failed";
    case StepKind::Command: return "command";
    case StepKind::Reply: return "reply";
    case StepKind::Session: return "session";
    case StepKind::Attempt: return "attempt";
    case StepKind::Retry: return "retry";
    case StepKind::Notice: return "notice";
    case StepKind::Other: return "other";
    }
    return "other";
}

std::string_view to_string(Tone t) {
    switch (t) {
    case Tone::Neutral: return "neutral";
    case Tone::Good: return "good";
    case Tone::Temporary: return "temporary";
    case Tone::Permanent: return "permanent";
    }
    return "neutral";
}

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// RFC 5321 §4.2.1: the first digit says success (2), intermediate (3), transient (4), permanent (5).
Tone reply_tone(std::string_view reply) {
    if (reply.empty()) return Tone::Neutral;
    switch (reply.front()) {
    case '2': return Tone::Good;
    case '4': return Tone::Temporary;
    case '5': return Tone::Permanent;
    default: return Tone::Neutral;
    }
}

// A reply line "250-..." is followed by more lines of the same reply (RFC 5321 §4.2.1).
bool continues(std::string_view reply) { return reply.size() >= 4 && reply[3] == '-'; }

Tone rcode_tone(std::string_view answer) {
    if (answer.find("NOERROR") != std::string_view::npos) return Tone::Neutral;
    if (answer.find("NXDOMAIN") != std::string_view::npos) return Tone::Permanent;
    return Tone::Temporary;
}

Tone attempt_tone(std::string_view line) {
    static constexpr std::array<std::pair<std::string_view, Tone>, 4> words{{
        {": delivered by ", Tone::Good},
        {": deferred, ", Tone::Temporary},
        {": bounced, ", Tone::Permanent},
        {": expired, ", Tone::Permanent},
    }};
    std::size_t best = std::string_view::npos;
    Tone tone = Tone::Neutral;
    for (const auto& [w, t] : words)
        if (auto p = line.find(w); p < best) {
            best = p;
            tone = t;
        }
    return tone;
}

class Builder {
public:
    explicit Builder(const RunRecord& run) {
        d_.lanes = {{"handset", ""}, {"gateway", ""}, {"DNS", ""}};
        for (const auto& r : run.remotes) lane_for(r.host, r.ip);
    }

    void add(const TimelineEntry& e) {
        std::string_view t = e.text;
        if (fold_into_notice(e) || fold_into_reply(e)) return;
        if (starts_with(t, "handset ") && t.find(" submits to ") != std::string_view::npos)
            return step(e, handset_lane, gateway_lane, StepKind::Submission, Tone::Neutral, t.substr(8));
        if (starts_with(t, "intake "))
            return step(e, gateway_lane, handset_lane, StepKind::Intake,
                        starts_with(t, "intake accepted") ? Tone::Good : Tone::Permanent, t);
        if (starts_with(t, "relay: ")) return note(e, gateway_lane, StepKind::Relay, Tone::Neutral, t.substr(7));
        if (starts_with(t, "dns: ")) return dns(e, t.substr(5));
        if (starts_with(t, "mx: "))
            return note(e, gateway_lane, StepKind::MxResult,
                        t.find(" found") != std::string_view::npos ? Tone::Neutral : Tone::Temporary, t.substr(4));
        if (starts_with(t, "*: ")) return session(e, t.substr(3));
        if (starts_with(t, "C: ")) return step(e, gateway_lane, mx_lane(), StepKind::Command, Tone::Neutral, t.substr(3));
        if (starts_with(t, "S: "))
            return step(e, mx_lane(), gateway_lane, StepKind::Reply, reply_tone(t.substr(3)), t.substr(3));
        if (starts_with(t, "attempt "))
            return note(e, gateway_lane, t.find("; retry at ") != std::string_view::npos ? StepKind::Retry : StepKind::Attempt,
                        attempt_tone(t), t);
        if (starts_with(t, "notice to ")) {
            // The file name after "): " is the mailbox's business, not the handset's.
            auto close = t.find("): ");
            std::string label(close == std::string_view::npos ? t : t.substr(0, close + 1));
            return step(e, gateway_lane, handset_lane, StepKind::Notice, Tone::Neutral, label);
        }
        note(e, gateway_lane, StepKind::Other, Tone::Neutral, t);
    }

    SequenceDiagram take() { return std::move(d_); }

private:
    void step(const TimelineEntry& e, std::size_t from, std::size_t to, StepKind kind, Tone tone, std::string_view label) {
        SequenceStep s;
        s.at = e.at;
        s.from = from;
        s.to = to;
        s.kind = kind;
        s.tone = tone;
        s.label = std::string(label);
        s.source = e.text;
        d_.steps.push_back(std::move(s));
    }
    void note(const TimelineEntry& e, std::size_t lane, StepKind kind, Tone tone, std::string_view label) {
        step(e, lane, lane, kind, tone, label);
    }

    // "? isp.example MX -> answer NOERROR": the question and the answer, or the silence.
    void dns(const TimelineEntry& e, std::string_view t) {
        auto arrow = t.find(" -> ");
        if (arrow == std::string_view::npos) return note(e, dns_lane, StepKind::DnsAnswer, Tone::Neutral, t);
        std::string_view question = t.substr(0, arrow), answer = t.substr(arrow + 4);
        step(e, gateway_lane, dns_lane, StepKind::DnsQuestion, Tone::Neutral, question);
        if (answer.size() >= 8 && answer.substr(answer.size() - 8) == "no reply")
            note(e, dns_lane, StepKind::DnsAnswer, Tone::Temporary, answer);
        else
            step(e, dns_lane, gateway_lane, StepKind::DnsAnswer, rcode_tone(answer), answer);
    }

    // "connected to H[IP]", "connect to H[IP] timed out", "close", "timeout at data".
    void session(const TimelineEntry& e, std::string_view t) {
        for (std::string_view prefix : {"connected to ", "connect to "}) {
            if (!starts_with(t, prefix)) continue;
            std::string_view target = t.substr(prefix.size());
            auto open = target.find('[');
            auto close = target.find(']', open == std::string_view::npos ? 0 : open);
            std::string host(target.substr(0, open));
            std::string ip;
            if (open != std::string_view::npos && close != std::string_view::npos) ip = target.substr(open + 1, close - open - 1);
            current_ = lane_for(host, ip);
            bool ok = prefix == std::string_view("connected to ");
            return step(e, gateway_lane, current_, ok ? StepKind::Connect : StepKind::ConnectFailed,
                        ok ? Tone::Neutral : Tone::Temporary, t);
        }
        if (t == "close") return step(e, gateway_lane, mx_lane(), StepKind::Session, Tone::Neutral, t);
        note(e, mx_lane(), StepKind::Session, Tone::Temporary, t);
    }

    bool fold_into_notice(const TimelineEntry& e) {
        if (d_.steps.empty() || !starts_with(e.text, "  ")) return false;
        SequenceStep& last = d_.steps.back();
        if (last.kind != StepKind::Notice || last.at != e.at) return false;
        last.detail.push_back(e.text.substr(2));
        last.source += "\n" + e.text;
        return true;
    }

    bool fold_into_reply(const TimelineEntry& e) {
        if (d_.steps.empty() || !starts_with(e.text, "S: ")) return false;
        SequenceStep& last = d_.steps.back();
        if (last.kind != StepKind::Reply || last.from != mx_lane()) return false;
        const std::string& previous = last.detail.empty() ? last.label : last.detail.back();
        if (!continues(previous)) return false;
        last.detail.push_back(e.text.substr(3));
        last.tone = reply_tone(last.detail.back());
        last.source += "\n" + e.text;
        return true;
    }

    // The host of the session in progress; a transcript line before any connect gets a lane of its own.
    std::size_t mx_lane() {
        if (current_ == 0) current_ = lane_for("MX", "");
        return current_;
    }

    std::size_t lane_for(const std::string& host, const std::string& ip) {
        for (std::size_t i = mx_lane_first; i < d_.lanes.size(); ++i)
            if (d_.lanes[i].name == host) {
                if (d_.lanes[i].detail.empty()) d_.lanes[i].detail = ip;
                return i;
            }
        if (d_.lanes.size() >= mx_lane_first + max_mx_lanes) {
            d_.lanes.back() = {"other hosts", ""};
            return d_.lanes.size() - 1;
        }
        d_.lanes.push_back({host, ip});
        return d_.lanes.size() - 1;
    }

    SequenceDiagram d_;
    std::size_t current_ = 0;  // 0: no session yet (the handset's lane is never an MX)
};

}  // namespace

SequenceDiagram sequence_of(const RunRecord& run) {
    Builder b(run);
    for (const auto& e : run.timeline) b.add(e);
    return b.take();
}

}  // namespace relaylab::scn
