#include "taxonomy/reply_rules.hpp"

#include "jsonsource/json_source.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace relaylab::gw {

namespace {

using json = nlohmann::json;
using ptr = json::json_pointer;

std::string lower(std::string_view s) {
    std::string out(s.substr(0, max_reply_text_searched));
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "5.7.26", "5.7", "5", "X.2.2", "X.7": a class (or X) and up to two more numbers.
std::optional<StatusPattern> parse_pattern(std::string_view s) {
    StatusPattern p;
    std::size_t i = 0;
    if (!s.empty() && (s[0] == 'X' || s[0] == 'x')) {
        i = 1;
    } else if (!s.empty() && (s[0] == '2' || s[0] == '4' || s[0] == '5')) {
        p.klass = s[0] - '0';
        i = 1;
    } else {
        return std::nullopt;
    }
    while (i < s.size()) {
        if (s[i] != '.' || p.parts.size() == 2) return std::nullopt;
        ++i;
        int n = 0, digits = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && digits < 3) n = n * 10 + (s[i++] - '0'), ++digits;
        if (digits == 0) return std::nullopt;
        p.parts.push_back(n);
    }
    if (p.klass == 0 && p.parts.empty()) return std::nullopt;  // "X" alone says nothing
    return p;
}

bool pattern_holds(const StatusPattern& p, const DsnStatus& s) {
    if (p.klass != 0 && p.klass != s.klass) return false;
    if (!p.parts.empty() && p.parts[0] != s.subject) return false;
    if (p.parts.size() > 1 && p.parts[1] != s.detail) return false;
    return true;
}

bool domain_holds(std::string_view name, std::string_view domain) {
    if (name.size() < domain.size()) return false;
    if (name.size() == domain.size()) return std::equal(name.begin(), name.end(), domain.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
    });
    const auto tail = name.substr(name.size() - domain.size());
    return name[name.size() - domain.size() - 1] == '.' && domain_holds(tail, domain);
}

class Reader {
public:
    Reader(const JsonSource& src) : src_(src) {}

    void file(ReplyRuleSet& set) {
        const auto& root = src_.root();
        if (!root.is_object()) throw src_.error_at(ptr(), "expected an object with \"rules\"");
        src_.reject_unknown_keys(ptr(), {"description", "rules"});
        if (!root.contains("rules") || !root.at("rules").is_array())
            throw src_.error_at(ptr(), "\"rules\" must be an array of rules");
        const auto& rules = root.at("rules");
        if (set.rules.size() + rules.size() > max_reply_rules) throw src_.error_at(ptr("/rules"), "too many rules");
        for (std::size_t i = 0; i < rules.size(); ++i) set.rules.push_back(rule(ptr("/rules") / i));
        set.sources.push_back(src_.name());
    }

private:
    const JsonSource& src_;

    [[noreturn]] void fail(const ptr& p, const std::string& message) const { throw src_.error_at(p, message); }

    std::string string_at(const ptr& p) const {
        const auto& v = src_.root().at(p);
        if (!v.is_string()) fail(p, "expected a string");
        return v.get<std::string>();
    }

    // One value or a non-empty list of them.
    template <class T, class F>
    std::vector<T> list(const ptr& p, F one) const {
        const auto& v = src_.root().at(p);
        std::vector<T> out;
        if (!v.is_array()) {
            out.push_back(one(p));
            return out;
        }
        if (v.empty()) fail(p, "empty list");
        for (std::size_t i = 0; i < v.size(); ++i) out.push_back(one(p / i));
        return out;
    }

    StatusPattern pattern(const ptr& p) const {
        const auto s = string_at(p);
        const auto pat = parse_pattern(s);
        if (!pat) fail(p, "not a status pattern (\"5.7.26\", \"5.7\", \"X.2.2\"): \"" + s + "\"");
        return *pat;
    }

