#include "diagnosis/mta_profiles.hpp"

#include <algorithm>

namespace relaylab::diag {

namespace {

using gw::AddressProblemKind;

// The shape of an address as the profiles below tell them apart.
struct Shape {
    bool dot_atom = false;       // valid as written, unquoted
    bool quoted_input = false;   // written as a quoted-string already
    bool quotable = false;       // not a dot-atom, but valid quoted
    bool invalid = false;        // no form is valid
    bool leading_dot = false;
    bool domain_problem = false;
    std::string input;
};

Shape shape_of(const gw::AddressCheck& c) {
    Shape s;
    s.input = c.input;
    s.quoted_input = c.was_quoted;
    s.dot_atom = c.verdict == gw::AddressVerdict::DotAtom && !c.was_quoted;
    s.quotable = c.verdict == gw::AddressVerdict::QuotedOnly || (c.verdict == gw::AddressVerdict::DotAtom && c.was_quoted);
    s.invalid = c.verdict == gw::AddressVerdict::Invalid;
    for (const auto& p : c.problems) {
        if (p.kind == AddressProblemKind::LeadingDot) s.leading_dot = true;
        if (p.part == gw::AddressPart::Domain) s.domain_problem = true;
    }
    return s;
}

MtaAnswer ok(std::string reply, std::string note = {}) { return {std::move(reply), true, std::move(note)}; }
MtaAnswer no(std::string reply, std::string note = {}) { return {std::move(reply), false, std::move(note)}; }

// `quoted`: the answer is for the quoted form of a not-dot-atom local part.
MtaAnswer postfix(const Shape& s, bool quoted) {
    if (s.invalid) return no("501 5.1.7 Bad sender address syntax");
    return ok("250 2.1.0 Ok", s.dot_atom || quoted ? "" : "relaying, Postfix sends it quoted (smtp_quote_rfc821_envelope=yes)");
}

MtaAnswer exim(const Shape& s, bool quoted) {
    if (s.invalid && s.domain_problem) return no("501 <" + s.input + ">: domain is malformed");
    if (s.invalid) return no("501 <" + s.input + ">: malformed address");
    std::string note;
    if (!s.dot_atom && !quoted) note = "relaying, Exim sends the raw form";
    if (s.leading_dot && !quoted)
        note += std::string(note.empty() ? "" : "; ") + "as a recipient the stock ACL refuses it at RCPT: 550 Restricted characters in address";
    return ok("250 OK", note);
}

MtaAnswer sendmail(const Shape& s, bool) {
    if (s.domain_problem) return no("553 5.1.2 <" + s.input + ">... Invalid host name");
    if (s.invalid) return no("553 5.1.7 <" + s.input + ">... Invalid sender address");
    return ok("250 2.1.0 <" + s.input + ">... Sender ok");
}

MtaAnswer opensmtpd(const Shape& s, bool quoted) {
    if (s.dot_atom) return ok("250 2.0.0 Ok");
    (void)quoted;  // OpenSMTPD refuses the quoted form too
    return no("553 5.1.0 Sender address syntax error", "as a recipient: 501 5.1.3 Recipient address syntax error");
}

MtaAnswer qmail(const Shape& s, bool) {
    if (s.invalid && s.domain_problem) return ok("250 ok", "accepts anything it can parse; delivery fails later");
    return ok("250 ok");
}

MtaAnswer exchange55(const Shape& s, bool quoted) {
    if (s.dot_atom || (quoted && !s.invalid)) return ok("250 OK - mail from <" + s.input + ">");
    return no("553 malformed address: <" + s.input + ">", "the 2009 wording; relaxable by a registry value");
}

MtaAnswer assp(const Shape& s, bool quoted) {
    if (s.dot_atom || (quoted && !s.invalid)) return ok("250 OK");
    return no("553 Malformed address: <" + s.input + ">");
}

struct Profile {
    std::string_view name;
    MtaAnswer (*answer)(const Shape&, bool quoted);
};

constexpr Profile profiles[] = {
    {"Postfix 3.7", postfix},       {"Exim 4.96", exim}, {"Sendmail 8.17", sendmail}, {"OpenSMTPD 6.8", opensmtpd},
    {"qmail 1.03", qmail},          {"MS Exchange 5.5 IMC", exchange55}, {"ASSP proxy", assp},
};

}  // namespace

std::vector<ProfileAnswer> mail_from_answers(const gw::AddressCheck& check) {
    const Shape raw = shape_of(check);
    Shape quoted = raw;
    quoted.input = check.quoted_form;
    const bool has_quoted = check.verdict == gw::AddressVerdict::QuotedOnly && !check.was_quoted;
    std::vector<ProfileAnswer> out;
    for (const auto& p : profiles) {
        ProfileAnswer a;
        a.profile = p.name;
        a.raw = p.answer(raw, check.was_quoted);
        a.has_quoted = has_quoted;
        if (has_quoted) a.quoted = p.answer(quoted, true);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace relaylab::diag
