#include "diagnosis/triage.hpp"

#include "diagnosis/mime_message.hpp"
#include "diagnosis/verdict.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace relaylab::diag {

namespace {

using gw::Claim;
using nlohmann::json;

// Table rows for "no value" (shown in the reader's language).
constexpr std::string_view none_key = "(none)";
constexpr std::string_view cannot_tell_key = "(cannot tell)";

// What people's words say the cause was, per claim. Longer phrases first: "host not found, try
// again" (Postfix's temporary DNS wording) must not count as "host not found". ASCII phrases match
// without regard to case; Japanese ones as written (the carriers' and the 2009 relay's wording).
struct Phrase {
    std::string_view words;
    Claim claim;
};
constexpr Phrase phrases[] = {
    {"host not found, try again", Claim::DnsTemporary},
    {"host or domain name not found", Claim::HostUnknown},
    {"host unknown", Claim::HostUnknown},
    {"unknown host", Claim::HostUnknown},
    {"host not found", Claim::HostUnknown},
    {"domain not found", Claim::HostUnknown},
    {"no such domain", Claim::HostUnknown},
    {"ホストが見つかりません", Claim::HostUnknown},
    {"ホスト名が見つかりません", Claim::HostUnknown},
    {"ドメインが見つかりません", Claim::HostUnknown},
    {"ドメインが存在しません", Claim::HostUnknown},
    {"user unknown", Claim::UserUnknown},
    {"unknown user", Claim::UserUnknown},
    {"no such user", Claim::UserUnknown},
    {"user not found", Claim::UserUnknown},
    {"unknown recipient", Claim::UserUnknown},
    {"no such recipient", Claim::UserUnknown},
    {"ユーザーが存在しません", Claim::UserUnknown},
    {"ユーザが存在しません", Claim::UserUnknown},
    {"ユーザーが見つかりません", Claim::UserUnknown},
    {"ユーザが見つかりません", Claim::UserUnknown},
    {"message too large", Claim::MessageTooLarge},
    {"message too big", Claim::MessageTooLarge},
    {"message is too large", Claim::MessageTooLarge},
    {"message size exceeds", Claim::MessageTooLarge},
    {"does not accept mail", Claim::NoMailService},
    {"connection refused", Claim::ConnectionFailed},
    {"could not connect", Claim::ConnectionFailed},
};

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// "553 …", "550-5.7.26 …", "said: 550 …": a line that quotes an SMTP reply (RFC 5321 §4.2).
bool quotes_reply(std::string_view line) {
    for (std::size_t i = 0; i + 3 < line.size(); ++i) {
        const auto d = [&](std::size_t k) { return std::isdigit(static_cast<unsigned char>(line[i + k])) != 0; };
        if (line[i] < '2' || line[i] > '5' || !d(1) || !d(2) || (line[i + 3] != ' ' && line[i + 3] != '-')) continue;
        if (i > 0 && std::isalnum(static_cast<unsigned char>(line[i - 1]))) continue;
        return true;
    }
    return false;
}

bool indented(std::string_view line) { return !line.empty() && (line.front() == ' ' || line.front() == '\t'); }

void add_claim(std::vector<WordsClaim>& out, Claim claim, std::string_view words) {
    WordsClaim c{claim, std::string(words)};
    if (std::find_if(out.begin(), out.end(), [&](const WordsClaim& o) { return o.claim == claim; }) == out.end())
        out.push_back(std::move(c));
}

// Claims in one line; each phrase found is blanked so that a shorter one inside it does not count.
// A line that says "try again" (Postfix: "Host or domain name not found. … Host not found, try
// again") claims a temporary DNS failure only.
void claims_in_line(std::string_view line, std::vector<WordsClaim>& out) {
    std::string lower = ascii_lower(line);
    std::vector<WordsClaim> found;
    for (const auto& p : phrases) {
        for (auto at = lower.find(p.words); at != std::string::npos; at = lower.find(p.words, at)) {
            add_claim(found, p.claim, line.substr(at, p.words.size()));
            std::fill_n(lower.begin() + static_cast<std::ptrdiff_t>(at), p.words.size(), ' ');
        }
    }
    const bool temporary = std::any_of(found.begin(), found.end(), [](const auto& w) { return w.claim == Claim::DnsTemporary; });
    for (auto& w : found)
        if (!temporary || w.claim != Claim::HostUnknown) add_claim(out, w.claim, w.words);
}

template <class Each>
void for_each_line(std::string_view text, Each each) {
    while (!text.empty()) {
        const auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        each(line);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

// The bounce's own lines: not the remote's quoted replies, nor the indented lines continuing them.
template <class Each>
void for_each_own_line(std::string_view text, Each each) {
    bool in_quote = false;
    for_each_line(text, [&](std::string_view line) {
        if (quotes_reply(line)) {
            in_quote = true;
            return;
        }
        if (in_quote && indented(line)) return;
        in_quote = false;
        each(line);
    });
}

std::vector<WordsClaim> message_claims(const MimeMessage& m, std::string_view recipient, bool several) {
    std::vector<WordsClaim> out;
    claims_in_line(field_value(m.headers, "subject"), out);
    const auto lower_recipient = ascii_lower(recipient);
    for (const auto& text : m.texts) {
        for_each_own_line(text, [&](std::string_view line) {
            if (several && (recipient.empty() || ascii_lower(line).find(lower_recipient) == std::string::npos)) return;
            claims_in_line(line, out);
        });
    }
    return out;
}

std::string domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : ascii_lower(address.substr(at + 1));
}

std::string stage_of(const TriageRecord& r) {
    if (r.classification && r.classification->stage) return std::string(gw::stage_name(*r.classification->stage));
    if (r.finding.dns_status) return "dns";
    if (r.finding.stage) return std::string(gw::stage_name(*r.finding.stage));
    return "none";
}

json null_or(const std::string& s) { return s.empty() ? json() : json(s); }

}  // namespace

std::vector<WordsClaim> claims_in_words(std::string_view text) {
    std::vector<WordsClaim> out;
    for_each_own_line(text, [&](std::string_view line) { claims_in_line(line, out); });
    return out;
}

std::vector<WordsClaim> claims_of_message(std::string_view message, std::string_view recipient) {
    const auto m = read_mime(message);
    return message_claims(m, recipient, false);
}

std::vector<TriageRecord> triage_input(const BatchInput& input, bool judge_words) {
    std::vector<TriageRecord> out;
    if (!input.error.empty()) {
        TriageRecord r;
        r.input = input.name;
        r.error = input.error;
        out.push_back(std::move(r));
        return out;
    }
    auto findings = read_all(input.text);
    std::optional<MimeMessage> mime;
    for (auto& f : findings) {
        TriageRecord r;
        r.input = input.name;
        r.truncated = input.truncated;
        r.classification = classify_finding(f);
        r.finding = std::move(f);
        if (judge_words && r.classification && r.finding.report == ReportKind::Failure) {
            if (!mime) mime = read_mime(input.text);
            if (mime->is_mime) {
                for (auto& c : message_claims(*mime, r.finding.recipient, findings.size() > 1))
                    if (!gw::claim_is_true(c.claim, *r.classification)) r.false_claims.push_back(std::move(c));
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::string_view reason_name(const TriageRecord& r) {
    if (r.classification) return gw::to_string(r.classification->reason);
    return gw::to_string(r.error.empty() ? untold_reason(r.finding) : gw::Reason::Undefined);
}

json to_json(const TriageRecord& r) {
    if (!r.error.empty()) return json{{"input", r.input}, {"error", r.error}, {"can_tell", false}};
    const auto& f = r.finding;
    const auto& c = r.classification;
    json j{{"input", r.input}, {"recipient", f.recipient}, {"sender", null_or(f.sender)}};
    j["report"] = to_string(f.report);
    j["reason"] = reason_name(r);
    j["class"] = c ? json(gw::to_string(c->failure)) : json();
    j["status"] = c ? c->status.str() : f.reported_status;
    j["reported_status"] = null_or(f.reported_status);
    j["actor"] = c ? json(gw::to_string(gw::who_acts(c->failure))) : json();
    j["stage"] = c && c->stage ? json(gw::stage_name(*c->stage)) : f.stage ? json(gw::stage_name(*f.stage)) : json();
    j["stage_inferred"] = f.stage_inferred;
    const auto& reply = c && c->reply ? c->reply : f.reply;
    j["reply"] = reply ? json(gw::reply_one_line(*reply)) : json();
    if (reply && reply->lines.size() > 1) j["reply_lines"] = reply->lines;
    j["remote"] = null_or(f.remote_host);
    j["remote_ip"] = null_or(f.remote_ip);
    j["dns"] = f.dns_status ? json{{"name", f.dns_name}, {"status", gw::dns_status_name(*f.dns_status)}} : json();
    j["can_tell"] = r.can_tell();
    j["reporter"] = null_or(f.reporter);
    j["source"] = to_string(f.source);
    if (!r.false_claims.empty()) {
        json m = json::array();
        for (const auto& w : r.false_claims) m.push_back({{"claims", gw::to_string(w.claim)}, {"words", w.words}});
        j["mislabel"] = m;
    }
    if (r.truncated) j["truncated"] = true;
    return j;
}

void TriageSummary::add(const TriageRecord& r) {
    if (!r.error.empty()) {
        ++unreadable_;
        if (unreadable_examples_.size() < triage_kept_examples) unreadable_examples_.push_back({r.input, {}, r.error, {}, {}, {}});
        return;
    }
    ++recipients_;
    if (r.truncated) ++truncated_;
    ++by_report_[std::string(to_string(r.finding.report))];
    const auto domain = domain_of(r.finding.recipient);
    ++by_domain_[domain.empty() ? std::string(none_key) : domain];
    ++by_remote_[r.finding.remote_host.empty() ? std::string(none_key) : ascii_lower(r.finding.remote_host)];
    ++by_stage_[stage_of(r)];
    if (!r.can_tell()) {
        ++by_reason_[std::string(cannot_tell_key)];
        if (cannot_tell_examples_.size() < triage_kept_examples) {
            std::string found = r.finding.found.empty() ? std::string() : r.finding.found.front();
            cannot_tell_examples_.push_back({r.input, r.finding.recipient, found, {}, {}, {}});
        }
        return;
    }
    ++can_tell_;
    ++by_reason_[std::string(reason_name(r))];
    ++by_actor_[std::string(gw::to_string(gw::who_acts(r.classification->failure)))];
    if (!r.false_claims.empty()) {
        ++mislabels_;
        if (mislabel_examples_.size() < triage_kept_examples) {
            const auto& c = *r.classification;
            std::string words;
            for (const auto& w : r.false_claims)
                words += (words.empty() ? "" : ", ") + ("\"" + w.words + "\" (" + std::string(gw::to_string(w.claim)) + ")");
            mislabel_examples_.push_back({r.input, r.finding.recipient, words,
                                          std::string(gw::to_string(c.failure)) + " " + c.status.str(),
                                          c.stage ? std::string(smtp::command_words(*c.stage)) : std::string(),
                                          c.reply ? gw::reply_one_line(*c.reply) : std::string()});
        }
    }
}

namespace {

json counts(const std::map<std::string, std::size_t>& m) {
    std::vector<std::pair<std::string, std::size_t>> rows(m.begin(), m.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    json out = json::array();
    for (const auto& [k, n] : rows) out.push_back({{"name", k}, {"count", n}});
    return out;
}

std::string percent(std::size_t part, std::size_t whole) {
    if (whole == 0) return "-";
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

struct Heading {
    const char* en;
    const char* ja;
    const char* in(gw::Language l) const { return l == gw::Language::Ja ? ja : en; }
};

std::string table(const Heading& h, const std::map<std::string, std::size_t>& m, std::size_t whole, gw::Language lang) {
    std::vector<std::pair<std::string, std::size_t>> rows(m.begin(), m.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out = std::string("\n") + h.in(lang) + "\n";
    const auto shown = [&](const std::string& key) -> std::string {
        if (lang != gw::Language::Ja) return key;
        if (key == none_key) return "（なし）";
        if (key == cannot_tell_key) return "（判断できない）";
        return key;
    };
    for (std::size_t i = 0; i < rows.size() && i < triage_top_rows; ++i)
        out += "  " + pad(shown(rows[i].first), 32) + " " + pad(std::to_string(rows[i].second), 7) + " " +
               percent(rows[i].second, whole) + "\n";
    if (rows.size() > triage_top_rows) {
        const auto more = rows.size() - triage_top_rows;
        out += lang == gw::Language::Ja ? "  ほか " + std::to_string(more) + " 件\n"
                                        : "  … and " + std::to_string(more) + " more\n";
    }
    return out;
}

}  // namespace

json TriageSummary::to_json() const {
    const auto examples = [](const std::vector<Example>& v) {
        json out = json::array();
        for (const auto& e : v) {
            json j{{"input", e.input}, {"recipient", e.recipient}};
            if (!e.truth.empty()) {
                j["words"] = e.words;
                j["truth"] = e.truth;
                j["command"] = null_or(e.command);
                j["reply"] = null_or(e.reply);
            } else {
                j["detail"] = e.words;
            }
            out.push_back(std::move(j));
        }
        return out;
    };
    return json{{"inputs", inputs_},
                {"recipients", recipients_},
                {"can_tell", can_tell_},
                {"cannot_tell", recipients_ - can_tell_},
                {"unreadable", unreadable_},
                {"truncated", truncated_},
                {"mislabelled", mislabels_},
                {"by_reason", counts(by_reason_)},
                {"by_report", counts(by_report_)},
                {"by_stage", counts(by_stage_)},
                {"by_recipient_domain", counts(by_domain_)},
                {"by_remote_host", counts(by_remote_)},
                {"by_actor", counts(by_actor_)},
                {"mislabels", examples(mislabel_examples_)},
                {"cannot_tell_inputs", examples(cannot_tell_examples_)},
                {"unreadable_inputs", examples(unreadable_examples_)}};
}

std::string TriageSummary::render(gw::Language lang) const {
    const bool ja = lang == gw::Language::Ja;
    const auto n = [](std::size_t v) { return std::to_string(v); };
    std::string out;
    if (ja) {
        out += "入力 " + n(inputs_) + " 通、宛先 " + n(recipients_) + " 件、読めなかったもの " + n(unreadable_) + " 件\n";
        out += "原因を判断できた宛先: " + n(can_tell_) + " 件（" + percent(can_tell_, recipients_) + "）、判断できない: " +
               n(recipients_ - can_tell_) + " 件（" + percent(recipients_ - can_tell_, recipients_) + "）\n";
        out += "自身の文言が原因を誤って伝えるもの: " + n(mislabels_) + " 件\n";
    } else {
        out += n(inputs_) + " inputs, " + n(recipients_) + " recipients, " + n(unreadable_) + " unreadable\n";
        out += "cause told for " + n(can_tell_) + " recipients (" + percent(can_tell_, recipients_) + "), cannot tell for " +
               n(recipients_ - can_tell_) + " (" + percent(recipients_ - can_tell_, recipients_) + ")\n";
        out += "mislabelled by their own words: " + n(mislabels_) + "\n";
    }
    if (truncated_ > 0)
        out += ja ? "1 MiB を超えて先頭だけ読んだ入力の宛先: " + n(truncated_) + " 件\n"
                  : n(truncated_) + " recipients come from inputs longer than 1 MiB, read only in part\n";
    out += table({"by reason (Sisimai's names):", "理由別（Sisimai の名前）:"}, by_reason_, recipients_, lang);
    out += table({"by report:", "報告の種類別:"}, by_report_, recipients_, lang);
    out += table({"by stage:", "段階別:"}, by_stage_, recipients_, lang);
    out += table({"who must act:", "対処すべき人:"}, by_actor_, can_tell_, lang);
    out += table({"by recipient domain:", "宛先ドメイン別:"}, by_domain_, recipients_, lang);
    out += table({"by remote host:", "受信側ホスト別:"}, by_remote_, recipients_, lang);
    const auto list = [&](const Heading& h, const std::vector<Example>& v, std::size_t total) {
        if (total == 0) return;
        out += std::string("\n") + h.in(lang) + " (" + n(total) + ")\n";
        for (std::size_t i = 0; i < v.size() && i < triage_listed_examples; ++i) {
            const auto& e = v[i];
            out += "  " + e.input + (e.recipient.empty() ? "" : "  " + e.recipient) + "\n";
            if (!e.truth.empty()) {
                out += (ja ? "      文言: " : "      words: ") + e.words + "\n";
                out += (ja ? "      実際: " : "      truth: ") + e.truth;
                if (!e.command.empty()) out += ja ? "、" + e.command + " への応答" : " at " + e.command;
                if (!e.reply.empty()) out += ": " + e.reply;
                out += "\n";
            } else if (!e.words.empty() && !ja) {
                out += "      " + e.words + "\n";  // the readers' own words are English
            }
        }
        if (total > triage_listed_examples)
            out += ja ? "  ほか " + n(total - triage_listed_examples) + " 件（--json で全件）\n"
                      : "  … and " + n(total - triage_listed_examples) + " more (--json lists them)\n";
    };
    list({"mislabelled by their own words:", "自身の文言が原因を誤って伝えるもの:"}, mislabel_examples_, mislabels_);
    list({"cannot tell:", "判断できない:"}, cannot_tell_examples_, recipients_ - can_tell_);
    list({"unreadable:", "読めなかった入力:"}, unreadable_examples_, unreadable_);
    return out;
}

}  // namespace relaylab::diag
