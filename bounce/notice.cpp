#include "bounce/notice.hpp"

#include "address/address.hpp"
#include "clock/duration.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace relaylab::gw {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// RFC 5322 §3.2.3 atext.
bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') return false;
        } else if (!is_atext(s[i])) {
            return false;
        }
    }
    return true;
}

// A field value on one line: no CR/LF (header injection), no other controls, bounded.
std::string one_line(std::string_view s, std::size_t max = kMaxLineOctets) {
    std::string out;
    char prev = 0;
    for (char c : s) {
        if (out.size() >= max) break;
        bool line_break = c == '\r' || c == '\n';
        bool after_break = prev == '\r' || prev == '\n';
        prev = c;
        if (line_break && after_break) continue;  // a multi-line reply's CRLF is one space
        if (line_break || c == '\t') {
            out += ' ';
        } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) {
            out += c;
        }
    }
    return out;
}

// Non-ASCII in a DSN field: RFC 3464 fields are US-ASCII.
std::string ascii_only(std::string_view s) {
    std::string out = one_line(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    return out;
}

// RFC 6533 §3 utf-8-addr-xtext: non-ASCII characters as \x{HHHH}, so the field stays ASCII.
std::string dsn_address(std::string_view address) {
    std::string clean = sanitize_text(one_line(address));
    std::string out;
    for (std::string_view ch : utf8_characters(clean)) {
        auto b = [&](std::size_t k) { return static_cast<unsigned char>(ch[k]) & 0x3Fu; };
        unsigned cp = static_cast<unsigned char>(ch[0]);
        if (ch.size() == 1) {
            if (ch[0] == '\\') {
                out += "\\x{5C}";
            } else {
                out += ch;
            }
            continue;
        }
        if (ch.size() == 2) cp = ((cp & 0x1Fu) << 6) | b(1);
        if (ch.size() == 3) cp = ((cp & 0x0Fu) << 12) | (b(1) << 6) | b(2);
        if (ch.size() == 4) cp = ((cp & 0x07u) << 18) | (b(1) << 12) | (b(2) << 6) | b(3);
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\x{%X}", cp);
        out += buf;
    }
    return out;
}

bool has_non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// RFC 6533 §3: a UTF-8 address (RFC 6531) is of address type "utf-8", written in the ASCII
// delivery-status part as utf-8-addr-xtext; an ASCII one stays "rfc822" (RFC 3464 §2.3.2).
std::string address_type(std::string_view address) { return has_non_ascii(address) ? "utf-8; " : "rfc822; "; }

// addr-spec for a header (RFC 5322 §3.4.1): a local part that is not a dot-atom
// ("p..q.", the 2009 handsets) is written as a quoted-string.
std::string header_address(std::string_view address) {
    std::string a = one_line(address);
    std::size_t at = a.rfind('@');
    if (at == std::string::npos) return a;
    std::string_view local = std::string_view(a).substr(0, at);
    if (is_dot_atom(local) || (local.size() >= 2 && local.front() == '"' && local.back() == '"')) return a;
    std::string q = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    q += '"';
    return q + a.substr(at);
}

// Letters, digits, '.' and '-' only; what a host name may contribute to a Message-ID or boundary.
std::string host_token(std::string_view host) {
    std::string out;
    for (char c : host) {
        if (out.size() >= 64) break;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-')
            out += c;
    }
    while (!out.empty() && out.front() == '.') out.erase(0, 1);
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out.empty() ? "localhost" : out;
}

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// RFC 5322 §2.2.3 folding: break before a space so lines stay ≤ 78 where a space allows it; a
// word too long for 998 octets is cut (with an inserted space) rather than break the hard limit.
std::string fold_field(std::string_view name, std::string_view value) {
    std::string out;
    std::string line = std::string(name) + ":";
    bool line_has_word = false;
    std::size_t i = 0;
    while (true) {
        std::size_t sp = value.find(' ', i);
        std::string_view word = value.substr(i, sp == std::string_view::npos ? std::string_view::npos : sp - i);
        std::string piece = " " + std::string(word);
        if (line_has_word && line.size() + piece.size() > kPreferredLineOctets) {
            out += line;
            out += kCrlf;
            line.clear();
        }
        line += piece;
        line_has_word = true;
        while (line.size() > kMaxLineOctets) {
            out += line.substr(0, kMaxLineOctets);
            out += kCrlf;
            line = " " + line.substr(kMaxLineOctets);
        }
        if (sp == std::string_view::npos) break;
        i = sp + 1;
    }
    out += line;
    out += kCrlf;
    return out;
}

// Cut UTF-8 text to at most `max` octets, on a character boundary.
std::string cut_text(std::string_view text, std::size_t max, bool& truncated) {
    if (text.size() <= max) return std::string(text);
    truncated = true;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end));
}

