// Envelope addresses as RFC 5321 §4.1.2 and RFC 5322 §3.4.1 define them: a local part that is a
// dot-atom or a quoted-string, "@", a domain. Every violation is a typed value with its position,
// so that the gateway can decide (pass / quote / reject) and explain the decision in words.
#pragma once

#include "address/language.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::gw {

// RFC 5321 §4.5.3.1.1 and §4.5.3.1.2.
inline constexpr std::size_t max_local_part_octets = 64;
inline constexpr std::size_t max_domain_octets = 255;
inline constexpr std::size_t max_domain_label_octets = 63;
// Longer input is not parsed at all: an address is never this long (RFC 5321 §4.5.3.1.3 path 256).
inline constexpr std::size_t max_address_octets = 1024;

enum class AddressProblemKind {
    // Whole address.
    TooLong,              // input over max_address_octets; nothing else is checked
    MissingAt,
    // Local part, dot-atom form: these are the ones quoting repairs (RFC 5322 §3.2.4).
    LeadingDot,
    TrailingDot,
    ConsecutiveDots,      // position = first dot of the run, count = dots in the run
    CharacterNotAllowed,  // printable ASCII outside atext, e.g. ',' '(' ' ' — allowed only quoted
    // Local part, either form: quoting does not help.
    EmptyLocalPart,
    LocalPartTooLong,     // count = octets (of the form that would be sent)
    ControlCharacter,     // octet < 0x20 or 0x7f: no SMTP address may carry it
    EightBit,             // octet >= 0x80: needs SMTPUTF8 (RFC 6531); in the domain, an IDNA A-label
    BadUtf8,              // with SMTPUTF8: octets >= 0x80 that are not well-formed UTF-8 (RFC 3629)
    UnbalancedQuote,      // '"' opens a quoted-string that never closes
    TextAfterQuotedString,// the quoted-string is not the whole local part
    BadQuotedPair,        // '\' at the end, or before a control character
    // Domain (RFC 5321 §4.1.2 Domain / address-literal).
    EmptyDomain,
    DomainTooLong,
    DomainEmptyLabel,     // leading, trailing or doubled dot in the domain
    DomainLabelTooLong,
    DomainLabelHyphen,    // a label begins or ends with '-'
    DomainBadCharacter,   // not a letter, digit or '-'
    BadAddressLiteral,    // "[...]" that is neither IPv4 nor "IPv6:..."
};
std::string_view to_string(AddressProblemKind k);  // "trailing_dot", "consecutive_dots", ...

// Which part of the address a problem's position counts in.
enum class AddressPart { Address, LocalPart, Domain };

struct AddressProblem {
    AddressProblemKind kind;
    AddressPart part = AddressPart::LocalPart;
    std::size_t position = 0;  // 0-based octet offset in `part`
    unsigned char octet = 0;   // the offending octet, when there is one
    std::size_t count = 0;     // run length / length in octets, when it matters
    friend bool operator==(const AddressProblem&, const AddressProblem&) = default;
};

// True for the problems that sending the local part as a quoted-string repairs.
bool repaired_by_quoting(AddressProblemKind k);

enum class AddressVerdict {
    DotAtom,     // valid as written (or its quoted content is a dot-atom): send as is
    QuotedOnly,  // valid only as a quoted-string: see quoted_form
    Invalid,     // no form of it is a valid SMTP address: see problems
};
std::string_view to_string(AddressVerdict v);  // "dot_atom", "quoted_only", "invalid"

struct AddressCheck {
    std::string input;        // as given
    std::string local_part;   // as written (with quotes if it was quoted)
    std::string local_value;  // the local part's value: quotes and backslash escapes removed
    std::string domain;
    bool was_quoted = false;
    AddressVerdict verdict = AddressVerdict::Invalid;
    std::vector<AddressProblem> problems;  // every violation, in order of position
    // `"p..q."@docomo.ne.jp` when the verdict is QuotedOnly (RFC 5321 quoted-string, with `"` and
    // `\` backslash-escaped); the input itself when DotAtom; empty when Invalid.
    std::string quoted_form;
    bool smtputf8 = false;  // checked under RFC 6531's grammar (the SMTPUTF8 MAIL parameter)
    // Any octet >= 0x80: the address may travel only in an SMTPUTF8 transaction (RFC 6531 §3.2).
    bool needs_smtputf8() const;
};

