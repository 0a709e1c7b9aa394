// Reads a bounce: an RFC 3464 delivery-status report (relaylab's notices, Postfix, Exim, Sendmail)
// and the human part's wording of each of those MTAs, into a Finding. The delivery-status fields
// are read first (they are the standard); the MTA's own words add the stage where the DSN has none.
#pragma once

#include "diagnosis/finding.hpp"

#include <optional>
#include <string_view>

namespace relaylab::diag {

// True when the text starts with an RFC 5322 header field ("Name: value").
bool looks_like_message(std::string_view text);

// nullopt when neither a delivery-status part nor any known bounce wording is found.
std::optional<Finding> read_bounce(std::string_view message);

}  // namespace relaylab::diag
