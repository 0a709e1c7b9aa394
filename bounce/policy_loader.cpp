// Reading policy files: JSON syntax errors with file:line:col, schema errors with the JSON path,
// unknown keys refused (a typo must never silently change which words a handset sees).
#include "bounce/policy.hpp"
#include "jsonsource/json_source.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>

namespace relaylab::gw {

namespace {

using json = nlohmann::json;

struct Reader {
    std::string file;
    std::optional<PolicyError> error;

    bool fail(PolicyErrorKind k, const std::string& path, std::string detail) {
        if (!error) error = PolicyError{k, file, 0, 0, path, std::move(detail)};
        return false;
    }

    bool only_keys(const json& obj, const std::string& path, std::initializer_list<std::string_view> allowed) {
        if (!obj.is_object()) return fail(PolicyErrorKind::WrongType, path, "expected an object");
        for (const auto& [key, value] : obj.items()) {
            (void)value;
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                return fail(PolicyErrorKind::UnknownKey, path.empty() ? key : path + "." + key, key);
        }
        return true;
    }

    bool require(const json& obj, const std::string& path, std::string_view key) {
        if (!obj.contains(key)) return fail(PolicyErrorKind::MissingKey, path, std::string(key));
        return true;
    }

    bool string_at(const json& v, const std::string& path, std::string& out) {
        if (!v.is_string()) return fail(PolicyErrorKind::WrongType, path, "expected a string");
        out = v.get<std::string>();
        return true;
    }

    // A string, or an array of strings joined by "\n" (so long bodies read line by line).
    bool text_at(const json& v, const std::string& path, std::string& out) {
        if (v.is_string()) return string_at(v, path, out);
        if (!v.is_array()) return fail(PolicyErrorKind::WrongType, path, "expected a string or an array of strings");
        out.clear();
        for (std::size_t i = 0; i < v.size(); ++i) {
            std::string line;
            if (!string_at(v[i], path + "[" + std::to_string(i) + "]", line)) return false;
            if (i > 0) out += '\n';
            out += line;
        }
        return true;
    }

