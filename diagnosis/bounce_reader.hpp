// Reads a bounce — a whole message (MIME parsed by GMime: encodings and charsets decoded) or its
// body pasted alone — into one Finding per recipient it reports on: the RFC 3464 delivery-status
// fields first (they are the standard), the reporter's own words (formats/) for the stage, the
// remote, the unfolded reply and whatever the fields leave open. Also success and delay DSNs,
// auto-replies (RFC 3834) and abuse feedback reports (RFC 5965).
#pragma once

#include "diagnosis/finding.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// True when the text starts with an RFC 5322 header field ("Name: value").
bool looks_like_message(std::string_view text);

// One Finding per recipient, in the report's order; empty when neither a report part nor any
// known bounce wording is found.
std::vector<Finding> read_bounces(std::string_view message);
// The first of read_bounces; nullopt when it is empty.
std::optional<Finding> read_bounce(std::string_view message);

}  // namespace relaylab::diag
