// Typed DNS results. Nothing here is a string meant for people; words come at the edge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::dns {

enum class Status {
    Found,
    NullMx,     // RFC 7505: "MX 0 ." — the domain accepts no mail
    NxDomain,
    NoData,     // the name exists, no record of the asked type (and, for MX, no A/AAAA either)
    ServFail,
    Refused,
    Timeout,
    BadName,
    BadAnswer,  // malformed or unusable answer
    ConnRefused,  // the DNS server's port was closed
    Error,        // any other resolver failure
};
std::string_view to_string(Status s);   // "found", "null_mx", "nxdomain", "nodata", "servfail", ...
std::optional<Status> status_from_string(std::string_view s);
// Temporary: retry later (RFC 5321 §5.1 "MUST be queued and retried").
bool is_temporary(Status s);

struct MxHost {
    std::string name;               // without trailing dot, lower case
    unsigned preference = 0;
    bool implicit = false;          // from A/AAAA of the domain itself (no MX record)
    Status address_status = Status::Found;  // outcome of this host's own A/AAAA lookup
    std::vector<std::string> addresses;     // IPv6 first, then alternating families, as text
};

struct MxResult {
    std::string domain;
    Status status = Status::Error;
    std::vector<MxHost> hosts;  // in the order to try them (RFC 5321 §5.1)
    std::uint32_t ttl = 0;      // smallest TTL of the MX (or implicit A/AAAA) records used, seconds
};

// The addresses of one host name: A then AAAA.
struct AddressResult {
    std::string host;           // normalised like MxHost::name
    Status status = Status::Error;  // Found when at least one address came back
    std::vector<std::string> addresses;  // IPv6 first, then alternating families, as text
    std::uint32_t ttl = 0;      // smallest TTL of the address records, seconds
};

}  // namespace relaylab::dns
