// One screen about one failed delivery: what failed (stage, remote, reply verbatim), what it means
// (RFC 3463 / RFC 5321 wording), the likely cause and what to do, in English or Japanese. The
// interpretation is taxonomy/classify's, applied to the outcome the reader found; nothing is guessed
// beyond it, and an input that says too little gets an honest "cannot tell".
#pragma once

#include "diagnosis/finding.hpp"
#include "taxonomy/classify.hpp"
#include "address/language.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relaylab::diag {

struct Explanation {
    Finding finding;
    std::optional<gw::Classification> classification;  // absent: cannot tell
    std::string what_failed;
    std::string meaning;
    std::string likely_cause;
    std::string what_to_do;
    std::vector<std::string> notes;  // discrepancies and inferences worth knowing
    bool can_tell() const { return classification.has_value(); }
};

Explanation explain(const Finding& finding, gw::Language lang);

// RFC 3463 §3 wording of a status ("5.1.7" → "Bad sender's mailbox address syntax").
std::string status_meaning(const gw::DsnStatus& s, gw::Language lang);
// RFC 5321 §4.2.2/§4.2.3 wording of a reply code (553 → "mailbox name not allowed").
std::string reply_code_meaning(int code, gw::Language lang);

// The class as a reader sees it: "mailbox_full" in English, "メールボックス満杯（mailbox_full）" in Japanese.
std::string class_label(gw::FailureClass f, gw::Language lang);
// Who must act, in words: "the recipient" / "宛先の方".
std::string actor_label(gw::Actor a, gw::Language lang);

std::string render_text(const Explanation& e, gw::Language lang);
nlohmann::json to_json(const Explanation& e);

}  // namespace relaylab::diag
