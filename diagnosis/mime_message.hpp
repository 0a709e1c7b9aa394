// A bounce's MIME structure as the readers need it, read with GMime: the top-level header fields
// (RFC 2047 decoded), the human-readable text parts decoded to UTF-8 (transfer encodings and
// charsets, ISO-2022-JP / Shift_JIS / EUC-JP too), the machine-readable report parts
// (message/delivery-status, message/feedback-report) and the returned message's header fields.
// GMime stays behind this header: nothing above diagnosis sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

// Bounds on what one message may make the MIME reader do (a bounce is small; anything beyond is hostile).
inline constexpr std::size_t max_mime_parts = 64;          // leaf parts read
inline constexpr std::size_t max_mime_nesting = 16;        // multiparts and messages inside each other
inline constexpr std::size_t max_part_text_octets = 256 * 1024;  // decoded text kept per part
inline constexpr std::size_t max_header_fields = 256;      // top-level or returned header fields kept

struct HeaderField {
    std::string name;   // lower-cased: "subject"
    std::string value;  // unfolded, RFC 2047 decoded, UTF-8
};

// The value of the first field called `name` (lower-case), or "".
std::string_view field_value(const std::vector<HeaderField>& fields, std::string_view name);

struct MimeMessage {
    bool is_mime = false;                  // GMime parsed a header block (false: plain pasted text)
    std::vector<HeaderField> headers;      // the top-level message's fields
    std::string content_type;              // "multipart/report" (lower-case)
    std::string report_type;               // multipart/report's report-type parameter, lower-cased
    std::vector<std::string> texts;        // text/* parts outside the returned message, in order, UTF-8
    std::vector<std::string> delivery_status;  // message/(global-)delivery-status bodies, decoded
    std::string feedback_report;           // message/feedback-report body (RFC 5965)
    std::vector<HeaderField> returned;     // header fields of the returned message (message/rfc822 or text/rfc822-headers)
    bool truncated = false;                // a bound above cut something off
};

// Never throws; input beyond max_input_octets is not read.
MimeMessage read_mime(std::string_view message);

// Bytes in `charset` (or guessed when empty, wrong or unknown) as UTF-8; invalid bytes are dropped.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace relaylab::diag
