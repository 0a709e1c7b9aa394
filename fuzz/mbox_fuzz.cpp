// libFuzzer target: the mbox splitter behind `relaylab explain --jsonl` and `relaylab triage`
// (diag::MboxSplitter, RFC 4155 with mboxrd unquoting). The input's first byte picks a chunk size, so
// that separators, long lines and CRLF pairs fall across feed() calls. Checks what the splitter
// promises: any chunking gives the same messages as one feed; no message exceeds its cap and a cut
// one is marked; output is never longer than the input (separator lines are dropped, quoted
// ">From " lines lose one '>'); an mbox without a From_ line is one message or none.
#include "diagnosis/batch.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace relaylab::diag;

namespace {

// A small cap, so that cutting is exercised by inputs of a few kilobytes.
constexpr std::size_t small_cap = 512;

struct Split {
    std::vector<std::pair<std::string, bool>> messages;
};

Split split(std::string_view bytes, std::size_t chunk, std::size_t cap) {
    Split out;
    MboxSplitter s([&](std::string m, bool truncated) { out.messages.emplace_back(std::move(m), truncated); }, cap);
    while (!bytes.empty()) {
        const auto n = std::min(chunk, bytes.size());
        s.feed(bytes.substr(0, n));
        bytes.remove_prefix(n);
    }
    s.finish();
    FUZZ_CHECK(s.messages() == out.messages.size());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 17;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

    const auto whole = split(text, text.size() + 1, max_input_octets);
    const auto pieces = split(text, chunk, max_input_octets);
    FUZZ_CHECK(whole.messages == pieces.messages);  // chunking never changes the messages

    std::size_t total = 0;
    for (const auto& [m, truncated] : whole.messages) {
        FUZZ_CHECK(!truncated);  // the input is far below max_input_octets
        total += m.size();
    }
    FUZZ_CHECK(total <= text.size());
    if (!looks_like_mbox(text) && text.find("\nFrom ") == std::string_view::npos)
        FUZZ_CHECK(whole.messages.size() <= 1);

    // With a small cap: every message within it, a cut one marked, and the same count.
    const auto capped = split(text, chunk, small_cap);
    FUZZ_CHECK(capped.messages.size() == whole.messages.size());
    for (std::size_t i = 0; i < capped.messages.size(); ++i) {
        const auto& [m, truncated] = capped.messages[i];
        FUZZ_CHECK(m.size() <= small_cap);
        FUZZ_CHECK(truncated == (whole.messages[i].first.size() > small_cap));
        FUZZ_CHECK(whole.messages[i].first.starts_with(m));
    }

    // split_mbox is the same splitter.
    const auto plain = split_mbox(text);
    FUZZ_CHECK(plain.size() == whole.messages.size());
    return 0;
}
