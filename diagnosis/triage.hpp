// Batch triage: every recipient of every input read and classified (one record each, the line of
// `relaylab explain --jsonl`), and the summary a support lead reads (`relaylab triage`): counts by
// reason, stage, recipient domain and remote host, the share that cannot be told, and the bounces
// whose own words mislabel the cause — words claiming "Host unknown" over a sender refused at MAIL
// FROM are judged as `relaylab audit` judges a policy's words: gw::claim_is_true against the truth.
#pragma once

#include "diagnosis/batch.hpp"
#include "diagnosis/finding.hpp"
#include "taxonomy/classify.hpp"
#include "address/language.hpp"
#include "bounce/policy.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// Rows per table in the text summary (the JSON summary has every row).
inline constexpr std::size_t triage_top_rows = 15;
// Examples listed per finding kind (mislabels, cannot tell, unreadable) in the text summary.
inline constexpr std::size_t triage_listed_examples = 20;
// Examples kept per kind for the JSON summary; the counts are always complete.
inline constexpr std::size_t triage_kept_examples = 1000;

// A cause that a bounce's own words claim, and the words that claim it ("Host Unknown").
struct WordsClaim {
    gw::Claim claim;
    std::string words;
    friend bool operator==(const WordsClaim&, const WordsClaim&) = default;
};

// The causes a human-readable text claims (UTF-8). Lines quoting the remote's SMTP reply (a line
// with a reply code, and the indented lines that continue it) are the remote's words, not the
// bounce's: they are skipped.
std::vector<WordsClaim> claims_in_words(std::string_view text);
// The causes a message's own words claim for one recipient: its Subject and its text parts (not
// the returned message). In a report about several recipients only lines naming that recipient count.
std::vector<WordsClaim> claims_of_message(std::string_view message, std::string_view recipient);

struct TriageRecord {
    std::string input;  // "path" or "path#N"
    Finding finding;
    std::optional<gw::Classification> classification;  // absent: cannot tell
    std::vector<WordsClaim> false_claims;              // the bounce's own words that mislabel the cause
    bool truncated = false;                            // the input was cut at max_input_octets
    std::string error;                                 // the input could not be read
    bool can_tell() const { return classification.has_value(); }
};

// One record per recipient the input reports on (diag::read_all), or one error record. With
// judge_words, a failure's words are set against its classification (false_claims).
std::vector<TriageRecord> triage_input(const BatchInput& input, bool judge_words = true);

// The object of one `explain --jsonl` line (docs/triage.md lists its fields).
nlohmann::json to_json(const TriageRecord& r);
// The reason a record counts under: the classification's, or "undefined" when it cannot tell.
std::string_view reason_name(const TriageRecord& r);

class TriageSummary {
public:
    void add(const TriageRecord& r);
    void add_input() { ++inputs_; }  // once per message read (records may be several)
    nlohmann::json to_json() const;
    std::string render(gw::Language lang) const;
    std::size_t unreadable() const { return unreadable_; }

private:
    struct Example {
        std::string input, recipient;
        std::string words;  // mislabels: the claiming words; cannot tell: what was found; unreadable: the error
        std::string truth;  // mislabels: "sender_rejected 5.1.7"
        std::string command, reply;
    };
    std::size_t inputs_ = 0, recipients_ = 0, can_tell_ = 0, unreadable_ = 0, truncated_ = 0, mislabels_ = 0;
    std::map<std::string, std::size_t> by_reason_, by_report_, by_stage_, by_domain_, by_remote_, by_actor_;
    std::vector<Example> mislabel_examples_, cannot_tell_examples_, unreadable_examples_;
};

}  // namespace relaylab::diag