    ReplyRule rule(const ptr& p) const {
        const auto& v = src_.root().at(p);
        if (!v.is_object()) fail(p, "expected an object");
        src_.reject_unknown_keys(p, {"id", "note", "match", "class", "status", "status_overrides"});
        ReplyRule r;
        r.id = v.contains("id") ? string_at(p / "id") : p.to_string();
        if (!v.contains("class")) fail(p, "missing \"class\"");
        const auto cls = string_at(p / "class");
        const auto f = failure_class_from_string(cls);
        if (!f) fail(p / "class", "unknown failure class \"" + cls + "\"");
        r.failure = *f;
        if (v.contains("status")) {
            r.status = pattern(p / "status");
            if (r.status->parts.size() != 2) fail(p / "status", "a rule's status names subject and detail: \"X.7.1\"");
        }
        if (v.contains("status_overrides")) {
            if (!v.at("status_overrides").is_boolean()) fail(p / "status_overrides", "expected true or false");
            r.status_overrides = v.at("status_overrides").get<bool>();
            if (r.status_overrides && !r.status) fail(p / "status_overrides", "needs a \"status\" to override with");
        }
        if (!v.contains("match")) fail(p, "missing \"match\"");
        match(p / "match", r);
        return r;
    }

    void match(const ptr& p, ReplyRule& r) const {
        const auto& m = src_.root().at(p);
        if (!m.is_object() || m.empty()) fail(p, "expected a non-empty object");
        src_.reject_unknown_keys(p, {"stage", "code", "code_class", "status", "text", "regex", "domain"});
        if (m.contains("stage"))
            r.stages = list<std::optional<smtp::Stage>>(p / "stage", [&](const ptr& q) -> std::optional<smtp::Stage> {
                const auto s = string_at(q);
                if (s == "none") return std::nullopt;
                const auto st = stage_from_name(s);
                if (!st) fail(q, "unknown stage \"" + s + "\"");
                return st;
            });
        if (m.contains("code"))
            r.codes = list<int>(p / "code", [&](const ptr& q) {
                const auto& x = src_.root().at(q);
                if (!x.is_number_integer() || x.get<int>() < 200 || x.get<int>() > 599) fail(q, "expected a reply code 200..599");
                return x.get<int>();
            });
        if (m.contains("code_class"))
            r.code_classes = list<int>(p / "code_class", [&](const ptr& q) {
                const auto s = string_at(q);
                if (s != "4xx" && s != "5xx") fail(q, "expected \"4xx\" or \"5xx\"");
                return s[0] - '0';
            });
        if (m.contains("status")) r.statuses = list<StatusPattern>(p / "status", [&](const ptr& q) { return pattern(q); });
        if (m.contains("text"))
            r.text = list<std::string>(p / "text", [&](const ptr& q) {
                auto s = string_at(q);
                if (s.empty()) fail(q, "empty text");
                return lower(s);
            });
        if (m.contains("regex")) {
            r.regex_source = string_at(p / "regex");
            try {
                r.regex.emplace(r.regex_source, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
            } catch (const std::regex_error& e) {
                fail(p / "regex", std::string("bad regular expression: ") + e.what());
            }
        }
        if (m.contains("domain"))
            r.domains = list<std::string>(p / "domain", [&](const ptr& q) {
                auto s = lower(string_at(q));
                if (s.empty() || s.front() == '.' || s.back() == '.') fail(q, "expected a domain name: \"docomo.ne.jp\"");
                return s;
            });
    }
};

bool rule_holds(const ReplyRule& r, const ReplyFacts& f, const std::string& text) {
    if (!r.stages.empty() && std::find(r.stages.begin(), r.stages.end(), f.stage) == r.stages.end()) return false;
    if (!r.codes.empty() && std::find(r.codes.begin(), r.codes.end(), f.code) == r.codes.end()) return false;
    if (!r.code_classes.empty()) {
        const int k = f.code ? f.code / 100 : (f.status ? f.status->klass : 0);
        if (std::find(r.code_classes.begin(), r.code_classes.end(), k) == r.code_classes.end()) return false;
    }
    if (!r.statuses.empty() &&
        (!f.status || std::none_of(r.statuses.begin(), r.statuses.end(), [&](const auto& p) { return pattern_holds(p, *f.status); })))
        return false;
    if (!r.domains.empty() && std::none_of(r.domains.begin(), r.domains.end(), [&](const std::string& d) {
            return domain_holds(f.remote_host, d) || domain_holds(f.recipient_domain, d);
        }))
        return false;
    if (!r.text.empty() &&
        std::none_of(r.text.begin(), r.text.end(), [&](const std::string& t) { return text.find(t) != std::string::npos; }))
        return false;
    if (r.regex && !std::regex_search(text, *r.regex)) return false;
    return true;
}

}  // namespace

