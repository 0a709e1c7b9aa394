#include "bounce/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <optional>

namespace relaylab::gw {

namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kToAscii = "\x1B(B";                // RFC 1468: ESC ( B

// The length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629 §4 table).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto cont = [&](std::size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
    unsigned char b = byte(i);
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        unsigned char b1 = byte(i + 1);
        if (b == 0xE0 && b1 < 0xA0) return 0;   // overlong
        if (b == 0xED && b1 >= 0xA0) return 0;  // surrogates
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        unsigned char b1 = byte(i + 1);
        if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
        if (b == 0xF4 && b1 >= 0x90) return 0;  // beyond U+10FFFF
        return 4;
    }
    return 0;
}

// One character in ISO-2022-JP: the escape that designates its set (empty for ASCII) and its bytes.
struct JisCharacter {
    std::string designation;
    std::string bytes;
};

// Converts one character at a time, so the caller decides where pieces end. glibc writes
// "ESC $ B xx xx ESC ( B" for a JIS X 0208 character and the plain byte for ASCII.
class JisConverter {
public:
    JisConverter() : cd_(iconv_open("ISO-2022-JP", "UTF-8")) {}
    ~JisConverter() {
        if (available()) iconv_close(cd_);
    }
    JisConverter(const JisConverter&) = delete;
    JisConverter& operator=(const JisConverter&) = delete;

    bool available() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

    std::optional<JisCharacter> convert(std::string_view ch) {
        if (!available() || ch.empty()) return std::nullopt;
        iconv(cd_, nullptr, nullptr, nullptr, nullptr);  // back to the initial (ASCII) state
        char out[32];
        char* in_ptr = const_cast<char*>(ch.data());
        std::size_t in_left = ch.size();
        char* out_ptr = out;
        std::size_t out_left = sizeof out;
        std::size_t rc = iconv(cd_, &in_ptr, &in_left, &out_ptr, &out_left);
        if (rc != 0 || in_left != 0) return std::nullopt;  // unconvertible, or converted lossily
        if (iconv(cd_, nullptr, nullptr, &out_ptr, &out_left) == static_cast<std::size_t>(-1))
            return std::nullopt;
        std::string r(out, static_cast<std::size_t>(out_ptr - out));
        if (r.empty()) return std::nullopt;
        if (r[0] != '\x1B') {
            if (r.size() != 1 || static_cast<unsigned char>(r[0]) >= 0x80) return std::nullopt;
            return JisCharacter{"", r};
        }
        if (r.size() < 4) return std::nullopt;
        JisCharacter c{r.substr(0, 3), r.substr(3)};
        if (c.bytes.size() >= kToAscii.size() &&
            std::string_view(c.bytes).substr(c.bytes.size() - kToAscii.size()) == kToAscii)
            c.bytes.resize(c.bytes.size() - kToAscii.size());
        if (c.bytes.empty() || c.bytes.find('\x1B') != std::string::npos) return std::nullopt;
        return c;
    }

private:
    iconv_t cd_;
};

EncodedPieces encode_utf8(std::string_view text, std::size_t first_max, std::size_t rest_max) {
    EncodedPieces r;
    std::string cur;
    for (std::string_view ch : utf8_characters(text)) {
        std::size_t max = r.pieces.empty() ? first_max : rest_max;
        if (!cur.empty() && cur.size() + ch.size() > max) {
            r.pieces.push_back(std::move(cur));
            cur.clear();
        }
        cur += ch;
    }
    if (!cur.empty() || r.pieces.empty()) r.pieces.push_back(std::move(cur));
    return r;
}

EncodedPieces encode_jis(std::string_view text, std::size_t first_max, std::size_t rest_max) {
    EncodedPieces r;
    JisConverter conv;
    std::optional<JisCharacter> geta = conv.convert(kGetaMark);
    if (!geta) geta = JisCharacter{"", "?"};

    std::string cur;
    std::string mode;  // designation in force at the end of `cur`
    auto closing = [&](const std::string& m) { return m.empty() ? std::size_t{0} : kToAscii.size(); };
    auto finish = [&] {
        if (!mode.empty()) cur += kToAscii;
        r.pieces.push_back(std::move(cur));
        cur.clear();
        mode.clear();
    };
    for (std::string_view ch : utf8_characters(text)) {
        std::optional<JisCharacter> c = conv.convert(ch);
        if (!c) {
            c = geta;
            ++r.replaced;
        }
        auto switch_cost = [&] {
            if (c->designation == mode) return std::size_t{0};
            return c->designation.empty() ? kToAscii.size() : c->designation.size();
        };
        std::size_t max = r.pieces.empty() ? first_max : rest_max;
        if (!cur.empty() && cur.size() + switch_cost() + c->bytes.size() + closing(c->designation) > max)
            finish();
        if (c->designation != mode) {
            cur += c->designation.empty() ? std::string(kToAscii) : c->designation;
            mode = c->designation;
        }
        cur += c->bytes;
    }
    if (!cur.empty() || r.pieces.empty()) finish();
    return r;
}

EncodedPieces encode(std::string_view text, Charset charset, std::size_t first_max, std::size_t rest_max) {
    return charset == Charset::Iso2022Jp ? encode_jis(text, first_max, rest_max)
                                         : encode_utf8(text, first_max, rest_max);
}

}  // namespace

std::string_view mime_name(Charset c) {
    return c == Charset::Iso2022Jp ? "ISO-2022-JP" : "UTF-8";
}

std::string sanitize_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) {
            out += kReplacementChar;
            ++i;
            continue;
        }
        if (n == 1) {
            unsigned char b = static_cast<unsigned char>(text[i]);
            if ((b < 0x20 && b != '\t' && b != '\n') || b == 0x7F) {
                ++i;
                continue;
            }
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

std::vector<std::string_view> utf8_characters(std::string_view text) {
    std::vector<std::string_view> chars;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) n = 1;  // not sanitized: one byte per "character" rather than a crash
        chars.push_back(text.substr(i, n));
        i += n;
    }
    return chars;
}

EncodedPieces encode_pieces(std::string_view text, Charset charset, std::size_t max_octets) {
    return encode(text, charset, max_octets, max_octets);
}

std::string base64(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        unsigned v = at(i) << 16;
        if (rest == 2) v |= at(i + 1) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

EncodedWords encoded_words(std::string_view text, Charset charset, std::size_t first_word_max) {
    std::string prefix = "=?" + std::string(mime_name(charset)) + "?B?";
    constexpr std::string_view suffix = "?=";
    // Octets that fit in a word of `max` characters: base64 writes 4 characters per 3 octets.
    auto octets_for = [&](std::size_t max) {
        std::size_t overhead = prefix.size() + suffix.size();
        std::size_t chars = max > overhead ? max - overhead : 0;
        return std::max<std::size_t>(chars / 4 * 3, 1);
    };
    EncodedPieces p = encode(text, charset, octets_for(std::min(first_word_max, kMaxEncodedWord)),
                             octets_for(kMaxEncodedWord));
    EncodedWords r;
    r.replaced = p.replaced;
    for (const std::string& piece : p.pieces) r.words.push_back(prefix + base64(piece) + std::string(suffix));
    return r;
}

}  // namespace relaylab::gw