    bool template_from(const std::string& text, const std::string& path, bool single_line, Template& out) {
        out.segments.clear();
        std::string literal;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (single_line && (c == '\n' || c == '\r'))
                return fail(PolicyErrorKind::BadValue, path, "a subject is one line");
            if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
                literal += '{';
                ++i;
            } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
                literal += '}';
                ++i;
            } else if (c == '{') {
                const auto close = text.find('}', i);
                if (close == std::string::npos) return fail(PolicyErrorKind::BadTemplate, path, "unclosed '{'");
                const auto name = text.substr(i + 1, close - i - 1);
                const auto p = placeholder_from_string(name);
                if (!p) return fail(PolicyErrorKind::UnknownPlaceholder, path, name);
                if (!literal.empty()) out.segments.push_back({std::move(literal), std::nullopt});
                literal.clear();
                out.segments.push_back({std::string(), p});
                i = close;
            } else if (c == '}') {
                return fail(PolicyErrorKind::BadTemplate, path, "'}' without '{' (write '}}')");
            } else {
                literal += c;
            }
        }
        if (!literal.empty()) out.segments.push_back({std::move(literal), std::nullopt});
        return true;
    }

    bool localized(const json& v, const std::string& path, bool single_line, LocalizedTemplate& out) {
        if (!only_keys(v, path, {"ja", "en"})) return false;
        for (const auto lang : {Language::Ja, Language::En}) {
            const std::string key(to_string(lang));
            if (!require(v, path, key)) return false;
            std::string text;
            if (!text_at(v.at(key), path + "." + key, text)) return false;
            if (!template_from(text, path + "." + key, single_line, lang == Language::Ja ? out.ja : out.en)) return false;
        }
        return true;
    }

    // One value or a list of them, each parsed by `one`.
    template <class T, class F>
    bool list_of(const json& v, const std::string& path, std::vector<T>& out, F one) {
        if (v.is_array()) {
            if (v.empty()) return fail(PolicyErrorKind::BadValue, path, "empty list");
            for (std::size_t i = 0; i < v.size(); ++i) {
                T item{};
                if (!one(v[i], path + "[" + std::to_string(i) + "]", item)) return false;
                out.push_back(std::move(item));
            }
            return true;
        }
        T item{};
        if (!one(v, path, item)) return false;
        out.push_back(std::move(item));
        return true;
    }

    bool failure_class(const json& v, const std::string& path, FailureClass& out) {
        std::string s;
        if (!string_at(v, path, s)) return false;
        const auto c = failure_class_from_string(s);
        if (!c) return fail(PolicyErrorKind::BadValue, path, "unknown failure class \"" + s + "\"");
        out = *c;
        return true;
    }

    bool match(const json& v, const std::string& path, RuleMatch& m) {
        if (!only_keys(v, path, {"class", "last_class", "stage", "code", "code_class", "status", "sender_address",
                                 "expired", "permanent"}))
            return false;
        auto cls = [&](const json& x, const std::string& p, FailureClass& out) { return failure_class(x, p, out); };
        if (v.contains("class") && !list_of(v.at("class"), path + ".class", m.classes, cls)) return false;
        if (v.contains("last_class") && !list_of(v.at("last_class"), path + ".last_class", m.last_classes, cls))
            return false;
        if (v.contains("stage") &&
            !list_of(v.at("stage"), path + ".stage", m.stages,
                     [&](const json& x, const std::string& p, std::optional<smtp::Stage>& out) {
                         std::string s;
                         if (!string_at(x, p, s)) return false;
                         if (s == "none") return true;
                         const auto st = stage_from_name(s);
                         if (!st) return fail(PolicyErrorKind::BadValue, p, "unknown stage \"" + s + "\"");
                         out = st;
                         return true;
                     }))
            return false;
        if (v.contains("code") && !list_of(v.at("code"), path + ".code", m.codes,
                                           [&](const json& x, const std::string& p, int& out) {
                                               if (!x.is_number_integer())
                                                   return fail(PolicyErrorKind::WrongType, p, "expected an integer");
                                               out = x.get<int>();
                                               if (out < 200 || out > 599)
                                                   return fail(PolicyErrorKind::BadValue, p, std::to_string(out));
                                               return true;
                                           }))
            return false;
        if (v.contains("code_class") &&
            !list_of(v.at("code_class"), path + ".code_class", m.code_classes,
                     [&](const json& x, const std::string& p, int& out) {
                         std::string s;
                         if (!string_at(x, p, s)) return false;
                         if (s != "2xx" && s != "4xx" && s != "5xx")
                             return fail(PolicyErrorKind::BadValue, p, "expected \"2xx\", \"4xx\" or \"5xx\", not \"" + s + "\"");
                         out = s[0] - '0';
                         return true;
                     }))
            return false;
        if (v.contains("status") && !list_of(v.at("status"), path + ".status", m.statuses,
                                             [&](const json& x, const std::string& p, std::string& out) {
                                                 if (!string_at(x, p, out)) return false;
                                                 if (!valid_status_pattern(out))
                                                     return fail(PolicyErrorKind::BadValue, p, out);
                                                 return true;
                                             }))
            return false;
        if (v.contains("sender_address") &&
            !list_of(v.at("sender_address"), path + ".sender_address", m.sender_address,
                     [&](const json& x, const std::string& p, AddressVerdict& out) {
                         std::string s;
                         if (!string_at(x, p, s)) return false;
                         for (const auto verdict : {AddressVerdict::DotAtom, AddressVerdict::QuotedOnly, AddressVerdict::Invalid})
                             if (to_string(verdict) == s) {
                                 out = verdict;
                                 return true;
                             }
                         return fail(PolicyErrorKind::BadValue, p, "unknown address verdict \"" + s + "\"");
                     }))
            return false;
        for (const auto* key : {"expired", "permanent"}) {
            if (!v.contains(key)) continue;
            if (!v.at(key).is_boolean()) return fail(PolicyErrorKind::WrongType, path + "." + key, "expected true or false");
            (std::string_view(key) == "expired" ? m.expired : m.permanent) = v.at(key).get<bool>();
        }
        return true;
    }

    // "5", "5.1" or "5.1.7": digits separated by dots, at most three parts.
    static bool valid_status_pattern(const std::string& s) {
        int parts = 0;
        std::size_t i = 0;
        while (i < s.size()) {
            std::size_t digits = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 3) ++i, ++digits;
            if (digits == 0) return false;
            ++parts;
            if (i == s.size()) break;
            if (s[i] != '.') return false;
            ++i;
            if (i == s.size()) return false;
        }
        return parts >= 1 && parts <= 3;
    }

    bool rule(const json& v, const std::string& path, bool is_default, PolicyRule& r) {
        if (is_default ? !only_keys(v, path, {"id", "note", "claims", "subject", "body"})
                       : !only_keys(v, path, {"id", "note", "match", "claims", "subject", "body"}))
            return false;
        r.id = is_default ? "default" : path;
        if (v.contains("id") && !string_at(v.at("id"), path + ".id", r.id)) return false;
        if (v.contains("note") && !v.at("note").is_string()) return fail(PolicyErrorKind::WrongType, path + ".note", "expected a string");
        if (!is_default) {
            if (!require(v, path, "match") || !match(v.at("match"), path + ".match", r.match)) return false;
        }
        std::string claim;
        if (!require(v, path, "claims") || !string_at(v.at("claims"), path + ".claims", claim)) return false;
        const auto c = claim_from_string(claim);
        if (!c) return fail(PolicyErrorKind::BadValue, path + ".claims", "unknown cause \"" + claim + "\"");
        r.claims = *c;
        if (!require(v, path, "subject") || !localized(v.at("subject"), path + ".subject", true, r.subject)) return false;
        if (!require(v, path, "body") || !localized(v.at("body"), path + ".body", false, r.body)) return false;
        return true;
    }

    bool policy(const json& v, Policy& p) {
        if (!only_keys(v, "", {"name", "description", "rules", "default"})) return false;
        if (!require(v, "", "name") || !string_at(v.at("name"), "name", p.name)) return false;
        if (v.contains("description") && !string_at(v.at("description"), "description", p.description)) return false;
        if (!require(v, "", "rules")) return false;
        const auto& rules = v.at("rules");
        if (!rules.is_array()) return fail(PolicyErrorKind::WrongType, "rules", "expected an array");
        if (rules.size() > max_policy_rules) return fail(PolicyErrorKind::BadValue, "rules", "too many rules");
        for (std::size_t i = 0; i < rules.size(); ++i) {
            PolicyRule r;
            if (!rule(rules[i], "rules[" + std::to_string(i) + "]", false, r)) return false;
            p.rules.push_back(std::move(r));
        }
        if (!require(v, "", "default")) return false;
        return rule(v.at("default"), "default", true, p.fallback);
    }
};

