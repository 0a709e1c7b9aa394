// A reply the server sends (RFC 5321 §4.2): one or more wire lines "NNN-text" ... "NNN text".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace relaylab::smtp {

struct ServerReply {
    std::vector<std::string> lines;  // complete lines without CRLF, separators already set

    // "553 malformed address" from a code and one text line.
    static ServerReply single(int code, std::string_view text);
    // Lines of text under one code; every line but the last gets "NNN-" (RFC 5321 §4.2.1).
    static ServerReply multi(int code, const std::vector<std::string>& texts);
    // Accepts "NNN text", "NNN-text" or "NNN" per line and rewrites the separators so that only the
    // last line has a space. Returns an empty reply when a line lacks a 2xx..5xx code or codes differ.
    static ServerReply from_lines(const std::vector<std::string>& lines);

    int code() const;      // the three digits of the first line, 0 when empty
    bool empty() const { return lines.empty(); }
    std::string wire() const;  // every line with CRLF
    friend bool operator==(const ServerReply&, const ServerReply&) = default;
};

}  // namespace relaylab::smtp
