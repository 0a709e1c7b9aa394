#include "smtpclient/outcome.hpp"

#include <array>
#include <utility>

namespace relaylab::smtp {

namespace {
constexpr std::array<std::pair<Stage, std::string_view>, 12> kStageNames{{
    {Stage::Connect, "connect"}, {Stage::Greeting, "greeting"}, {Stage::Ehlo, "ehlo"},
    {Stage::Helo, "helo"},       {Stage::StartTls, "starttls"},       {Stage::Mail, "mail"},         {Stage::Rcpt, "rcpt"},
    {Stage::Data, "data"},       {Stage::Dot, "dot"},           {Stage::Rset, "rset"},
    {Stage::Quit, "quit"},       {Stage::Done, "done"},
}};
}  // namespace

std::string_view to_string(Stage s) {
    for (const auto& [stage, name] : kStageNames)
        if (stage == s) return name;
    return "unknown";
}

std::optional<Stage> stage_from_string(std::string_view s) {
    for (const auto& [stage, name] : kStageNames)
        if (name == s) return stage;
    return std::nullopt;
}

std::string_view command_words(Stage s) {
    switch (s) {
        case Stage::Connect: return "connect";
        case Stage::Greeting: return "initial greeting";
        case Stage::Ehlo: return "EHLO";
        case Stage::Helo: return "HELO";
        case Stage::StartTls: return "STARTTLS";
        case Stage::Mail: return "MAIL FROM";
        case Stage::Rcpt: return "RCPT TO";
        case Stage::Data: return "DATA";
        case Stage::Dot: return "end of DATA";
        case Stage::Rset: return "RSET";
        case Stage::Quit: return "QUIT";
        case Stage::Done: return "end of DATA";
    }
    return "";
}

std::string command_name(Stage s) {
    if (s == Stage::Connect) return "";
    if (s == Stage::Greeting) return std::string(command_words(s));
    return std::string(command_words(s)) + " command";
}

std::string_view to_string(NetError e) {
    switch (e) {
        case NetError::None: return "none";
        case NetError::ConnectRefused: return "connect_refused";
        case NetError::ConnectTimeout: return "connect_timeout";
        case NetError::Unreachable: return "unreachable";
        case NetError::Timeout: return "timeout";
        case NetError::Reset: return "reset";
        case NetError::Closed: return "closed";
        case NetError::Protocol: return "protocol";
        case NetError::TooLarge: return "too_large";
        case NetError::Smtputf8NotOffered: return "smtputf8_not_offered";
        case NetError::TlsNotOffered: return "tls_not_offered";
        case NetError::TlsHandshake: return "tls_handshake";
        case NetError::TlsUntrusted: return "tls_untrusted";
        case NetError::TlsExpired: return "tls_expired";
        case NetError::TlsWrongName: return "tls_wrong_name";
        case NetError::Local: return "local";
    }
    return "unknown";
}

std::string_view to_string(ProtocolError e) {
    switch (e) {
        case ProtocolError::None: return "none";
        case ProtocolError::BadCode: return "bad_code";
        case ProtocolError::BadSeparator: return "bad_separator";
        case ProtocolError::MismatchedCode: return "mismatched_code";
        case ProtocolError::LineTooLong: return "line_too_long";
        case ProtocolError::TooManyLines: return "too_many_lines";
        case ProtocolError::ReplyTooLarge: return "reply_too_large";
        case ProtocolError::UnexpectedReply: return "unexpected_reply";
    }
    return "unknown";
}

}  // namespace relaylab::smtp
