// libFuzzer target: the SMTP reply parser (RFC 5321 §4.2) fed arbitrary bytes, split at a point the
// input chooses, with small limits so that every limit is reached. Checks the parser's promises:
// it never takes more than it was given, never holds more than its limits, and stays failed.
#include "fuzz/fuzz_check.hpp"
#include "smtpclient/reply_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace relaylab::smtp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    ReplyLimits limits;
    limits.max_line_length = 64 + data[0] % 64;
    limits.max_lines = 1 + data[0] % 8;
    limits.max_reply_bytes = 256;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    ReplyParser parser(limits);
    std::size_t split = rest.empty() ? 0 : data[0] % rest.size();
    std::string_view parts[2] = {rest.substr(0, split), rest.substr(split)};
    for (std::string_view part : parts) {
        while (!part.empty()) {
            std::size_t used = parser.put(part);
            FUZZ_CHECK(used <= part.size());
            part.remove_prefix(used);
            if (auto reply = parser.take()) {
                FUZZ_CHECK(reply->code >= 200 && reply->code <= 599);
                FUZZ_CHECK(!reply->lines.empty() && reply->lines.size() <= limits.max_lines);
                for (const auto& l : reply->lines) FUZZ_CHECK(l.size() <= limits.max_line_length);
                (void)reply->one_line();
                continue;
            }
            if (parser.failed()) {
                FUZZ_CHECK(parser.put(part) == 0);  // sticky
                break;
            }
            if (used == 0) break;
        }
        if (parser.failed()) break;
    }
    (void)parse_enhanced_code(rest, 550);
    return 0;
}
