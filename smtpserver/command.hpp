// One client command line (RFC 5321 §4.1) parsed into verb, raw path and ESMTP parameters.
// The path between < > comes back exactly as sent: address syntax is the caller's business
// (`q.@docomo.ne.jp` and `"q."@docomo.ne.jp` must both reach the policy untouched).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relaylab::smtp {

// RFC 5321 §4.5.3.1.4 allows 512 octets per command line; real clients send longer ones
// (long ESMTP parameter lists), so the server is lenient, like Postfix's line_length_limit.
inline constexpr std::size_t max_command_line = 2048;

enum class CommandVerb { Helo, Ehlo, Mail, Rcpt, Data, Rset, Noop, Quit, Vrfy, Help, StartTls, Unknown };
std::string_view to_string(CommandVerb v);  // "HELO", "MAIL", ..., "UNKNOWN"

enum class CommandError {
    None,
    Empty,            // blank line
    TooLong,          // longer than max_command_line
    NulByte,          // NUL inside the line
    UnknownVerb,
    MissingArgument,  // HELO/EHLO without a domain, VRFY without a string
    BadPathSyntax,    // MAIL/RCPT without FROM:/TO:, unterminated <...>, empty RCPT path
    BadParameter,     // malformed ESMTP parameter (SIZE=abc, BODY=foo, "=x")
};
std::string_view to_string(CommandError e);

enum class BodyType { SevenBit, EightBitMime, BinaryMime };

// ESMTP MAIL/RCPT parameters (RFC 5321 §4.1.2 esmtp-param). Keys upper-cased, values raw.
struct CommandParams {
    std::vector<std::pair<std::string, std::string>> all;
    std::optional<std::uint64_t> size;  // RFC 1870
    std::optional<BodyType> body;       // RFC 6152
    bool smtputf8 = false;              // RFC 6531
};

struct ClientCommand {
    CommandVerb verb = CommandVerb::Unknown;
    CommandError error = CommandError::None;
    std::string argument;  // everything after the verb and one space (HELO name, VRFY string, ...)
    std::string path;      // MAIL/RCPT: the raw text between < and >, or the bare token without <>
    bool bracketed = false;  // the path came inside < > as RFC 5321 requires
    CommandParams params;
};

// `line` is one line without its CRLF (a trailing CR is tolerated and removed).
ClientCommand parse_command(std::string_view line, std::size_t max_line = max_command_line);

}  // namespace relaylab::smtp
