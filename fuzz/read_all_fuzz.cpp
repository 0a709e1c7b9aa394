// libFuzzer target: diag::read_all — every reader behind `relaylab explain`, `explain --jsonl` and
// `relaylab triage` (MIME through GMime with its transfer encodings and charsets, RFC 3464 reports
// with several recipients, the providers' and Japanese carriers' formats, log lines, bare replies).
// Checks what read_all promises: never empty, deterministic, one finding per recipient at most as many
// as the input could name, and every value bounded linearly by the input (decoding shrinks base64 and
// quoted-printable; a charset conversion to UTF-8 at most triples a byte); replies have a valid code.
#include "diagnosis/finding.hpp"
#include "fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace relaylab;
using namespace relaylab::diag;

namespace {

// UTF-8 from any charset: at most 3 bytes per input byte (plus a replacement character per
// undecodable one), and the readers' own words around it.
constexpr std::size_t growth = 4;
constexpr std::size_t overhead = 256;
constexpr std::size_t max_found_entries = 64;

void check(const Finding& f, std::size_t size) {
    const std::size_t bound = growth * size + overhead;
    FUZZ_CHECK(!to_string(f.source).empty());
    FUZZ_CHECK(!to_string(f.report).empty());
    for (const std::string* s : {&f.sender, &f.recipient, &f.remote_host, &f.remote_ip, &f.dns_name,
                                 &f.reported_status, &f.action, &f.diagnostic_text, &f.reporter})
        FUZZ_CHECK(s->size() <= bound);
    FUZZ_CHECK(f.found.size() <= max_found_entries);
    for (const auto& w : f.found) FUZZ_CHECK(w.size() <= 2 * bound);
    if (f.stage_inferred) FUZZ_CHECK(f.stage.has_value());
    if (f.reply) {
        FUZZ_CHECK(f.reply->code >= 200 && f.reply->code <= 599);
        FUZZ_CHECK(!f.reply->lines.empty());
        for (const auto& l : f.reply->lines) FUZZ_CHECK(l.size() <= bound);
        if (f.reply->enhanced) FUZZ_CHECK(f.reply->enhanced->klass == f.reply->code / 100);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto all = read_all(text);
    FUZZ_CHECK(!all.empty());
    FUZZ_CHECK(all.size() <= size / 8 + 1);  // a recipient takes more than 8 bytes to name
    for (const auto& f : all) check(f, size);
    const auto again = read_all(text);  // deterministic
    FUZZ_CHECK(again.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        FUZZ_CHECK(again[i].recipient == all[i].recipient);
        FUZZ_CHECK(again[i].source == all[i].source);
    }
    FUZZ_CHECK(read_any(text).recipient == all.front().recipient);
    return 0;
}