std::string subject_field(std::string_view subject, Charset charset, std::size_t& replaced, bool& truncated) {
    std::string s = sanitize_text(subject);
    for (char& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    s = cut_text(s, kMaxNoticeSubjectOctets, truncated);
    bool plain = s.find("=?") == std::string::npos;
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) plain = false;
    if (plain) return fold_field("Subject", s);
    // RFC 2047 §2: a line holding encoded-words is at most 76 characters; "Subject: " takes 9.
    EncodedWords w = encoded_words(s, charset, 76 - std::string_view("Subject: ").size());
    replaced += w.replaced;
    std::string out = "Subject: ";
    for (std::size_t k = 0; k < w.words.size(); ++k) {
        if (k > 0) out += "\r\n ";
        out += w.words[k];
    }
    return out + std::string(kCrlf);
}

struct HumanPart {
    std::string headers;
    std::string body;
    bool eight_bit = false;
};

HumanPart human_part(const HandsetNotice& n, std::size_t& replaced, bool& truncated) {
    std::string text = cut_text(sanitize_text(n.body), kMaxNoticeBodyOctets, truncated);
    if (text.empty() || text.back() != '\n') text += '\n';
    HumanPart p;
    std::string charset(mime_name(n.charset));
    p.headers = "Content-Description: Notification\r\nContent-Type: text/plain; charset=" + charset + "\r\n";
    if (n.charset == Charset::Utf8 && n.utf8_transfer == Utf8Transfer::Base64) {
        std::string crlf_text;
        for (char c : text) {
            if (c == '\n') crlf_text += '\r';
            crlf_text += c;
        }
        std::string b = base64(crlf_text);
        for (std::size_t i = 0; i < b.size(); i += kBase64LineChars) {
            p.body += b.substr(i, kBase64LineChars);
            p.body += kCrlf;
        }
        p.headers += "Content-Transfer-Encoding: base64\r\n";
        return p;
    }
    // Line by line, so each ISO-2022-JP line returns to ASCII before its CRLF (RFC 1468 §3).
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t nl = text.find('\n', start);
        EncodedPieces lines = encode_pieces(std::string_view(text).substr(start, nl - start), n.charset, kMaxLineOctets);
        replaced += lines.replaced;
        for (const std::string& l : lines.pieces) {
            p.body += l;
            p.body += kCrlf;
        }
        start = nl + 1;
    }
    p.eight_bit = n.charset == Charset::Utf8;
    p.headers += p.eight_bit ? "Content-Transfer-Encoding: 8bit\r\n" : "Content-Transfer-Encoding: 7bit\r\n";
    return p;
}

std::string delivery_status(const HandsetNotice& n, bool& truncated) {
    std::string s;
    s += fold_field("Reporting-MTA", "dns; " + ascii_only(n.reporting_mta.empty() ? n.hostname : n.reporting_mta));
    if (!n.original_envelope_id.empty()) s += fold_field("Original-Envelope-Id", ascii_only(n.original_envelope_id));
    if (n.arrival_date) s += fold_field("Arrival-Date", format_rfc5322(*n.arrival_date));
    std::size_t count = 0;
    for (const NoticeRecipient& r : n.recipients) {
        if (++count > kMaxNoticeRecipients) {
            truncated = true;
            break;
        }
        s += kCrlf;  // RFC 3464 §2.1: a blank line before each recipient's fields
        if (!r.original_recipient.empty())
            s += fold_field("Original-Recipient", address_type(r.original_recipient) + dsn_address(r.original_recipient));
        s += fold_field("Final-Recipient", address_type(r.final_recipient) + dsn_address(r.final_recipient));
        s += fold_field("Action", to_string(r.action));
        s += fold_field("Status", ascii_only(r.status));
        if (!r.remote_mta.empty()) {
            s += fold_field("Remote-MTA", "dns; " + ascii_only(r.remote_mta));
        } else if (!r.remote_mta_ip.empty()) {
            // RFC 3464 §2.3.5 names the MTA; without a name, its address literal (RFC 5321 §4.1.3).
            s += fold_field("Remote-MTA", "dns; " + address_literal(ascii_only(r.remote_mta_ip)));
        }
        if (!r.diagnostic_code.empty()) s += fold_field("Diagnostic-Code", ascii_only(r.diagnostic_code));
        if (r.last_attempt) s += fold_field("Last-Attempt-Date", format_rfc5322(*r.last_attempt));
        if (r.will_retry_until) s += fold_field("Will-Retry-Until", format_rfc5322(*r.will_retry_until));
        // RFC 3464 §3: extension fields carry what the standard ones do not, here the address tried.
        if (!r.remote_mta_ip.empty() && !r.remote_mta.empty())
            s += fold_field("X-Remote-MTA-IP", ascii_only(r.remote_mta_ip));
    }
    return s;
}

struct QuotedHeaders {
    std::string text;
    bool eight_bit = false;
};

