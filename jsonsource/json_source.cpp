#include "jsonsource/json_source.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace relaylab {

JsonSourceError::JsonSourceError(std::string file, std::size_t line, std::size_t col, std::string message)
    : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message),
      file_(std::move(file)), line_(line), col_(col), message_(std::move(message)) {}

namespace {
// nlohmann reports the byte just past the token it could not use; people want its first character.
std::size_t token_start_in(std::string_view t, std::size_t at) {
    if (at >= t.size()) return at;
    if (t[at] == '"') {
        for (std::size_t i = at; i-- > 0;)
            if (t[i] == '"' && (i == 0 || t[i - 1] != '\\')) return i;
        return at;
    }
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.'; };
    while (at > 0 && word(t[at]) && word(t[at - 1])) --at;
    return at;
}
}  // namespace

std::size_t JsonSource::token_start(std::size_t at) const { return token_start_in(text_, at); }

JsonSource::JsonSource(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
    try {
        root_ = nlohmann::json::parse(text_);
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann's byte is 1-based and points just past the offending character.
        std::size_t at = e.byte == 0 ? 0 : std::min(e.byte - 1, text_.size());
        at = token_start(at);
        auto [line, col] = line_col(at);
        std::string what = e.what();
        // Keep the part after "parse error at line L, column C: " — we print our own position.
        auto p = what.find(": syntax error");
        std::string msg = p == std::string::npos ? what : what.substr(p + 2);
        throw JsonSourceError(name_, line, col, msg);
    } catch (const nlohmann::json::exception& e) {
        // A number too large for a double (out_of_range 406) carries no position: find the token
        // the message quotes ("number overflow parsing '1e999'").
        std::string what = e.what();
        std::size_t at = 0;
        auto q1 = what.find('\'');
        auto q2 = q1 == std::string::npos ? q1 : what.find('\'', q1 + 1);
        if (q2 != std::string::npos) {
            auto found = text_.find(what.substr(q1 + 1, q2 - q1 - 1));
            if (found != std::string::npos) at = found;
        }
        auto [line, col] = line_col(at);
        auto p = what.find("] ");
        throw JsonSourceError(name_, line, col, p == std::string::npos ? what : what.substr(p + 2));
    }
}

JsonSource JsonSource::load(const std::filesystem::path& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) throw JsonSourceError(path.string(), 0, 0, "cannot read: " + ec.message());
    if (size > max_json_source_bytes)
        throw JsonSourceError(path.string(), 0, 0, "file too large (" + std::to_string(size) + " bytes)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw JsonSourceError(path.string(), 0, 0, "cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    return JsonSource(path.string(), ss.str());
}

std::pair<std::size_t, std::size_t> JsonSource::line_col(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text_[i] == '\n') {
            ++line;
            col = 1;
        } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
            ++col;  // count characters, not UTF-8 continuation bytes
        }
    }
    return {line, col};
}

namespace {

// A minimal scanner over JSON text that is already known to be valid.
struct Scanner {
    std::string_view t;
    std::size_t i = 0;

    void ws() {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
    }
    std::string string() {  // at '"'; returns the decoded-enough key (escapes kept simple)
        std::string out;
        ++i;
        while (i < t.size() && t[i] != '"') {
            if (t[i] == '\\' && i + 1 < t.size()) {
                char e = t[i + 1];
                if (e == 'u') {
                    out += "\\u";  // keys with \u escapes are compared loosely; rare in practice
                    i += 2;
                    continue;
                }
                out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
                i += 2;
                continue;
            }
            out += t[i++];
        }
        ++i;
        return out;
    }
    void skip_value() {
        ws();
        if (i >= t.size()) return;
        char c = t[i];
        if (c == '"') {
            string();
        } else if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            ++i;
            ws();
            if (i < t.size() && t[i] == close) {
                ++i;
                return;
            }
            for (;;) {
                ws();
                if (c == '{') {
                    string();
                    ws();
                    ++i;  // ':'
                }
                skip_value();
                ws();
                if (i < t.size() && t[i] == ',') {
                    ++i;
                    continue;
                }
                ++i;  // close
                return;
            }
        } else {
            while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
                   t[i] != '\r' && t[i] != '\t')
                ++i;
        }
    }
    // At a value; descends one reference token. Returns the offset of the key (objects) or the
    // element (arrays), leaving i at the child's value; nullopt if absent.
    std::optional<std::size_t> child(const std::string& token) {
        ws();
        if (i >= t.size()) return std::nullopt;
        if (t[i] == '{') {
            ++i;
            for (;;) {
                ws();
                if (i >= t.size() || t[i] == '}') return std::nullopt;
                std::size_t key_at = i;
                std::string key = string();
                ws();
                ++i;  // ':'
                if (key == token) {
                    ws();
                    return key_at;
                }
                skip_value();
                ws();
                if (i < t.size() && t[i] == ',') ++i;
            }
        }
        if (t[i] == '[') {
            std::size_t want = 0;
            if (token.empty() || !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
            want = std::stoul(token);
            ++i;
            for (std::size_t n = 0;; ++n) {
                ws();
                if (i >= t.size() || t[i] == ']') return std::nullopt;
                if (n == want) return i;
                skip_value();
                ws();
                if (i < t.size() && t[i] == ',') ++i;
            }
        }
        return std::nullopt;
    }
};

std::vector<std::string> tokens_of(const nlohmann::json::json_pointer& p) {
    std::vector<std::string> out;
    auto q = p;
    while (!q.empty()) {
        out.push_back(q.back());
        q.pop_back();
    }
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace

std::optional<std::size_t> JsonSource::offset_of(const nlohmann::json::json_pointer& pointer) const {
    Scanner s{text_};
    s.ws();
    std::size_t at = s.i;
    for (const auto& tok : tokens_of(pointer)) {
        auto found = s.child(tok);
        if (!found) return std::nullopt;
        at = *found;
    }
    return at;
}

JsonSourceError JsonSource::error_at(const nlohmann::json::json_pointer& pointer, const std::string& message) const {
    auto p = pointer;
    std::optional<std::size_t> at = offset_of(p);
    while (!at && !p.empty()) {
        p.pop_back();
        at = offset_of(p);
    }
    auto [line, col] = line_col(at.value_or(0));
    std::string where = pointer.empty() ? std::string() : "at " + pointer.to_string() + ": ";
    return JsonSourceError(name_, line, col, where + message);
}

void JsonSource::reject_unknown_keys(const nlohmann::json::json_pointer& pointer,
                                     std::initializer_list<std::string_view> allowed) const {
    const auto& obj = root_.at(pointer);
    if (!obj.is_object()) throw error_at(pointer, "expected an object");
    for (const auto& [key, value] : obj.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string list;
            for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            throw error_at(pointer / key, "unknown key \"" + key + "\" (expected one of: " + list + ")");
        }
    }
}

}  // namespace relaylab
