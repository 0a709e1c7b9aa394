#include "address/address.hpp"

#include <algorithm>
#include <cstdio>

namespace relaylab::gw {

namespace {

// RFC 5322 §3.2.3 atext.
bool is_atext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
    return c != 0 && specials.find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool is_eight_bit(unsigned char c) { return c >= 0x80; }
bool is_ldh(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

AddressProblem problem(AddressProblemKind k, AddressPart part, std::size_t pos, unsigned char octet = 0,
                       std::size_t count = 0) {
    return AddressProblem{k, part, pos, octet, count};
}

// Under RFC 6531 §3.3 a well-formed UTF-8 character is one atext / qtextSMTP; returns the octets
// it spans (0: not such a character), and reports malformed 8-bit octets as BadUtf8.
// Without SMTPUTF8 a well-formed character is one eight_bit problem (not one per octet).
std::size_t utf8_char(std::string_view s, std::size_t i, bool utf8, std::vector<AddressProblem>& out) {
    if (!is_eight_bit(static_cast<unsigned char>(s[i]))) return 0;
    const auto n = utf8_non_ascii_length(s, i);
    if (!utf8) {
        if (n == 0) return 0;
        out.push_back(AddressProblem{AddressProblemKind::EightBit, AddressPart::LocalPart, i,
                                     static_cast<unsigned char>(s[i]), n});
        return n;
    }
    if (n) return n;
    out.push_back(AddressProblem{AddressProblemKind::BadUtf8, AddressPart::LocalPart, i,
                                 static_cast<unsigned char>(s[i]), 0});
    return 1;
}

// The dot-atom checks of RFC 5322 §3.2.3 / §3.4.1 on an unquoted local part.
void check_dot_atom(std::string_view local, std::vector<AddressProblem>& out, bool utf8 = false) {
    using K = AddressProblemKind;
    constexpr auto L = AddressPart::LocalPart;
    if (local.empty()) {
        out.push_back(problem(K::EmptyLocalPart, L, 0));
        return;
    }
    if (local.front() == '.') out.push_back(problem(K::LeadingDot, L, 0));
    for (std::size_t i = 0; i < local.size();) {
        const auto c = static_cast<unsigned char>(local[i]);
        if (c == '.') {
            std::size_t run = 1;
            while (i + run < local.size() && local[i + run] == '.') ++run;
            if (run > 1) out.push_back(problem(K::ConsecutiveDots, L, i, '.', run));
            i += run;
            continue;
        }
        if (auto n = utf8_char(local, i, utf8, out)) {
            i += n;
            continue;
        }
        if (is_control(c)) out.push_back(problem(K::ControlCharacter, L, i, c));
        else if (is_eight_bit(c)) out.push_back(problem(K::EightBit, L, i, c));
        else if (!is_atext(c)) out.push_back(problem(K::CharacterNotAllowed, L, i, c));
        ++i;
    }
    if (local.back() == '.') out.push_back(problem(K::TrailingDot, L, local.size() - 1));
}

bool dot_atom_clean(std::string_view value, bool utf8) {
    std::vector<AddressProblem> p;
    check_dot_atom(value, p, utf8);
    return p.empty();
}

// RFC 5321 §4.1.2 Quoted-string: qtextSMTP and quoted-pairSMTP (backslash + printable ASCII).
void check_quoted(std::string_view local, std::string& value, std::vector<AddressProblem>& out, bool utf8) {
    using K = AddressProblemKind;
    constexpr auto L = AddressPart::LocalPart;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = 1; i < local.size();) {
        const auto c = static_cast<unsigned char>(local[i]);
        if (c == '\\') {
            if (i + 1 >= local.size() || is_control(static_cast<unsigned char>(local[i + 1]))) {
                out.push_back(problem(K::BadQuotedPair, L, i, c));
                i += 2;
                continue;
            }
            const auto d = static_cast<unsigned char>(local[i + 1]);
            // RFC 6531 §3.3 widens qtextSMTP only: a quoted-pair stays printable ASCII.
            if (is_eight_bit(d)) out.push_back(problem(K::EightBit, L, i + 1, d));
            value.push_back(static_cast<char>(d));
            i += 2;
            continue;
        }
        if (c == '"') {
            close = i;
            break;
        }
        if (auto n = utf8_char(local, i, utf8, out)) {
            value.append(local.substr(i, n));
            i += n;
            continue;
        }
        if (is_control(c)) out.push_back(problem(K::ControlCharacter, L, i, c));
        else if (is_eight_bit(c)) out.push_back(problem(K::EightBit, L, i, c));
        value.push_back(static_cast<char>(c));
        ++i;
    }
    if (close == std::string_view::npos) out.push_back(problem(K::UnbalancedQuote, L, 0, '"'));
    else if (close + 1 != local.size()) out.push_back(problem(K::TextAfterQuotedString, L, close + 1));
}

bool valid_ipv4(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t digits = 0;
        int value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            value = value * 10 + (s[i] - '0');
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || value > 255) return false;
        ++parts;
        if (i == s.size()) return parts == 4;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
}

// RFC 5321 §4.1.3 address-literal, checked loosely for IPv6 (hex digits, ':' and '.').
bool valid_address_literal(std::string_view d) {
    if (d.size() < 3 || d.back() != ']') return false;
    const auto inner = d.substr(1, d.size() - 2);
    constexpr std::string_view v6 = "IPv6:";
    if (inner.size() > v6.size() &&
        std::equal(v6.begin(), v6.end(), inner.begin(), [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
        return std::all_of(inner.begin() + v6.size(), inner.end(), [](char c) {
            return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.';
        });
    }
    return valid_ipv4(inner);
}

// RFC 5321 §4.1.2 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str].
void check_domain(std::string_view d, std::vector<AddressProblem>& out) {
    using K = AddressProblemKind;
    constexpr auto D = AddressPart::Domain;
    if (d.empty()) {
        out.push_back(problem(K::EmptyDomain, D, 0));
        return;
    }
    if (d.front() == '[') {
        if (!valid_address_literal(d)) out.push_back(problem(K::BadAddressLiteral, D, 0));
        return;
    }
    if (d.size() > max_domain_octets) out.push_back(problem(K::DomainTooLong, D, 0, 0, d.size()));
    std::size_t start = 0;
    while (true) {
        const auto end = std::min(d.find('.', start), d.size());
        const auto label = d.substr(start, end - start);
        if (label.empty()) {
            out.push_back(problem(K::DomainEmptyLabel, D, start));
        } else {
            if (label.size() > max_domain_label_octets)
                out.push_back(problem(K::DomainLabelTooLong, D, start, 0, label.size()));
            if (label.front() == '-' || label.back() == '-') out.push_back(problem(K::DomainLabelHyphen, D, start));
            for (std::size_t i = 0; i < label.size(); ++i) {
                const auto c = static_cast<unsigned char>(label[i]);
                if (is_eight_bit(c)) out.push_back(problem(K::EightBit, D, start + i, c));
                else if (!is_ldh(c)) out.push_back(problem(K::DomainBadCharacter, D, start + i, c));
            }
        }
        if (end == d.size()) break;
        start = end + 1;
    }
}

// Bytes shown to people: control octets and 8-bit octets that are not well-formed UTF-8 as \xNN,
// so that words never carry raw bytes; a UTF-8 address (RFC 6531) is shown as its characters.
std::string shown(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (const auto n = utf8_non_ascii_length(s, i)) {
            out.append(s.substr(i, n));
            i += n - 1;
        } else if (is_control(c) || is_eight_bit(c)) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string octet_text(unsigned char c) {
    if (is_control(c) || is_eight_bit(c)) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02X", c);
        return buf;
    }
    return std::string(1, static_cast<char>(c));
}

std::string join_clauses(const std::vector<std::string>& clauses, Language lang) {
    std::string out;
    for (std::size_t i = 0; i < clauses.size(); ++i) {
        if (i > 0) {
            if (lang == Language::Ja) out += "。また、";
            else out += (i + 1 == clauses.size()) ? " and " : ", ";
        }
        out += clauses[i];
    }
    return out;
}

std::vector<std::string> clauses_for(const AddressCheck& c, AddressPart part, Language lang, bool* all_quotable,
                                     bool* only_eight_bit) {
    std::vector<std::string> out;
    bool quotable = true, eight = true;
    for (const auto& p : c.problems) {
        if (p.part != part) continue;
        out.push_back(describe(p, lang));
        quotable = quotable && repaired_by_quoting(p.kind);
        eight = eight && p.kind == AddressProblemKind::EightBit;
    }
    if (all_quotable) *all_quotable = quotable;
    if (only_eight_bit) *only_eight_bit = eight;
    return out;
}

std::string part_sentence(const AddressCheck& c, AddressPart part, Language lang) {
    const auto clauses = clauses_for(c, part, lang, nullptr, nullptr);
    if (clauses.empty()) return {};
    const bool ja = lang == Language::Ja;
    std::string subject;
    if (part == AddressPart::Domain) subject = ja ? "ドメイン「" + shown(c.domain) + "」は" : "the domain \"" + shown(c.domain) + "\" ";
    else subject = ja ? "アドレス「" + shown(c.input) + "」は" : "the address \"" + shown(c.input) + "\" ";
    return subject + join_clauses(clauses, lang) + (ja ? "。" : "");
}

std::string refusal_reason(const AddressCheck& c) {
    const bool local_problem = std::any_of(c.problems.begin(), c.problems.end(),
                                           [](const AddressProblem& p) { return p.part == AddressPart::LocalPart; });
    if (local_problem) return explain_local_part(c, Language::En);
    if (auto s = part_sentence(c, AddressPart::Domain, Language::En); !s.empty()) return s;
    return part_sentence(c, AddressPart::Address, Language::En);
}

}  // namespace

std::string_view to_string(AddressProblemKind k) {
    using K = AddressProblemKind;
    switch (k) {
    case K::TooLong: return "too_long";
    case K::MissingAt: return "missing_at";
    case K::LeadingDot: return "leading_dot";
    case K::TrailingDot: return "trailing_dot";
    case K::ConsecutiveDots: return "consecutive_dots";
    case K::CharacterNotAllowed: return "character_not_allowed";
    case K::EmptyLocalPart: return "empty_local_part";
    case K::LocalPartTooLong: return "local_part_too_long";
    case K::ControlCharacter: return "control_character";
    case K::EightBit: return "eight_bit";
    case K::BadUtf8: return "bad_utf8";
    case K::UnbalancedQuote: return "unbalanced_quote";
    case K::TextAfterQuotedString: return "text_after_quoted_string";
    case K::BadQuotedPair: return "bad_quoted_pair";
    case K::EmptyDomain: return "empty_domain";
    case K::DomainTooLong: return "domain_too_long";
    case K::DomainEmptyLabel: return "domain_empty_label";
    case K::DomainLabelTooLong: return "domain_label_too_long";
    case K::DomainLabelHyphen: return "domain_label_hyphen";
    case K::DomainBadCharacter: return "domain_bad_character";
    case K::BadAddressLiteral: return "bad_address_literal";
    }
    return "unknown";
}

bool repaired_by_quoting(AddressProblemKind k) {
    using K = AddressProblemKind;
    return k == K::LeadingDot || k == K::TrailingDot || k == K::ConsecutiveDots || k == K::CharacterNotAllowed;
}

std::string_view to_string(AddressVerdict v) {
    switch (v) {
    case AddressVerdict::DotAtom: return "dot_atom";
    case AddressVerdict::QuotedOnly: return "quoted_only";
    case AddressVerdict::Invalid: return "invalid";
    }
    return "invalid";
}

bool AddressCheck::needs_smtputf8() const {
    return std::any_of(input.begin(), input.end(), [](char c) { return is_eight_bit(static_cast<unsigned char>(c)); });
}

std::size_t utf8_non_ascii_length(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
    auto tail = [](unsigned char c) { return c >= 0x80 && c <= 0xBF; };
    const unsigned char c = at(0);
    if (c >= 0xC2 && c <= 0xDF) return tail(at(1)) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return at(1) >= lo && at(1) <= hi && tail(at(2)) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return at(1) >= lo && at(1) <= hi && tail(at(2)) && tail(at(3)) ? 4 : 0;
    }
    return 0;
}

std::string quote_local_part(std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

AddressCheck check_address(std::string_view address, AddressSyntax syntax) {
    const bool utf8 = syntax == AddressSyntax::Smtputf8;
    AddressCheck c;
    c.smtputf8 = utf8;
    c.input = std::string(address.substr(0, max_address_octets));
    if (address.size() > max_address_octets) {
        c.problems.push_back(problem(AddressProblemKind::TooLong, AddressPart::Address, max_address_octets, 0,
                                     address.size()));
        return c;
    }
    // The domain never contains '@', so the last one separates it, even from a quoted local part.
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) {
        c.problems.push_back(problem(AddressProblemKind::MissingAt, AddressPart::Address, address.size()));
        return c;
    }
    c.local_part = std::string(address.substr(0, at));
    c.domain = std::string(address.substr(at + 1));
    if (!c.local_part.empty() && c.local_part.front() == '"') {
        c.was_quoted = true;
        check_quoted(c.local_part, c.local_value, c.problems, utf8);
    } else {
        c.local_value = c.local_part;
        check_dot_atom(c.local_part, c.problems, utf8);
    }
    const bool only_quotable = std::all_of(c.problems.begin(), c.problems.end(),
                                           [](const AddressProblem& p) { return repaired_by_quoting(p.kind); });
    // RFC 5321 §4.5.3.1.1 counts the local part as sent: quoting adds octets.
    const std::string quoted = quote_local_part(c.local_value);
    const bool will_quote = !c.problems.empty() && only_quotable;
    const std::size_t sent_length = will_quote ? quoted.size() : c.local_part.size();
    if (sent_length > max_local_part_octets)
        c.problems.push_back(problem(AddressProblemKind::LocalPartTooLong, AddressPart::LocalPart, 0, 0, sent_length));
    check_domain(c.domain, c.problems);

    const bool clean = c.problems.empty();
    const bool quotable = std::all_of(c.problems.begin(), c.problems.end(),
                                      [](const AddressProblem& p) { return repaired_by_quoting(p.kind); });
    if (clean && c.was_quoted && !dot_atom_clean(c.local_value, utf8)) {
        // A valid quoted-string whose content is not a dot-atom: it must stay quoted.
        c.verdict = AddressVerdict::QuotedOnly;
        c.quoted_form = quoted + "@" + c.domain;
    } else if (clean) {
        c.verdict = AddressVerdict::DotAtom;
        c.quoted_form = c.input;
    } else if (quotable) {
        c.verdict = AddressVerdict::QuotedOnly;
        c.quoted_form = quoted + "@" + c.domain;
    } else {
        c.verdict = AddressVerdict::Invalid;
    }
    return c;
}

std::string_view to_string(LocalPartMode m) {
    switch (m) {
    case LocalPartMode::Pass: return "pass";
    case LocalPartMode::Quote: return "quote";
    case LocalPartMode::Reject: return "reject";
    }
    return "pass";
}

std::optional<LocalPartMode> local_part_mode_from_string(std::string_view s) {
    if (s == "pass") return LocalPartMode::Pass;
    if (s == "quote") return LocalPartMode::Quote;
    if (s == "reject") return LocalPartMode::Reject;
    return std::nullopt;
}

std::string IntakeRefusal::reply_line() const {
    return std::to_string(code) + " " + std::to_string(klass) + "." + std::to_string(subject) + "." +
           std::to_string(detail) + " " + reason;
}

EnvelopeDecision envelope_form(const AddressCheck& check, LocalPartMode mode, AddressRole role) {
    EnvelopeDecision d;
    if (mode == LocalPartMode::Pass || check.verdict == AddressVerdict::DotAtom) {
        d.send_as = check.input;
        return d;
    }
    if (mode == LocalPartMode::Quote && check.verdict == AddressVerdict::QuotedOnly) {
        d.send_as = check.quoted_form;
        return d;
    }
    IntakeRefusal r;
    // RFC 3463 X.1.7 / X.1.3; RFC 6531 X.6.7 when only non-ASCII octets stand in the way.
    bool only_eight_bit = !check.problems.empty();
    for (const auto& p : check.problems) only_eight_bit = only_eight_bit && p.kind == AddressProblemKind::EightBit;
    if (only_eight_bit) {
        r.subject = 6;
        r.detail = 7;
    } else {
        r.detail = role == AddressRole::Sender ? 7 : 3;
    }
    r.reason = refusal_reason(check);
    d.refusal = std::move(r);
    return d;
}

std::string describe(const AddressProblem& p, Language lang) {
    using K = AddressProblemKind;
    const bool ja = lang == Language::Ja;
    const auto pos = std::to_string(p.position + 1);  // people count from 1
    const auto count = std::to_string(p.count);
    const auto ch = octet_text(p.octet);
    switch (p.kind) {
    case K::TooLong: return ja ? count + "オクテットあり、長すぎます" : "is " + count + " octets long, too long to be an address";
    case K::MissingAt: return ja ? "「@」がありません" : "has no \"@\"";
    case K::LeadingDot: return ja ? "先頭がドット（.）です" : "begins with a dot";
    case K::TrailingDot: return ja ? "末尾がドット（.）です" : "ends with a dot";
    case K::ConsecutiveDots:
        return ja ? pos + "文字目からドットが" + count + "個連続しています"
                  : "has " + count + " dots in a row at position " + pos;
    case K::CharacterNotAllowed:
        return ja ? pos + "文字目に引用符なしでは使えない文字「" + ch + "」があります"
                  : "contains the character '" + ch + "' at position " + pos;
    case K::EmptyLocalPart: return ja ? "空です" : "is empty";
    case K::LocalPartTooLong:
        return ja ? count + "オクテットあり、RFC 5321 §4.5.3.1.1 の上限64オクテットを超えています"
                  : "is " + count + " octets long, over the 64-octet limit of RFC 5321 §4.5.3.1.1";
    case K::ControlCharacter:
        return ja ? pos + "文字目に制御文字（" + ch + "）があります"
                  : "contains the control character " + ch + " at position " + pos;
    case K::EightBit:
        if (p.count > 1)  // one well-formed UTF-8 character of `count` octets
            return ja ? pos + "オクテット目に UTF-8 の文字（" + count + "オクテット、先頭 " + ch +
                            "）があり、SMTPUTF8（RFC 6531）が必要です"
                      : "contains a UTF-8 character (" + count + " octets, first " + ch + ") at position " + pos +
                            ", which needs SMTPUTF8 (RFC 6531)";
        return ja ? pos + "文字目に8ビット文字（" + ch + "）があり、SMTPUTF8（RFC 6531）が必要です"
                  : "contains the 8-bit octet " + ch + " at position " + pos + ", which needs SMTPUTF8 (RFC 6531)";
    case K::BadUtf8:
        return ja ? pos + "文字目のオクテット（" + ch + "）は正しい UTF-8 ではありません（RFC 3629）"
                  : "has the octet " + ch + " at position " + pos + ", which is not well-formed UTF-8 (RFC 3629)";
    case K::UnbalancedQuote: return ja ? "引用符（\"）が閉じていません" : "opens a quoted string that never closes";
    case K::TextAfterQuotedString:
        return ja ? "引用符で囲んだ部分の後ろ（" + pos + "文字目）に文字があります"
                  : "has text after its quoted string at position " + pos;
    case K::BadQuotedPair:
        return ja ? pos + "文字目のバックスラッシュが正しく使われていません"
                  : "has a backslash at position " + pos + " that escapes nothing allowed";
    case K::EmptyDomain: return ja ? "空です" : "is empty";
    case K::DomainTooLong:
        return ja ? count + "オクテットあり、上限255オクテットを超えています"
                  : "is " + count + " octets long, over the 255-octet limit";
    case K::DomainEmptyLabel:
        return ja ? pos + "文字目のラベルが空です（ドットの位置が不正です）" : "has an empty label at position " + pos;
    case K::DomainLabelTooLong:
        return ja ? pos + "文字目からのラベルが" + count + "オクテットあり、上限63オクテットを超えています"
                  : "has a label of " + count + " octets at position " + pos + ", over the 63-octet limit";
    case K::DomainLabelHyphen:
        return ja ? pos + "文字目からのラベルの先頭か末尾がハイフンです"
                  : "has a label at position " + pos + " that begins or ends with '-'";
    case K::DomainBadCharacter:
        return ja ? pos + "文字目に使えない文字「" + ch + "」があります"
                  : "contains the character '" + ch + "' at position " + pos;
    case K::BadAddressLiteral: return ja ? "正しいアドレスリテラルではありません" : "is not a valid address literal";
    }
    return {};
}

std::string explain_local_part(const AddressCheck& c, Language lang) {
    const bool ja = lang == Language::Ja;
    const auto local = shown(c.local_part);
    bool quotable = true, eight = true;
    const auto clauses = clauses_for(c, AddressPart::LocalPart, lang, &quotable, &eight);
    if (clauses.empty()) {
        if (c.was_quoted && c.verdict == AddressVerdict::QuotedOnly)
            return ja ? "ローカルパート" + local + "は、正しく引用符で囲まれています（RFC 5321 §4.1.2）。"
                      : "the local part " + local + " is a valid quoted string (RFC 5321 §4.1.2)";
        return ja ? "ローカルパート「" + local + "」は正しい dot-atom 形式です（RFC 5322 §3.2.3）。"
                  : "the local part \"" + local + "\" is a valid dot-atom (RFC 5322 §3.2.3)";
    }
    const auto head = ja ? "ローカルパート「" + local + "」は" : "the local part \"" + local + "\" ";
    const auto body = join_clauses(clauses, lang);
    if (quotable) {
        const auto quoted = shown(quote_local_part(c.local_value));
        return ja ? head + body + "。RFC 5322 §3.4.1 では、引用符で囲んだ形（" + quoted + "）でのみ有効です。"
                  : head + body + ", which RFC 5322 §3.4.1 allows only quoted (" + quoted + ")";
    }
    if (eight)
        return ja ? head + body + "。" : head + body;
    return ja ? head + body + "。引用符で囲んでも有効なアドレスにはなりません。"
              : head + body + ", which no form of SMTP address allows";
}

std::string explain(const AddressCheck& c, Language lang) {
    const bool ja = lang == Language::Ja;
    std::string out = (ja ? "アドレス: " : "address: ") + shown(c.input) + "\n";
    switch (c.verdict) {
    case AddressVerdict::DotAtom:
        if (c.smtputf8 && c.needs_smtputf8())
            out += ja ? "判定: SMTPUTF8 で有効（UTF-8 の dot-atom、RFC 6531 §3.3）\n"
                      : "verdict: valid with SMTPUTF8 (UTF-8 dot-atom, RFC 6531 §3.3)\n";
        else
            out += ja ? "判定: 有効（dot-atom、RFC 5322 §3.4.1）\n" : "verdict: valid dot-atom (RFC 5322 §3.4.1)\n";
        break;
    case AddressVerdict::QuotedOnly:
        out += ja ? "判定: 引用符で囲んだ形でのみ有効（RFC 5321 §4.1.2）\n"
                  : "verdict: valid only quoted (RFC 5321 §4.1.2 quoted-string)\n";
        break;
    case AddressVerdict::Invalid: out += ja ? "判定: 無効\n" : "verdict: invalid\n"; break;
    }
    for (const auto& p : c.problems) {
        const char* part = p.part == AddressPart::LocalPart ? (ja ? "ローカルパート" : "local part")
                           : p.part == AddressPart::Domain  ? (ja ? "ドメイン" : "domain")
                                                            : (ja ? "アドレス" : "address");
        out += std::string("- ") + part + (ja ? ": " : " ") + describe(p, lang) + " [" +
               std::string(to_string(p.kind)) + "]\n";
    }
    if (c.verdict != AddressVerdict::Invalid) out += (ja ? "送信形式: " : "send as: ") + shown(c.quoted_form) + "\n";
    if (c.verdict == AddressVerdict::Invalid) {
        for (const auto part : {AddressPart::LocalPart, AddressPart::Domain, AddressPart::Address}) {
            const auto s = part == AddressPart::LocalPart
                               ? (clauses_for(c, part, lang, nullptr, nullptr).empty() ? std::string()
                                                                                        : explain_local_part(c, lang))
                               : part_sentence(c, part, lang);
            if (!s.empty()) out += s + "\n";
        }
    } else if (c.verdict == AddressVerdict::QuotedOnly) {
        out += explain_local_part(c, lang) + "\n";
    }
    if (c.needs_smtputf8() && c.smtputf8)
        out += ja ? "SMTPUTF8（RFC 6531 §3.3）の文法で判定しました。このアドレスは MAIL FROM に SMTPUTF8 を付けた"
                    "トランザクションでのみ送れます。SMTPUTF8 を提示しないサーバーには送れず、5.6.7 で返送されます"
                    "（RFC 6531 §3.2）。\n"
                  : "checked under SMTPUTF8's grammar (RFC 6531 §3.3): it travels only in a transaction opened with "
                    "MAIL FROM:<...> SMTPUTF8; a server that does not offer SMTPUTF8 must not be sent it, and "
                    "the recipient bounces with 5.6.7 (RFC 6531 §3.2).\n";
    else if (c.needs_smtputf8())
        out += ja ? "8ビット文字を含むアドレスには SMTPUTF8（RFC 6531）が必要です。\n"
                  : "an address with 8-bit octets needs SMTPUTF8 (RFC 6531).\n";
    return out;
}

std::string address_literal(std::string_view ip) {
    const bool v6 = ip.find(':') != std::string_view::npos;
    return (v6 ? "[IPv6:" : "[") + std::string(ip) + "]";
}

}  // namespace relaylab::gw
