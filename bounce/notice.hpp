// The handset's notice: a complete RFC 5322 message, multipart/report (RFC 6522) with the policy's
// words as the human part, a truthful message/delivery-status part (RFC 3464) and the original
// headers (text/rfc822-headers). Pure: every value (time, sequence, host name) comes from the caller,
// so the same inputs give the same bytes in scenario mode.
#pragma once

#include "clock/clock.hpp"
#include "bounce/charset.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::gw {

// Limits on what goes into a notice; beyond them text is cut (never a failure).
inline constexpr std::size_t kMaxNoticeSubjectOctets = 512;
inline constexpr std::size_t kMaxNoticeBodyOctets = 64 * 1024;
// Postfix's header_size_limit is 100 KiB; a notice quotes less.
inline constexpr std::size_t kMaxQuotedHeaderOctets = 32 * 1024;
inline constexpr std::size_t kMaxNoticeRecipients = 1000;
// RFC 5322 §2.1.1: lines SHOULD be ≤ 78 characters and MUST be ≤ 998 octets.
inline constexpr std::size_t kPreferredLineOctets = 78;
inline constexpr std::size_t kMaxLineOctets = 998;
// RFC 2045 §6.8: base64 lines are at most 76 characters.
inline constexpr std::size_t kBase64LineChars = 76;

// RFC 3464 §2.3.3.
enum class DsnAction { Failed, Delayed, Delivered, Relayed, Expanded };
std::string_view to_string(DsnAction a);  // "failed", "delayed", ...

// How a UTF-8 human part travels (RFC 2045 §6): base64 is safe through any relay, 8bit is readable.
enum class Utf8Transfer { Base64, EightBit };

// One recipient's truth, RFC 3464 §2.3.
struct NoticeRecipient {
    std::string final_recipient;     // the address as given in RCPT TO, "user@isp.example"
    std::string original_recipient;  // optional, RFC 3464 §2.3.1
    DsnAction action = DsnAction::Failed;
    std::string status;              // RFC 3463 code, "5.1.7"
    std::string remote_mta;          // host name, empty when no host was reached (DNS failure)
    std::string remote_mta_ip;       // optional; written as X-Remote-MTA-IP (RFC 3464 §3 extension)
    // Verbatim, "smtp; 553 malformed address"; line breaks of a multi-line reply become spaces.
    std::string diagnostic_code;
    std::optional<TimePoint> last_attempt;
    std::optional<TimePoint> will_retry_until;  // for Action: delayed
};

struct HandsetNotice {
    std::string from_address;        // the gateway's MAILER-DAEMON@host
    std::string from_display_name = "Mail Delivery System";
    std::string to_address;          // the handset
    TimePoint date{};                // Date: and the Message-ID's time
    std::uint64_t sequence = 0;      // distinguishes notices made in the same second
    std::string hostname;            // Message-ID and boundary right-hand side
    std::string subject;             // UTF-8, from the policy
    std::string body;                // UTF-8, from the policy; lines end in LF (or CRLF)
    Charset charset = Charset::Iso2022Jp;
    Utf8Transfer utf8_transfer = Utf8Transfer::Base64;
    std::string original_headers;    // the failed message's header section, as received
    std::string reporting_mta;       // RFC 3464 §2.2.2, dns; host
    std::optional<TimePoint> arrival_date;
    std::string original_envelope_id;  // optional, RFC 3464 §2.2.1
    std::vector<NoticeRecipient> recipients;
};

struct NoticeMessage {
    std::string bytes;          // the whole message, CRLF line ends
    std::string message_id;     // "<...>" as in the Message-ID: field
    std::string boundary;
    std::size_t replaced = 0;   // characters ISO-2022-JP could not carry (written as "〓")
    bool truncated = false;     // some input went past a kMax* limit
};

// "<20090601100000.000042@gw.example>": time and sequence make it unique per host (RFC 5322 §3.6.4).
std::string notice_message_id(TimePoint date, std::uint64_t sequence, std::string_view hostname);

NoticeMessage render_notice(const HandsetNotice& notice);

}  // namespace relaylab::gw
