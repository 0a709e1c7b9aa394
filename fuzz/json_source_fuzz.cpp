// libFuzzer target: JsonSource, the reader of every JSON file people write. Syntax errors must be a
// JsonSourceError with a line:col inside the text; for a document that parses, every JSON pointer
// into it must map back to a place in the text (error_at never throws, never points outside).
#include "fuzz/fuzz_check.hpp"
#include "jsonsource/json_source.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace relaylab;
using nlohmann::json;

namespace {

void visit(const JsonSource& src, const json& value, const json::json_pointer& at, int depth) {
    if (depth > 8) return;
    auto offset = src.offset_of(at);
    if (offset) FUZZ_CHECK(*offset <= src.text().size());
    auto err = src.error_at(at, "x");
    FUZZ_CHECK(err.line() >= 1 && err.column() >= 1);
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) visit(src, it.value(), at / it.key(), depth + 1);
        src.reject_unknown_keys(at, {}) ;
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size() && i < 16; ++i) visit(src, value[i], at / i, depth + 1);
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        JsonSource src("fuzz.json", text);
        try {
            visit(src, src.root(), json::json_pointer(), 0);
        } catch (const JsonSourceError& e) {
            // reject_unknown_keys throws for a non-empty object: expected.
            FUZZ_CHECK(e.line() >= 1);
        }
    } catch (const JsonSourceError& e) {
        FUZZ_CHECK(e.line() >= 1 && e.column() >= 1);
    }
    return 0;
}