// The header section only (up to the first empty line), CRLF line ends, bounded, each line ≤ 998.
QuotedHeaders quoted_headers(std::string_view raw, bool& truncated) {
    QuotedHeaders q;
    std::size_t start = 0;
    while (start < raw.size()) {
        std::size_t nl = raw.find('\n', start);
        std::string_view line = raw.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        start = nl == std::string_view::npos ? raw.size() : nl + 1;
        std::string clean;
        for (char c : line)
            if (c != '\r' && c != '\0') clean += c;
        if (clean.empty()) break;  // end of the header section
        std::string folded;
        while (clean.size() > kMaxLineOctets) {
            folded += clean.substr(0, kMaxLineOctets) + std::string(kCrlf);
            clean = " " + clean.substr(kMaxLineOctets);
        }
        folded += clean + std::string(kCrlf);
        if (q.text.size() + folded.size() > kMaxQuotedHeaderOctets) {
            truncated = true;
            break;
        }
        q.text += folded;
    }
    for (char c : q.text)
        if (static_cast<unsigned char>(c) >= 0x80) q.eight_bit = true;
    return q;
}

}  // namespace

std::string_view to_string(DsnAction a) {
    switch (a) {
    case DsnAction::Failed: return "failed";
    case DsnAction::Delayed: return "delayed";
    case DsnAction::Delivered: return "delivered";
    case DsnAction::Relayed: return "relayed";
    case DsnAction::Expanded: return "expanded";
    }
    return "failed";
}

std::string notice_message_id(TimePoint date, std::uint64_t sequence, std::string_view hostname) {
    std::time_t t = static_cast<std::time_t>(unix_seconds(date));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "<%04d%02d%02d%02d%02d%02d.%06llu@", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<unsigned long long>(sequence));
    return buf + host_token(hostname) + ">";
}

NoticeMessage render_notice(const HandsetNotice& notice) {
    // RFC 6533 / RFC 6532: a notice about UTF-8 addresses is written in UTF-8 (subject and text);
    // ISO-2022-JP cannot carry every character such an address may hold.
    bool utf8_addresses = has_non_ascii(notice.to_address) ||
                          std::any_of(notice.recipients.begin(), notice.recipients.end(), [](const NoticeRecipient& x) {
                              return has_non_ascii(x.final_recipient) || has_non_ascii(x.original_recipient);
                          });
    HandsetNotice utf8_copy;
    if (utf8_addresses && notice.charset != Charset::Utf8) {
        utf8_copy = notice;
        utf8_copy.charset = Charset::Utf8;
    }
    const HandsetNotice& n = utf8_addresses && notice.charset != Charset::Utf8 ? utf8_copy : notice;
    NoticeMessage r;
    r.message_id = notice_message_id(n.date, n.sequence, n.hostname);

    HumanPart human = human_part(n, r.replaced, r.truncated);
    std::string dsn = delivery_status(n, r.truncated);
    QuotedHeaders quoted = quoted_headers(n.original_headers, r.truncated);

    // RFC 2046 §5.1.1: the boundary must not occur in any part; derived from the inputs, so it
    // is the same on every run, and lengthened in the (unlikely) case a part contains it.
    std::string base = std::to_string(unix_seconds(n.date)) + "." + std::to_string(n.sequence) + "/" + host_token(n.hostname);
    base = base.substr(0, 60);
    r.boundary = base;
    for (int k = 1; human.body.find("--" + r.boundary) != std::string::npos ||
                    dsn.find("--" + r.boundary) != std::string::npos ||
                    quoted.text.find("--" + r.boundary) != std::string::npos;
         ++k)
        r.boundary = base + "=" + std::to_string(k);

    std::string& m = r.bytes;
    m += fold_field("Date", format_rfc5322(n.date));
    std::string from = header_address(n.from_address);
    std::string name = one_line(n.from_display_name, 64);
    bool name_is_phrase = !name.empty();
    for (char c : name)
        if (!is_atext(c) && c != ' ') name_is_phrase = false;
    if (!name.empty() && !name_is_phrase) {
        std::string quoted_name = "\"";
        for (char c : ascii_only(name)) {
            if (c == '"' || c == '\\') quoted_name += '\\';
            quoted_name += c;
        }
        name = quoted_name + "\"";
    }
    m += fold_field("From", name.empty() ? from : name + " <" + from + ">");
    m += fold_field("To", header_address(n.to_address));
    m += subject_field(n.subject, n.charset, r.replaced, r.truncated);
    m += fold_field("Message-ID", r.message_id);
    // RFC 3834 §5: a machine's reply; keeps vacation programs from answering it.
    m += "Auto-Submitted: auto-replied\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + r.boundary + "\"\r\n";
    bool eight_bit = human.eight_bit || quoted.eight_bit;
    m += eight_bit ? "Content-Transfer-Encoding: 8bit\r\n" : "Content-Transfer-Encoding: 7bit\r\n";
    m += kCrlf;
    m += "This is a MIME-encapsulated message.\r\n\r\n";

    m += "--" + r.boundary + "\r\n" + human.headers + "\r\n" + human.body + "\r\n";
    m += "--" + r.boundary + "\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n" +
         dsn + "\r\n";
    m += "--" + r.boundary + "\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n";
    if (quoted.eight_bit) m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n" + quoted.text + "\r\n";
    m += "--" + r.boundary + "--\r\n";
    return r;
}

}  // namespace relaylab::gw
