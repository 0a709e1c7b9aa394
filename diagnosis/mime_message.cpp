#include "diagnosis/mime_message.hpp"

#include "diagnosis/finding.hpp"
#include "diagnosis/mime_dsn.hpp"
#include "diagnosis/text.hpp"

#include <gmime/gmime.h>
#include <iconv.h>

#include <cerrno>

#include <memory>
#include <mutex>

namespace relaylab::diag {

namespace {

// One reference to a GObject, released on scope exit.
struct Unref {
    void operator()(gpointer p) const {
        if (p) g_object_unref(p);
    }
};
template <typename T>
using GPtr = std::unique_ptr<T, Unref>;

struct GFree {
    void operator()(gpointer p) const { g_free(p); }
};
using GString_ = std::unique_ptr<char, GFree>;

// Header fields with raw 8-bit bytes (Japanese carriers send them) are tried in these charsets.
GMimeParserOptions* parser_options() {
    static GMimeParserOptions* options = [] {
        g_mime_init();
        auto* o = g_mime_parser_options_new();
        const char* fallback[] = {"UTF-8", "CP932", "EUC-JP", nullptr};
        g_mime_parser_options_set_fallback_charsets(o, fallback);
        return o;
    }();
    return options;
}

// A stream with nothing in it, for the parser to hold between messages.
GMimeStream* empty_stream() {
    static GMimeStream* stream = [] {
        parser_options();  // g_mime_init first
        return g_mime_stream_mem_new();
    }();
    return stream;
}

// iconv names for the charsets Japanese mail declares: CP932 and ISO-2022-JP-2 are the supersets
// that real handsets and Windows clients actually write under the plain names.
std::string iconv_name(std::string_view declared) {
    const auto d = lower(trim(declared));
    if (d == "shift_jis" || d == "shift-jis" || d == "sjis" || d == "x-sjis" || d == "windows-31j" || d == "ms932" ||
        d == "cp932")
        return "CP932";
    if (d == "iso-2022-jp" || d == "iso-2022-jp-2" || d == "csiso2022jp") return "ISO-2022-JP-2";
    if (d == "euc-jp" || d == "x-euc-jp" || d == "eucjp") return "EUC-JP";
    if (d.empty() || d == "us-ascii" || d == "ascii" || d == "unknown-8bit" || d == "x-unknown") return "";
    const char* canon = g_mime_charset_iconv_name(d.c_str());
    return canon ? canon : d;
}

// Printable ASCII, tabs and line ends: text that reads the same in UTF-8 and in every ASCII-based
// charset below, so it needs neither the Japanese guess nor iconv (most of a bounce is such text).
bool plain_ascii(std::string_view s) {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x7f || (u < 0x20 && c != '\t' && c != '\n' && c != '\r')) return false;
    }
    return true;
}

