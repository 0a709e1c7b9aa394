// The fields of a message/delivery-status body (RFC 3464 §2.1): one per-message block, then one
// block per recipient, each a group of header-style fields separated by blank lines.
#pragma once

#include "diagnosis/mime_message.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// A report about more recipients than this is cut: no real bounce lists so many.
inline constexpr std::size_t max_dsn_recipients = 500;

struct DeliveryStatus {
    std::vector<HeaderField> per_message;                // Reporting-MTA, Arrival-Date, X-Postfix-Sender, ...
    std::vector<std::vector<HeaderField>> recipients;    // Final-Recipient, Action, Status, Diagnostic-Code, ...
};

// Unfolds continuation lines (RFC 5322 §2.2.3: CRLF + WSP becomes the WSP), lower-cases names and
// keeps the values' text. Lines without a colon are skipped; a block with no field is no block.
DeliveryStatus read_delivery_status(std::string_view body);

// Header-style fields of one block starting at `pos`, up to the first blank line (moved past it).
std::vector<HeaderField> read_field_block(std::string_view text, std::size_t& pos);

// "rfc822; user@isp.example" → "user@isp.example"; "dns; mx1.isp.example" → "mx1.isp.example".
std::string typed_value(std::string_view value);
// "smtp; 550 …" → "smtp"; "X-Postfix; …" → "x-postfix"; "" without a type.
std::string value_type(std::string_view value);

}  // namespace relaylab::diag