// Which grammar applies: plain RFC 5321, or RFC 6531 §3.3's (a transaction opened with the SMTPUTF8
// MAIL parameter), where UTF8-non-ascii (RFC 6532 §3.1) joins atext and qtextSMTP in the local part.
// Domains stay ASCII either way: a U-label is reported as eight_bit (send its A-label).
enum class AddressSyntax { Ascii, Smtputf8 };

AddressCheck check_address(std::string_view address, AddressSyntax syntax = AddressSyntax::Ascii);
// The length of the well-formed UTF8-non-ascii sequence (RFC 3629 §4: 2 to 4 octets, no overlongs,
// no surrogates, nothing above U+10FFFF) that starts at s[i]; 0 when there is none.
std::size_t utf8_non_ascii_length(std::string_view s, std::size_t i);

// RFC 5321 §4.1.2 quoted-string of a local-part value: `p..q.` → `"p..q."`, `a"b` → `"a\"b"`.
std::string quote_local_part(std::string_view value);

// What the gateway does with a local part that is not a dot-atom. From config "pass"|"quote"|"reject".
enum class LocalPartMode {
    Pass,    // send the raw form (the 2009 relay's behaviour)
    Quote,   // send the quoted-string form (Postfix's smtp_quote_rfc821_envelope=yes)
    Reject,  // refuse at intake with 553 5.1.7 (sender) / 553 5.1.3 (recipient) and a reason
    // An address that needs SMTPUTF8 and is valid under it passes in every mode (RFC 6531 §3.3).
};
std::string_view to_string(LocalPartMode m);
std::optional<LocalPartMode> local_part_mode_from_string(std::string_view s);

enum class AddressRole { Sender, Recipient };

// An intake refusal: the reply the gateway's SMTP server gives the handset (RFC 3463 X.1.7 bad
// sender's address syntax, X.1.3 bad destination address syntax, X.6.7 RFC 6531 non-ASCII).
struct IntakeRefusal {
    int code = 553;
    int klass = 5, subject = 1, detail = 7;
    std::string reason;  // one English sentence naming the problem
    std::string reply_line() const;  // "553 5.1.7 the local part \"q.\" ends with a dot, ..."
};

struct EnvelopeDecision {
    std::optional<std::string> send_as;    // the address to put in MAIL FROM / RCPT TO
    std::optional<IntakeRefusal> refusal;  // set instead when the mode refuses it
};

// Pass: always the raw input. Quote: dot-atom as is, QuotedOnly as quoted_form, Invalid refused.
// Reject: dot-atom as is, anything else refused. An address valid as written is never changed.
EnvelopeDecision envelope_form(const AddressCheck& check, LocalPartMode mode, AddressRole role);

// Words, for notices, intake refusals and `relaylab check-address`.
// One problem as a clause: "ends with a dot", "has 2 dots in a row at position 2".
std::string describe(const AddressProblem& p, Language lang);
// One sentence about the local part: what is wrong with it and whether quoting makes it valid, e.g.
// `the local part "q." ends with a dot, which RFC 5322 §3.4.1 allows only quoted`; for a valid
// dot-atom it says so.
std::string explain_local_part(const AddressCheck& check, Language lang);
// A few lines for people: the verdict, every problem, the form to send.
std::string explain(const AddressCheck& check, Language lang);

// An IP address as an RFC 5321 §4.1.3 address literal: "[192.0.2.1]", "[IPv6:2001:db8::1]". The
// text is taken as it is (an address with a ':' is IPv6), not checked.
std::string address_literal(std::string_view ip);

}  // namespace relaylab::gw