// iconv names of charsets that keep printable ASCII as it is ("" is undeclared or us-ascii).
bool keeps_ascii(const std::string& iconv) {
    const auto n = lower(iconv);
    return n.empty() || n == "utf-8" || n == "cp932" || n == "iso-2022-jp-2" || n == "euc-jp" || n.starts_with("iso-8859-") ||
           n.starts_with("cp125");
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// Undeclared Japanese text: ISO-2022-JP is 7-bit with escapes. Shift_JIS and EUC-JP accept much
// of each other's bytes, so count the kana each would see (Japanese prose is full of them), then
// the byte pairs each would reject.
std::string guess_charset(std::string_view s) {
    if (contains(s, "\x1b$B") || contains(s, "\x1b$@") || contains(s, "\x1b(J")) return "ISO-2022-JP-2";
    bool high = false;
    for (const char c : s) high = high || (static_cast<unsigned char>(c) >= 0x80);
    if (!high || valid_utf8(s)) return "";
    std::size_t sjis_kana = 0, euc_kana = 0, sjis_bad = 0, euc_bad = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        const auto d = static_cast<unsigned char>(s[i + 1]);
        if ((c == 0xA4 || c == 0xA5) && d >= 0xA1 && d <= 0xF6) ++euc_kana;
        if ((c == 0x82 && d >= 0x9F && d <= 0xF1) || (c == 0x83 && d >= 0x40 && d <= 0x96)) ++sjis_kana;
        if (c >= 0x80 && !((c >= 0xA1 && c <= 0xFE && d >= 0xA1 && d <= 0xFE) || c == 0x8E)) ++euc_bad;
        if (((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) && !((d >= 0x40 && d <= 0x7E) || (d >= 0x80 && d <= 0xFC)))
            ++sjis_bad;
    }
    if (euc_kana != sjis_kana) return euc_kana > sjis_kana ? "EUC-JP" : "CP932";
    return euc_bad < sjis_bad ? "EUC-JP" : "CP932";
}

// Converts with iconv, dropping each byte it cannot convert; `bad` counts them.
std::string convert(std::string_view bytes, const std::string& from, std::size_t& bad) {
    bad = 0;
    iconv_t cd = iconv_open("UTF-8", from.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        bad = bytes.size() + 1;
        return std::string(bytes);
    }
    std::string out;
    out.reserve(bytes.size() * 2);
    char buf[4096];
    auto* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    while (in_left > 0) {
        char* o = buf;
        std::size_t o_left = sizeof buf;
        const auto r = iconv(cd, &in, &in_left, &o, &o_left);
        out.append(buf, static_cast<std::size_t>(o - buf));
        if (r == static_cast<std::size_t>(-1) && errno != E2BIG) {
            ++bad;
            ++in;
            --in_left;
            iconv(cd, nullptr, nullptr, nullptr, nullptr);  // back to the initial shift state
        }
    }
    char* o = buf;
    std::size_t o_left = sizeof buf;
    iconv(cd, nullptr, nullptr, &o, &o_left);
    out.append(buf, static_cast<std::size_t>(o - buf));
    iconv_close(cd);
    return out;
}

// Only the fields the readers use are decoded (RFC 2047 decoding of every Received: costs more
// than the rest of a bounce).
bool field_wanted(std::string_view name) {
    static constexpr std::string_view wanted[] = {
        "from", "to", "subject", "date", "message-id", "return-path", "auto-submitted", "precedence", "x-autoreply",
        "x-autorespond", "x-failed-recipients", "x-original-to", "delivered-to", "content-type"};
    for (const auto w : wanted)
        if (w == name) return true;
    return false;
}

// GMime 3.2 joins adjacent encoded-words of one charset before decoding them (to mend writers that
// split a character between words), which cuts the text at the first word's base64 '=' padding:
// "=?UTF-8?B?…44K5?= =?UTF-8?B?…?=" lost its second word. RFC 2047 §5 makes every word hold whole
// characters, so each is decoded alone; white space between two words is dropped (§6.2).
std::string decode_words(std::string_view raw) {
    std::string out, space;
    bool after_word = false;
    std::size_t i = 0;
    while (i < raw.size()) {
        // =?charset?E?text?= with no white space inside (§2).
        std::size_t end = std::string_view::npos;
        if (raw.compare(i, 2, "=?") == 0) {
            auto q1 = raw.find('?', i + 2);
            auto q2 = q1 == std::string_view::npos ? q1 : raw.find('?', q1 + 1);
            auto close = q2 == std::string_view::npos ? q2 : raw.find("?=", q2 + 1);
            if (close != std::string_view::npos && q2 == q1 + 2 &&
                raw.substr(i, close - i).find_first_of(" \t\r\n") == std::string_view::npos)
                end = close + 2;
        }
        if (end != std::string_view::npos) {
            if (!after_word) out += space;
            space.clear();
            const std::string word(raw.substr(i, end - i));
            GString_ decoded(g_mime_utils_header_decode_text(parser_options(), word.c_str()));
            out += decoded ? decoded.get() : word;
            after_word = true;
            i = end;
        } else if (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n') {
            if (raw[i] == ' ' || raw[i] == '\t') space += raw[i];
            ++i;
        } else {
            out += space;
            space.clear();
            out += raw[i++];
            after_word = false;
        }
    }
    if (!after_word) out += space;
    return out;
}

std::vector<HeaderField> fields_of(GMimeObject* object) {
    std::vector<HeaderField> out;
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    const int n = list ? g_mime_header_list_get_count(list) : 0;
    for (int i = 0; i < n && out.size() < max_header_fields; ++i) {
        GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
        const char* name = g_mime_header_get_name(h);
        if (!name) continue;
        auto lname = lower(name);
        if (!field_wanted(lname)) continue;
        const char* value = g_mime_header_get_value(h);
        const char* raw = g_mime_header_get_raw_value(h);
        if (raw && contains(raw, "=?") && plain_ascii(raw)) {
            out.push_back({std::move(lname), to_utf8(trim(decode_words(raw)), "")});
            continue;
        }
        out.push_back({std::move(lname), to_utf8(value ? value : "", "")});
    }
    return out;
}

// Parses `text` as a message; null when GMime finds none. One parser per thread, re-initialised per
// message: a new one allocates and clears its scan buffers each time.
GPtr<GMimeMessage> parse_message(std::string_view text) {
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(text.data(), text.size()));
    thread_local GPtr<GMimeParser> parser(g_mime_parser_new());
    g_mime_parser_init_with_stream(parser.get(), stream.get());
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), parser_options()));
    g_mime_parser_init_with_stream(parser.get(), empty_stream());  // let go of this message's stream
    return message;
}