void add_reply_rules(ReplyRuleSet& set, std::string_view json_text, const std::string& source_name) {
    if (json_text.size() > max_reply_rules_octets) throw JsonSourceError(source_name, 0, 0, "file too large");
    JsonSource src(source_name, std::string(json_text));
    Reader(src).file(set);
}

const ReplyRuleSet& shipped_reply_rules() {
    static const ReplyRuleSet set = [] {
        ReplyRuleSet s;
        for (const auto& f : shipped_reply_rule_files())
            add_reply_rules(s, f.json, "policies/replies/" + std::string(f.name) + ".json");
        return s;
    }();
    return set;
}

DsnStatus verdict_status(const ReplyRuleMatch& m, std::optional<DsnStatus> remote, int klass) {
    DsnStatus own = m.status ? *m.status : default_status(m.failure, klass);
    if (own.klass == 0) own = default_status(m.failure, klass);
    // X.0.0 and X.1.0 say nothing; for an address or mailbox class an "other" code of another
    // subject contradicts it (5.5.0 for an unknown mailbox). Others are kept (4.7.0 for too many
    // connections, 5.7.0 for malware).
    const bool address_class = own.subject == 1 || own.subject == 2;
    const bool specific = remote && remote->klass != 0 && !(remote->subject == 0 && remote->detail == 0) &&
                          !(remote->subject == 1 && remote->detail == 0) &&
                          !(address_class && remote->detail == 0 && remote->subject != own.subject);
    DsnStatus s = specific && !m.status_overrides ? *remote : own;
    s.klass = permanence(m.failure) == Permanence::Temporary ? 4 : klass;
    return s;
}

std::string reply_words(const smtp::Reply& reply) {
    std::string out;
    std::string first_code;
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
        std::string_view line = reply.lines[i];
        // The line's leading "d.d.d" token, if any.
        std::size_t n = 0;
        while (n < line.size() && line[n] != ' ') ++n;
        const auto token = line.substr(0, n);
        const bool is_code = parse_dsn_status(token).has_value();
        if (i == 0 && is_code) first_code = std::string(token);
        if (i > 0 && is_code && token == first_code) {
            line.remove_prefix(n);
            while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        }
        if (line.empty()) continue;
        if (!out.empty()) out += ' ';
        out.append(line);
        if (out.size() >= max_reply_text_searched) break;
    }
    return out;
}

std::optional<ReplyRuleMatch> match_reply(const ReplyRuleSet& set, const ReplyFacts& facts) {
    const auto text = lower(facts.text);
    for (const auto& r : set.rules) {
        if (!rule_holds(r, facts, text)) continue;
        ReplyRuleMatch m;
        m.rule = &r;
        m.failure = r.failure;
        m.status_overrides = r.status_overrides;
        if (r.status) {
            int k = r.status->klass;
            if (k == 0) k = facts.code ? facts.code / 100 : (facts.status ? facts.status->klass : 5);
            m.status = DsnStatus{k, r.status->parts[0], r.status->parts[1]};
        }
        return m;
    }
    return std::nullopt;
}

std::optional<ReplyRuleMatch> match_reply(const ReplyFacts& facts) { return match_reply(shipped_reply_rules(), facts); }

}  // namespace relaylab::gw
