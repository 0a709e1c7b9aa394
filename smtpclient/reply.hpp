// An SMTP reply as received (RFC 5321 §4.2), with its enhanced status code (RFC 3463) when present.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace relaylab::smtp {

// class.subject.detail, e.g. 5.1.7. RFC 3463 §2.
struct EnhancedCode {
    int klass = 0;  // 2, 4 or 5
    int subject = 0;
    int detail = 0;
    std::string str() const;  // "5.1.7"
    friend bool operator==(const EnhancedCode&, const EnhancedCode&) = default;
};

struct Reply {
    int code = 0;                         // 3 digits, 200..599
    std::optional<EnhancedCode> enhanced; // from the first line, when the text starts with one
    std::vector<std::string> lines;       // each line's text after "NNN-" / "NNN ", as received

    bool positive() const { return code >= 200 && code < 400; }
    bool transient() const { return code >= 400 && code < 500; }
    bool permanent() const { return code >= 500 && code < 600; }
    // All lines' text joined by a space, with the enhanced code kept where it stood.
    std::string text() const;
    // The reply as one line the way MTAs quote it in logs and bounces: "553 malformed address".
    std::string one_line() const;
    friend bool operator==(const Reply&, const Reply&) = default;
};

}  // namespace relaylab::smtp