// The bytes of a stream from its start.
std::string read_stream(GMimeStream* stream) {
    std::string out;
    if (g_mime_stream_reset(stream) == -1) return out;
    char buf[4096];
    for (;;) {
        const auto n = g_mime_stream_read(stream, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

// A part's content, its transfer encoding undone. Base64 and quoted-printable are decoded in one
// step of GMime's decoder (what g_mime_data_wrapper_write_to_stream runs through a filter stream,
// chunk by chunk: the decoders keep their state between chunks, so the bytes are the same); other
// encodings go through the data wrapper.
std::string decoded_bytes(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    const auto encoding = g_mime_data_wrapper_get_encoding(content);
    GMimeStream* raw = g_mime_data_wrapper_get_stream(content);
    const bool direct = encoding == GMIME_CONTENT_ENCODING_DEFAULT || encoding == GMIME_CONTENT_ENCODING_7BIT ||
                        encoding == GMIME_CONTENT_ENCODING_8BIT || encoding == GMIME_CONTENT_ENCODING_BINARY ||
                        encoding == GMIME_CONTENT_ENCODING_BASE64 || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    if (raw && direct) {
        auto bytes = read_stream(raw);
        if (encoding == GMIME_CONTENT_ENCODING_BASE64 || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
            GMimeEncoding state;
            g_mime_encoding_init_decode(&state, encoding);
            std::string decoded(g_mime_encoding_outlen(&state, bytes.size()), '\0');
            decoded.resize(g_mime_encoding_step(&state, bytes.data(), bytes.size(), decoded.data()));
            bytes = std::move(decoded);
        }
        if (bytes.size() > max_part_text_octets) bytes.resize(max_part_text_octets);
        return bytes;
    }
    GPtr<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, mem.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
    if (!bytes) return {};
    return std::string(reinterpret_cast<const char*>(bytes->data), std::min<std::size_t>(bytes->len, max_part_text_octets));
}

// Tags out, entities for the few characters bounces use: enough to read a provider's HTML-only notice.
std::string html_to_text(std::string_view html) {
    std::string out;
    bool in_tag = false;
    for (std::size_t i = 0; i < html.size(); ++i) {
        const char c = html[i];
        if (in_tag) {
            if (c == '>') in_tag = false;
            continue;
        }
        if (c == '<') {
            const auto tag = lower(html.substr(i + 1, 4));
            if (tag.starts_with("br") || tag.starts_with("p") || tag.starts_with("/p") || tag.starts_with("div") ||
                tag.starts_with("/div") || tag.starts_with("tr") || tag.starts_with("li"))
                out += '\n';
            in_tag = true;
            continue;
        }
        if (c == '&') {
            static constexpr std::pair<std::string_view, char> entities[] = {
                {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
            bool done = false;
            for (const auto& [name, ch] : entities) {
                if (html.substr(i, name.size()) == name) {
                    out += ch;
                    i += name.size() - 1;
                    done = true;
                    break;
                }
            }
            if (done) continue;
        }
        out += c;
    }
    return out;
}

// Where the boundary line starts that opens the part whose header block holds position `p`: the
// lines above p up to a line starting with "--", none of them blank. npos when p is not in a part's
// header block (the words "message/rfc822" in a text, or the top-level header).
std::size_t opening_boundary(std::string_view message, std::size_t p) {
    auto start = message.rfind('\n', p);
    start = start == std::string_view::npos ? 0 : start + 1;  // of the line holding p
    while (start > 0) {
        const auto prev_end = start - 1;  // the '\n' ending the line above
        auto prev = prev_end == 0 ? std::string_view::npos : message.rfind('\n', prev_end - 1);
        prev = prev == std::string_view::npos ? 0 : prev + 1;
        auto line = message.substr(prev, prev_end - prev);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) return std::string_view::npos;  // a blank line: not a header block
        if (line.starts_with("--")) return prev;
        start = prev;
    }
    return std::string_view::npos;
}

// The returned message (message/rfc822, last in a report: RFC 6522 §3) is read for its header
// fields only, here: GMime never builds it (each of its fields would be an object to make and free).
// Returns the text GMime is to parse; `returned` gets the returned message's header block.
std::string_view without_returned_message(std::string_view message, std::string_view& returned) {
    auto blank_after = [&](std::size_t from) {
        auto lf = message.find("\n\n", from);
        const auto crlf = message.find("\r\n\r\n", from);
        if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) return crlf + 4;
        return lf == std::string_view::npos ? lf : lf + 2;
    };
    for (std::size_t p = 0; (p = message.find("/rfc822", p)) != std::string_view::npos; p += 7) {
        if (p < 7 || lower(message.substr(p - 7, 7)) != "message" || message.substr(p + 7, 1) == "-") continue;
        const auto body = blank_after(p);  // the part's own header block ends here
        if (body == std::string_view::npos) return message;
        const auto end = blank_after(body);
        returned = message.substr(body, end == std::string_view::npos ? message.size() - body : end - body);
        // GMime need not see the message/rfc822 part at all: with an empty body it still builds a
        // message part and an empty message inside it (a dozen objects, a third of its work on a
        // bounce). Cut before the boundary line that opens the part, and before the line end that
        // precedes that line (RFC 2046 §5.1.1: it belongs to the delimiter), so the part before
        // keeps exactly the content it had.
        if (const auto open = opening_boundary(message, p); open != std::string_view::npos) {
            auto cut = open;
            if (cut > 0 && message[cut - 1] == '\n') --cut;
            if (cut > 0 && message[cut - 1] == '\r') --cut;
            return message.substr(0, cut);
        }
        return message.substr(0, body);
    }
    return message;
}

std::vector<HeaderField> read_header_text(std::string_view headers) {
    std::vector<HeaderField> out;
    std::size_t pos = 0;
    for (auto& f : read_field_block(headers, pos)) {
        if (!field_wanted(f.name)) continue;
        // Without an encoded word (RFC 2047 "=?") printable ASCII decodes to itself.
        if (plain_ascii(f.value) && !contains(f.value, "=?")) {
            out.push_back({std::move(f.name), std::move(f.value)});
            continue;
        }
        GString_ decoded(g_mime_utils_header_decode_text(parser_options(), f.value.c_str()));
        out.push_back({std::move(f.name), to_utf8(decoded ? decoded.get() : f.value.c_str(), "")});
    }
    return out;
}

struct Walk {
    MimeMessage& out;
    std::size_t leaves = 0;
    std::vector<std::string> html;
};

void walk(GMimeObject* object, std::size_t depth, Walk& w) {
    if (!object) return;
    if (depth > max_mime_nesting) {
        w.out.truncated = true;
        return;
    }
    if (GMIME_IS_MULTIPART(object)) {
        auto* multipart = GMIME_MULTIPART(object);
        const int n = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(multipart, i), depth + 1, w);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(object)) {
        // The returned message: its header fields say who sent what; its body is the user's, not the reporter's.
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner && w.out.returned.empty()) w.out.returned = fields_of(GMIME_OBJECT(inner));
        return;
    }
    if (!GMIME_IS_PART(object)) return;
    if (++w.leaves > max_mime_parts) {
        w.out.truncated = true;
        return;
    }
    GMimeContentType* ct = g_mime_object_get_content_type(object);
    const std::string type = ct ? lower(GString_(g_mime_content_type_get_mime_type(ct)).get()) : "text/plain";
    const char* charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : nullptr;
    auto* part = GMIME_PART(object);
    if (type == "message/delivery-status" || type == "message/global-delivery-status") {
        w.out.delivery_status.push_back(to_utf8(decoded_bytes(part), charset ? charset : ""));
    } else if (type == "message/feedback-report") {
        if (w.out.feedback_report.empty()) w.out.feedback_report = to_utf8(decoded_bytes(part), "");
    } else if (type == "text/rfc822-headers" || type == "message/rfc822-headers" || type == "message/global-headers") {
        if (!w.out.returned.empty()) return;
        // A header block needs no second MIME parse: RFC 5322 fields, RFC 2047 words decoded.
        w.out.returned = read_header_text(decoded_bytes(part));
    } else if (type == "text/html") {
        w.html.push_back(html_to_text(to_utf8(decoded_bytes(part), charset ? charset : "")));
    } else if (type.starts_with("text/")) {
        w.out.texts.push_back(to_utf8(decoded_bytes(part), charset ? charset : ""));
    }
}

// GMime's parser recurses per nested multipart: cut hostile input before the part where nesting
// could pass our bound, so the parser never sees more Content-Type fields than we would read.
std::string_view bounded(std::string_view message, bool& cut) {
    std::size_t seen = 0;
    for (std::size_t p = 0; (p = message.find("ontent-", p)) != std::string_view::npos; p += 7) {
        if (p == 0 || (message[p - 1] != 'C' && message[p - 1] != 'c') || lower(message.substr(p, 11)) != "ontent-type") continue;
        if (++seen > max_mime_parts + max_mime_nesting) {
            cut = true;
            return message.substr(0, p - 1);
        }
    }
    return message;
}

}  // namespace

