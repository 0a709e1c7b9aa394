// libFuzzer target: what `relaylab explain` runs on a text — diag::read_any (the relaylab JSON line,
// bounce, Postfix log and Exim log readers, in its order), then each reader and reason reader on its
// own, then the explanation in English and Japanese, rendered as text and as JSON. Checks what the
// readers promise: what they read is part of the input (never longer than it), replies have a valid
// code, an inferred stage is a stage, "can tell" only when the finding makes an outcome, and the
// output grows at most linearly with the input. Valid UTF-8 in must stay valid UTF-8 in the JSON.
#include "diagnosis/bounce_reader.hpp"
#include "diagnosis/explanation.hpp"
#include "diagnosis/finding.hpp"
#include "diagnosis/log_reader.hpp"
#include "diagnosis/verdict.hpp"
#include "fuzz/fuzz_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using namespace relaylab;
using namespace relaylab::diag;

namespace {

// Readers may join folded lines and add their own words to `found`; a finding never holds more
// entries than the readers have places that add one.
constexpr std::size_t max_found_entries = 32;
constexpr std::size_t found_overhead = 128;
// Values are cut from the input after its charset is decoded to UTF-8: a byte becomes at most 3
// (a half-width katakana from Shift_JIS, or U+FFFD for a byte that decodes to nothing).
constexpr std::size_t decoded_growth = 3;
// The explanation adds fixed sentences (a few hundred bytes each, in two languages) around what was
// read: linear in the input, with room for JSON's \u00XX escapes.
constexpr std::size_t output_per_input_byte = 64;
constexpr std::size_t output_overhead = 64 * 1024;

bool valid_utf8(const std::string& s) {
    try {
        (void)nlohmann::json(s).dump();
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}

void check_finding(const Finding& f, std::size_t input_size) {
    FUZZ_CHECK(!to_string(f.source).empty());
    // Every value a reader keeps is cut, unfolded or unescaped from the decoded input: never longer.
    const std::size_t decoded = decoded_growth * input_size;
    for (const std::string* s : {&f.sender, &f.recipient, &f.remote_host, &f.remote_ip, &f.dns_name,
                                 &f.reported_status})
        FUZZ_CHECK(s->size() <= decoded);
    // The action is cut from the input, except for Exim's markers (**, ==, =>), which the reader
    // names itself: "deferred" for a five-byte line with "==" (the first 10-minute run found that
    // the harness, not the reader, was wrong here).
    constexpr std::size_t longest_exim_action = sizeof "delivered" - 1;
    FUZZ_CHECK(f.action.size() <= std::max(decoded, longest_exim_action));
    FUZZ_CHECK(f.found.size() <= max_found_entries);
    for (const auto& w : f.found) FUZZ_CHECK(w.size() <= 2 * decoded + found_overhead);
    if (f.stage_inferred) FUZZ_CHECK(f.stage.has_value());
    if (f.reply) {
        FUZZ_CHECK(f.reply->code >= 200 && f.reply->code <= 599);
        FUZZ_CHECK(!f.reply->lines.empty());
        for (const auto& l : f.reply->lines) FUZZ_CHECK(l.size() <= decoded);
        if (f.reply->enhanced) FUZZ_CHECK(f.reply->enhanced->klass == f.reply->code / 100);
        FUZZ_CHECK(f.reply->one_line().size() <= decoded + found_overhead);
    }
}

void check_explanation(const Finding& f, gw::Language lang, std::size_t input_size, bool utf8_in) {
    const Explanation e = explain(f, lang);
    FUZZ_CHECK(e.finding.source == f.source);
    FUZZ_CHECK(!e.what_failed.empty());
    // explain tells exactly when the verdict does; since verdicts need no stage (a status or a reply
    // alone can be enough), a finding without an outcome may be told too.
    FUZZ_CHECK(e.can_tell() == classify_finding(f).has_value());
    if (e.can_tell()) {
        const int klass = e.classification->status.klass;
        // Reports that are no failure (auto-replies, abuse feedback) carry no RFC 3463 status.
        const auto failure = e.classification->failure;
        const bool no_status = failure == gw::FailureClass::AutoReply || failure == gw::FailureClass::AbuseFeedback;
        FUZZ_CHECK(klass == 2 || klass == 4 || klass == 5 || (klass == 0 && no_status));
        FUZZ_CHECK(!e.meaning.empty());
    }
    const std::size_t bound = output_per_input_byte * input_size + output_overhead;
    FUZZ_CHECK(render_text(e, lang).size() <= bound);
    const nlohmann::json j = to_json(e);
    // `relaylab explain --json` dumps with the strict handler: a reader that cuts a UTF-8 sequence in
    // two would make it throw. Bytes that were never UTF-8 are checked with replacement instead.
    const std::string out =
        utf8_in ? j.dump(2) : j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    FUZZ_CHECK(out.size() <= bound);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const bool utf8_in = valid_utf8(std::string(text));

    // The path `relaylab explain` takes.
    const Finding any = read_any(text);
    check_finding(any, size);
    FUZZ_CHECK(read_any(text).source == any.source);  // deterministic
    for (const auto lang : {gw::Language::En, gw::Language::Ja}) check_explanation(any, lang, size, utf8_in);

    // Each reader on its own: read_any stops at the first that recognises the text, so a later one
    // would otherwise never see a text an earlier one took.
    if (auto f = read_relaylab_json(text)) {
        FUZZ_CHECK(f->source == SourceKind::RelaylabJson);
        check_finding(*f, size);
        check_explanation(*f, gw::Language::En, size, utf8_in);
    }
    if (auto f = read_postfix_log(text)) {
        FUZZ_CHECK(f->source == SourceKind::PostfixLog);
        check_finding(*f, size);
        check_explanation(*f, gw::Language::En, size, utf8_in);
    }
    if (auto f = read_exim_log(text)) {
        FUZZ_CHECK(f->source == SourceKind::EximLog);
        check_finding(*f, size);
        check_explanation(*f, gw::Language::En, size, utf8_in);
    }
    if (auto f = read_bounce(text)) {
        check_finding(*f, size);
        check_explanation(*f, gw::Language::Ja, size, utf8_in);
    }
    (void)looks_like_message(text);

    // The reason readers and small parsers on the raw text, as a bounce's per-recipient words.
    Finding postfix;
    postfix.recipient = "bob@isp.example";
    if (read_postfix_reason(text, postfix)) check_explanation(postfix, gw::Language::En, size, utf8_in);
    Finding exim;
    exim.recipient = "bob@isp.example";
    if (read_exim_reason(text, exim)) check_explanation(exim, gw::Language::Ja, size, utf8_in);
    if (auto r = parse_reply_text(text)) {
        FUZZ_CHECK(r->code >= 200 && r->code <= 599);
        FUZZ_CHECK(!r->lines.empty());  // a multi-line reply keeps one entry per line
        for (const auto& l : r->lines) FUZZ_CHECK(l.size() <= size);
    }
    (void)stage_from_command(text);
    std::string host, ip;
    split_peer(text, host, ip);
    FUZZ_CHECK(host.size() + ip.size() <= size);
    return 0;
}
