// The bounce formats of the MTAs and providers people meet, as data: how to recognise each
// reporter, and the phrases whose meaning the readers know (a stage, a DNS failure, a network
// error, an expiry, a delay). The generic reader in human_text.hpp applies them; adding a reporter
// is adding a row (docs/readers.md).
#pragma once

#include "diagnosis/finding.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace relaylab::diag::formats {

struct ReporterFormat {
    std::string_view name;                  // Finding::reporter: "qmail", "gmail", "docomo", ...
    SourceKind source;                      // Finding::source
    std::vector<std::string_view> body;     // any of these in the human text recognises the reporter
    std::vector<std::string_view> from;     // or: any of these in the From: field (lower-case) ...
    std::vector<std::string_view> subject;  // ... and, unless empty, any of these in the Subject
};

// In order: the first that matches wins, so specific rows come before generic ones.
const std::vector<ReporterFormat>& reporter_formats();
// True when the From: field is a mail system's (MAILER-DAEMON, postmaster, …), not a person's.
bool from_mail_system(std::string_view from);
// The reporter of a bounce: from its From: and Subject: fields and its human-readable text.
const ReporterFormat* recognise(std::string_view from, std::string_view subject, std::string_view text);

// What a phrase in a reporter's words means. Matched case-insensitively against a recipient's block.
enum class Meaning {
    Stage,        // the failure happened at `stage`
    DnsNxDomain,  // the recipient's domain does not exist
    MxHostNx,     // the domain's MX hosts do not exist
    DnsTemporary, // the lookup failed for now (SERVFAIL, timeout)
    NullMx,       // the domain accepts no mail (RFC 7505)
    Net,          // a connection or session failure: `net`
    Expired,      // the reporter gave up after retrying
    Delayed,      // a warning: still trying
};

struct Phrase {
    std::string_view words;  // lower-case
    Meaning meaning;
    std::optional<smtp::Stage> stage = std::nullopt;
    std::optional<smtp::NetError> net = std::nullopt;
};
const std::vector<Phrase>& phrases();

// Words after which a reporter quotes the remote's reply ("Remote host said:", "The response was:").
const std::vector<std::string_view>& reply_markers();
// Labels that may stand before a recipient's address at the start of a line, followed by a colon
// (ASCII or full-width, after any spaces): "Recipient: <bob@…>", "宛先　　: bob@…".
const std::vector<std::string_view>& recipient_labels();
// Words in a sentence just before the only recipient's address ("Your message to ", "delivered to ").
const std::vector<std::string_view>& recipient_lead_ins();
// Lines where the reporter's words end and the returned message begins (lower-case substrings).
const std::vector<std::string_view>& returned_message_markers();

}  // namespace relaylab::diag::formats