std::string_view field_value(const std::vector<HeaderField>& fields, std::string_view name) {
    for (const auto& f : fields)
        if (f.name == name) return f.value;
    return {};
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    auto from = iconv_name(charset);
    if (plain_ascii(bytes) && keeps_ascii(from)) return std::string(bytes);
    const auto guess = guess_charset(bytes);
    // A declared charset that the bytes contradict (ISO-2022-JP escapes under "us-ascii") loses.
    if (from.empty() || (guess == "ISO-2022-JP-2" && from != guess)) from = guess;
    if (from.empty() || from == "UTF-8") {
        if (valid_utf8(bytes)) return std::string(bytes);
        from = guess.empty() ? "CP932" : guess;
    }
    std::size_t bad = 0;
    auto text = convert(bytes, from, bad);
    if (bad > 0 && !guess.empty() && guess != from) {
        std::size_t bad2 = 0;
        auto second = convert(bytes, guess, bad2);
        if (bad2 < bad) return second;
    }
    if (bad > bytes.size()) {  // iconv does not know the charset: keep the ASCII
        std::string ascii;
        for (const char c : bytes)
            if (static_cast<unsigned char>(c) < 0x80) ascii += c;
        return ascii;
    }
    return text;
}

MimeMessage read_mime(std::string_view message) {
    MimeMessage out;
    message = message.substr(0, max_input_octets);
    bool cut = false;
    std::string_view returned;
    const auto text = bounded(without_returned_message(message, returned), cut);
    if (!returned.empty()) out.returned = read_header_text(returned);
    out.truncated = cut;
    auto parsed = parse_message(text);
    if (parsed) out.headers = fields_of(GMIME_OBJECT(parsed.get()));
    out.is_mime = parsed && !out.headers.empty();
    if (!out.is_mime) {
        out.texts.push_back(to_utf8(message, ""));
        return out;
    }
    GMimeObject* body = g_mime_message_get_mime_part(parsed.get());
    if (body) {
        if (GMimeContentType* ct = g_mime_object_get_content_type(body)) {
            out.content_type = lower(GString_(g_mime_content_type_get_mime_type(ct)).get());
            if (const char* rt = g_mime_content_type_get_parameter(ct, "report-type")) out.report_type = lower(rt);
        }
    }
    Walk w{out, 0, {}};
    walk(body, 0, w);
    if (out.texts.empty()) out.texts = std::move(w.html);
    return out;
}

}  // namespace relaylab::diag
