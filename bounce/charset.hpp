// Charsets for the handset notice: ISO-2022-JP (RFC 1468), what 2009 handsets could show, and
// UTF-8. Conversion goes through glibc's iconv; splitting is always between characters, and every
// ISO-2022-JP piece starts and ends in ASCII mode (RFC 1468 §3, RFC 2047 §5 for encoded-words).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::gw {

enum class Charset { Iso2022Jp, Utf8 };
// The MIME charset name (RFC 2046 §4.1.2): "ISO-2022-JP", "UTF-8".
std::string_view mime_name(Charset c);

// Malformed UTF-8 (bad lead bytes, truncated or overlong sequences, surrogates) becomes U+FFFD, and
// C0 controls other than TAB and LF, and DEL, are dropped: an ESC in the input would otherwise
// switch ISO-2022-JP modes, a CR would end a line early.
std::string sanitize_text(std::string_view text);

// The characters of well-formed UTF-8 text (run sanitize_text first), each a view into `text`.
std::vector<std::string_view> utf8_characters(std::string_view text);

// What ISO-2022-JP cannot carry (emoji, half-width katakana, U+FFFD) is written as the geta mark
// U+3013 "〓", the Japanese mail convention for an unrepresentable character.
inline constexpr std::string_view kGetaMark = "\xE3\x80\x93";

struct EncodedPieces {
    std::vector<std::string> pieces;  // the text in the charset, in order
    std::size_t replaced = 0;         // characters written as the geta mark
};
// Encodes sanitized UTF-8 text in `charset`, cut between characters into pieces of at most
// `max_octets` octets each (a single character longer than that still gets a piece of its own).
// ISO-2022-JP pieces each end in ASCII mode, so every piece stands alone.
EncodedPieces encode_pieces(std::string_view text, Charset charset, std::size_t max_octets);

// RFC 4648 §4 base64, no line breaks.
std::string base64(std::string_view bytes);

// RFC 2047 §2: an encoded-word is at most 75 characters.
inline constexpr std::size_t kMaxEncodedWord = 75;
struct EncodedWords {
    std::vector<std::string> words;  // "=?ISO-2022-JP?B?...?=", to be joined by CRLF SP
    std::size_t replaced = 0;
};
// Encodes a header's text as B encoded-words (RFC 2047 §4.1), each at most kMaxEncodedWord
// characters and the first at most `first_word_max` (room left on the field's first line), split
// on character boundaries so each word decodes on its own (RFC 2047 §5 (3)).
EncodedWords encoded_words(std::string_view text, Charset charset,
                           std::size_t first_word_max = kMaxEncodedWord);

}  // namespace relaylab::gw
