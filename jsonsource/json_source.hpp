// JSON files that people write (configs, scenarios, policies, zones): parsed with nlohmann/json,
// and every error — syntax or meaning — reported as "file:line:col: message" at the offending key.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relaylab {

// An error in a JSON file people wrote. what() is "file:line:col: message".
class JsonSourceError : public std::runtime_error {
public:
    JsonSourceError(std::string file, std::size_t line, std::size_t col, std::string message);
    const std::string& file() const { return file_; }
    std::size_t line() const { return line_; }
    std::size_t column() const { return col_; }
    const std::string& message() const { return message_; }

private:
    std::string file_;
    std::size_t line_, col_;
    std::string message_;
};

// Files larger than this are refused before parsing (a config or scenario is never that big).
inline constexpr std::size_t max_json_source_bytes = 16 * 1024 * 1024;

class JsonSource {
public:
    // Parses `text`; `name` is what errors call the file. Throws JsonSourceError on a syntax error.
    JsonSource(std::string name, std::string text);
    // Reads and parses a file. Throws JsonSourceError (unreadable, too large, syntax).
    static JsonSource load(const std::filesystem::path& path);

    const nlohmann::json& root() const { return root_; }
    const std::string& name() const { return name_; }
    const std::string& text() const { return text_; }

    // An error located at the value (or, for a key, the key) that `pointer` names. Falls back to
    // the nearest enclosing value that exists in the text.
    JsonSourceError error_at(const nlohmann::json::json_pointer& pointer, const std::string& message) const;
    // Byte offset where the value at `pointer` starts (for an object member: where its key starts).
    std::optional<std::size_t> offset_of(const nlohmann::json::json_pointer& pointer) const;
    // 1-based line and column of a byte offset.
    std::pair<std::size_t, std::size_t> line_col(std::size_t offset) const;

    // Throws error_at(...) naming the first key of `object` (at `pointer`) not in `allowed`.
    void reject_unknown_keys(const nlohmann::json::json_pointer& pointer,
                             std::initializer_list<std::string_view> allowed) const;

private:
    std::size_t token_start(std::size_t at) const;
    std::string name_;
    std::string text_;
    nlohmann::json root_;
};

}  // namespace relaylab
