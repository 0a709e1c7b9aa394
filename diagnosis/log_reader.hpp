// Readers for one delivery's log: a Postfix smtp line ("to=<…>, relay=…, dsn=…, status=… (…)"),
// an Exim main-log line ("** rcpt R=… T=… H=… […]: SMTP error from remote mail server after …"),
// and a relaylab JSON line (log/logline to_json). Each returns nullopt when the input is not
// of its kind; what a recognised line leaves unsaid stays unset in the Finding.
#pragma once

#include "diagnosis/finding.hpp"

#include <optional>
#include <string_view>

namespace relaylab::diag {

// Postfix's words for why (the text in parentheses after status=, or a bounce's per-recipient
// text): "host H[IP] said: … (in reply to MAIL FROM command)", "connect to H[IP]:25: …",
// "Host or domain name not found. Name service error for name=… type=MX: …", … Returns true when
// it recognised the text.
bool read_postfix_reason(std::string_view text, Finding& f);
// Exim's words: "H=host [ip]", "SMTP error from remote mail server after MAIL FROM:<…>: 553 …",
// "Unrouteable address", "Connection refused", "SMTP timeout after …", ….
bool read_exim_reason(std::string_view text, Finding& f);

std::optional<Finding> read_postfix_log(std::string_view text);
std::optional<Finding> read_exim_log(std::string_view text);
std::optional<Finding> read_relaylab_json(std::string_view text);
// A Sendmail log line: "sendmail[…]: QID: to=<…>, …, relay=host. [ip], dsn=5.1.1, stat=User unknown".
std::optional<Finding> read_sendmail_log(std::string_view text);

// "host[ip]" / "host [ip]" / "[ip]" split into host and ip.
void split_peer(std::string_view peer, std::string& host, std::string& ip);

}  // namespace relaylab::diag
