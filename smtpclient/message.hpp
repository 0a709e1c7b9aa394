// One message for one SMTP transaction, and its DATA encoding (RFC 5321 §4.5.2).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

struct Message {
    // Sent verbatim between < and >: the caller decides whether a local part like "q." is quoted.
    std::string mail_from;
    std::vector<std::string> recipients;
    std::string body;  // RFC 5322 text (headers, blank line, body); any line ends
};

// The body as sent after DATA: line ends normalised to CRLF (bare LF and bare CR too), lines
// starting with "." doubled (RFC 5321 §4.5.2), a final CRLF added if missing, then ".\r\n".
std::string encode_data(std::string_view body);
// The size RFC 1870 §3 means: CRLF-normalised body, without dot-stuffing or the final dot.
std::size_t message_size(std::string_view body);
bool has_8bit(std::string_view text);
// CR, LF or NUL in an address would end the command early (command injection): refused locally.
bool unsafe_in_command(std::string_view address);

}  // namespace relaylab::smtp
