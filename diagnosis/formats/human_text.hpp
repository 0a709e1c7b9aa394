// The generic reader of a bounce's human-readable words, driven by the tables in reporters.hpp:
// it cuts the text into one block per recipient named at the start of a line ("<bob@isp.example>:",
// "  bob@isp.example", "Recipient: <bob@…>"), then reads each block's evidence: the remote's reply
// (multi-line replies unfolded into their lines), the stage, the remote host, DNS and network
// failures, expiry — and keeps the reporter's own words when they are not an SMTP reply.
#pragma once

#include "diagnosis/finding.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace relaylab::diag::formats {

// The reporter's own words are kept up to this length (Finding::diagnostic_text).
inline constexpr std::size_t max_diagnostic_octets = 1024;
// Recipients read from one human-readable text.
inline constexpr std::size_t max_text_recipients = 500;

// One Finding per recipient the text names, in order (the same address twice is one block). A
// text that names none at the start of a line gives one Finding whose recipient comes from a
// sentence ("Your message to bob@… couldn't be delivered") or stays empty. `sender` is never
// taken for a recipient. Empty when the text holds no address and no evidence at all.
std::vector<Finding> read_human_text(std::string_view text, std::string_view sender);

// The evidence in one recipient's words, added to `f` where it is still unset.
void read_words(std::string_view words, Finding& f);

}  // namespace relaylab::diag::formats