PolicyLoad failed(PolicyError e) { return Failure{std::move(e)}; }

}  // namespace

std::string_view to_string(PolicyErrorKind k) {
    switch (k) {
    case PolicyErrorKind::NotFound: return "not found";
    case PolicyErrorKind::Unreadable: return "cannot read";
    case PolicyErrorKind::TooLarge: return "file too large";
    case PolicyErrorKind::BadName: return "bad policy name";
    case PolicyErrorKind::Syntax: return "syntax error";
    case PolicyErrorKind::UnknownKey: return "unknown key";
    case PolicyErrorKind::MissingKey: return "missing key";
    case PolicyErrorKind::WrongType: return "wrong type";
    case PolicyErrorKind::BadValue: return "bad value";
    case PolicyErrorKind::UnknownPlaceholder: return "unknown placeholder";
    case PolicyErrorKind::BadTemplate: return "bad template";
    }
    return "error";
}

std::string PolicyError::message() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    out += std::string(to_string(kind));
    if (!detail.empty()) out += ": " + detail;
    return out;
}

PolicyLoad parse_policy(std::string_view text, std::string source_name) {
    if (text.size() > max_policy_file_octets)
        return failed(PolicyError{PolicyErrorKind::TooLarge, source_name, 0, 0, "", std::to_string(text.size()) + " octets"});
    json doc;
    try {
        doc = JsonSource(source_name, std::string(text)).root();
    } catch (const JsonSourceError& e) {
        return failed(PolicyError{PolicyErrorKind::Syntax, std::move(source_name), e.line(), e.column(), "", e.message()});
    }
    Reader reader{source_name, std::nullopt};
    Policy p;
    if (!reader.policy(doc, p)) return failed(*reader.error);
    p.source = std::move(source_name);
    return p;
}

PolicyLoad load_policy_file(const std::filesystem::path& file) {
    const auto name = file.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        return failed(PolicyError{PolicyErrorKind::NotFound, name, 0, 0, "", ""});
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return failed(PolicyError{PolicyErrorKind::Unreadable, name, 0, 0, "", ec.message()});
    if (size > max_policy_file_octets)
        return failed(PolicyError{PolicyErrorKind::TooLarge, name, 0, 0, "", std::to_string(size) + " octets"});
    std::ifstream in(file, std::ios::binary);
    if (!in) return failed(PolicyError{PolicyErrorKind::Unreadable, name, 0, 0, "", ""});
    std::ostringstream text;
    text << in.rdbuf();
    return parse_policy(text.str(), name);
}

PolicyLoad load_policy(std::string_view name_or_path, const std::filesystem::path& policy_dir) {
    const bool is_path = name_or_path.find('/') != std::string_view::npos ||
                         (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
    if (is_path) return load_policy_file(std::filesystem::path(std::string(name_or_path)));
    // A bare name never becomes a path outside policy_dir.
    const bool safe = !name_or_path.empty() && name_or_path.size() <= 100 && name_or_path.front() != '.' &&
                      std::all_of(name_or_path.begin(), name_or_path.end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                 c == '-' || c == '_' || c == '.';
                      });
    if (!safe) return failed(PolicyError{PolicyErrorKind::BadName, std::string(name_or_path), 0, 0, "", ""});
    return load_policy_file(policy_dir / (std::string(name_or_path) + ".json"));
}

}  // namespace relaylab::gw
