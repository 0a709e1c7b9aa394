#include "smtpserver/command.hpp"

#include <array>

namespace relaylab::smtp {

namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (upper(a[i]) != upper(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr std::array<std::pair<std::string_view, CommandVerb>, 11> verbs{{
    {"HELO", CommandVerb::Helo}, {"EHLO", CommandVerb::Ehlo}, {"MAIL", CommandVerb::Mail},
    {"RCPT", CommandVerb::Rcpt}, {"DATA", CommandVerb::Data}, {"RSET", CommandVerb::Rset},
    {"NOOP", CommandVerb::Noop}, {"QUIT", CommandVerb::Quit}, {"VRFY", CommandVerb::Vrfy},
    {"HELP", CommandVerb::Help}, {"STARTTLS", CommandVerb::StartTls},
}};

// Finds the '>' that closes a path opened at s[0] == '<'. A quoted local part may hold '>' and
// backslash pairs (RFC 5321 §4.1.2 Quoted-string), so quotes are honoured.
std::optional<std::size_t> closing_bracket(std::string_view s) {
    bool quoted = false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (quoted && c == '\\') {
            ++i;
            continue;
        }
        if (c == '"') quoted = !quoted;
        else if (c == '>' && !quoted) return i;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

bool parse_params(std::string_view rest, CommandParams& out) {
    while (true) {
        rest = trim_spaces(rest);
        if (rest.empty()) return true;
        std::size_t end = rest.find_first_of(" \t");
        std::string_view token = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
        std::size_t eq = token.find('=');
        std::string key(token.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : std::string(token.substr(eq + 1));
        if (key.empty()) return false;
        for (char& c : key) {
            c = upper(c);
            bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) return false;
        }
        if (key == "SIZE") {
            out.size = parse_number(value);
            if (!out.size) return false;
        } else if (key == "BODY") {
            if (iequals(value, "7BIT")) out.body = BodyType::SevenBit;
            else if (iequals(value, "8BITMIME")) out.body = BodyType::EightBitMime;
            else if (iequals(value, "BINARYMIME")) out.body = BodyType::BinaryMime;
            else return false;
        } else if (key == "SMTPUTF8") {
            if (eq != std::string_view::npos) return false;
            out.smtputf8 = true;
        }
        out.all.emplace_back(std::move(key), std::move(value));
    }
}

// "FROM:<path> params" / "TO:<path> params". A space after the colon is tolerated as Postfix does.
void parse_path_argument(std::string_view arg, std::string_view keyword, ClientCommand& cmd) {
    if (!istarts_with(arg, keyword)) {
        cmd.error = CommandError::BadPathSyntax;
        return;
    }
    std::string_view rest = trim_spaces(arg.substr(keyword.size()));
    if (rest.empty()) {
        cmd.error = CommandError::BadPathSyntax;
        return;
    }
    if (rest.front() == '<') {
        auto close = closing_bracket(rest);
        if (!close) {
            cmd.error = CommandError::BadPathSyntax;
            return;
        }
        cmd.path = std::string(rest.substr(1, *close - 1));
        cmd.bracketed = true;
        rest = rest.substr(*close + 1);
        if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
            cmd.error = CommandError::BadPathSyntax;
            return;
        }
    } else {
        std::size_t end = rest.find_first_of(" \t");
        cmd.path = std::string(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    if (!parse_params(rest, cmd.params)) cmd.error = CommandError::BadParameter;
}

}  // namespace

std::string_view to_string(CommandVerb v) {
    for (auto [name, verb] : verbs)
        if (verb == v) return name;
    return "UNKNOWN";
}

std::string_view to_string(CommandError e) {
    switch (e) {
        case CommandError::None: return "none";
        case CommandError::Empty: return "empty";
        case CommandError::TooLong: return "too-long";
        case CommandError::NulByte: return "nul-byte";
        case CommandError::UnknownVerb: return "unknown-verb";
        case CommandError::MissingArgument: return "missing-argument";
        case CommandError::BadPathSyntax: return "bad-path-syntax";
        case CommandError::BadParameter: return "bad-parameter";
    }
    return "?";
}

ClientCommand parse_command(std::string_view line, std::size_t max_line) {
    ClientCommand cmd;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) {
        cmd.error = CommandError::TooLong;
        return cmd;
    }
    if (line.find('\0') != std::string_view::npos) {
        cmd.error = CommandError::NulByte;
        return cmd;
    }
    std::string_view trimmed = trim_spaces(line);
    if (trimmed.empty()) {
        cmd.error = CommandError::Empty;
        return cmd;
    }
    std::size_t sp = trimmed.find_first_of(" \t");
    std::string_view verb = trimmed.substr(0, sp);
    std::string_view arg = sp == std::string_view::npos ? std::string_view{} : trim_spaces(trimmed.substr(sp));
    for (auto [name, v] : verbs)
        if (iequals(verb, name)) cmd.verb = v;
    cmd.argument = std::string(arg);
    switch (cmd.verb) {
        case CommandVerb::Unknown: cmd.error = CommandError::UnknownVerb; break;
        case CommandVerb::Helo:
        case CommandVerb::Ehlo:
        case CommandVerb::Vrfy:
            if (arg.empty()) cmd.error = CommandError::MissingArgument;
            break;
        case CommandVerb::Mail: parse_path_argument(arg, "FROM:", cmd); break;
        case CommandVerb::Rcpt:
            parse_path_argument(arg, "TO:", cmd);
            // The null path is only for senders (RFC 5321 §4.5.5).
            if (cmd.error == CommandError::None && cmd.path.empty()) cmd.error = CommandError::BadPathSyntax;
            break;
        default: break;
    }
    return cmd;
}

}  // namespace relaylab::smtp
