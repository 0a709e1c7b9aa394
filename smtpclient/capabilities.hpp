// What the server announced in its EHLO reply (RFC 5321 §4.1.1.1: one keyword per line after the
// first). HELO sessions have none of them.
#pragma once

#include "smtpclient/reply.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace relaylab::smtp {

struct Capabilities {
    bool esmtp = false;                  // the session was opened with EHLO
    bool pipelining = false;             // RFC 2920
    bool size = false;                   // RFC 1870
    std::uint64_t size_limit = 0;        // "SIZE n"; 0 means no fixed limit (RFC 1870 §4)
    bool eight_bit_mime = false;         // RFC 6152
    bool smtputf8 = false;               // RFC 6531
    bool starttls = false;               // RFC 3207
    bool enhanced_status_codes = false;  // RFC 2034
    std::vector<std::string> others;     // every other line, as received (e.g. "AUTH PLAIN", "DSN")

    // From a positive EHLO reply. Keywords are case-insensitive (RFC 5321 §2.4).
    static Capabilities from_ehlo(const Reply& reply);
};

}  // namespace relaylab::smtp
