// A sans-I/O DNS wire codec for the scripted world's server (RFC 1035 §4): parse a query, build a
// response. No sockets, no clock. Every read is bounds-checked; malformed input is a typed rejection.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relaylab::world {

// RFC 1035 §2.3.4 size limits.
inline constexpr std::size_t max_label_octets = 63;
inline constexpr std::size_t max_name_octets = 255;  // wire form, length octets and root included
inline constexpr std::size_t header_octets = 12;
// RFC 1035 §4.2.1: a UDP message without EDNS carries at most 512 octets.
inline constexpr std::size_t max_udp_message_octets = 512;
// A message's length travels in 16 bits over TCP (RFC 1035 §4.2.2).
inline constexpr std::size_t max_message_octets = 65535;
// Compression pointers followed while reading one name; each must point backwards, this is a
// second guard (RFC 1035 §4.1.4).
inline constexpr int max_compression_hops = 64;

enum class RrType : std::uint16_t {
    A = 1, NS = 2, CNAME = 5, SOA = 6, MX = 15, TXT = 16, AAAA = 28, ANY = 255,
};
inline constexpr std::uint16_t class_in = 1;
inline constexpr std::uint16_t class_any = 255;

enum class Rcode : std::uint8_t {
    NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5,
};
std::string_view to_string(Rcode r);      // "NOERROR", "FORMERR", ...
std::string type_name(std::uint16_t qtype);  // "MX", "AAAA", or "TYPE65" (RFC 3597 §5)

// A domain name as labels of raw octets, exactly as received (case kept: some clients check that
// the question comes back unchanged). Root is no labels.
struct DomainName {
    std::vector<std::string> labels;

    // Lower-case dotted form without trailing dot ("" for root); octets outside printable ASCII,
    // '.' and '\' are escaped as \DDD, the form dig prints (RFC 4343 §2.1: case-insensitive).
    std::string key() const;
    // From dotted text ("mx1.isp.example", trailing dot optional, "." or "" for root). nullopt when
    // a label is empty or longer than 63 octets or the name exceeds 255 octets.
    static std::optional<DomainName> from_text(std::string_view text);
    std::size_t wire_octets() const;
    friend bool operator==(const DomainName&, const DomainName&) = default;
};

struct DnsQuestion {
    DomainName name;
    std::uint16_t qtype = 0;
    std::uint16_t qclass = class_in;
};

// Header fields of a query that a response echoes (RFC 1035 §4.1.1).
struct DnsQuery {
    std::uint16_t id = 0;
    std::uint8_t opcode = 0;
    bool rd = false;
    DnsQuestion question;
};

enum class QueryError {
    ShortHeader,       // fewer than 12 octets: not even an ID to answer to
    NotAQuery,         // QR set: never answer a response (that is how reflection loops start)
    NotOneQuestion,    // QDCOUNT 0 or more than 1
    LabelTooLong,      // length octet 64..191: neither a label nor a pointer (RFC 1035 §4.1.4)
    NameTooLong,       // more than 255 octets
    BadPointer,        // a compression pointer that does not point strictly backwards: loops
    TooManyPointers,
    Truncated,         // a length or field runs past the end of the message
};
std::string_view to_string(QueryError e);  // "short_header", "not_a_query", ...

// What parse_query found: a query, or a rejection. A rejection with an ID can be answered with
// FORMERR (RFC 1035 §4.1.1); one without (short header, a response) is dropped.
struct QueryRejection {
    QueryError error;
    std::optional<std::uint16_t> id;
    std::uint8_t opcode = 0;
    bool rd = false;
};
using QueryParse = std::variant<DnsQuery, QueryRejection>;
QueryParse parse_query(std::span<const std::uint8_t> message);

struct SoaData {
    DomainName mname, rname;
    std::uint32_t serial = 1, refresh = 3600, retry = 600, expire = 86400, minimum = 300;
};
struct MxData {
    std::uint16_t preference = 0;
    DomainName exchange;  // root for a null MX (RFC 7505)
};
using RData = std::variant<std::array<std::uint8_t, 4>,   // A
                           std::array<std::uint8_t, 16>,  // AAAA
                           DomainName,                    // CNAME target
                           MxData, SoaData>;

struct ResourceRecord {
    DomainName owner;
    std::uint32_t ttl = 0;
    RData data;
    std::uint16_t type() const;
};

struct DnsResponse {
    std::uint16_t id = 0;
    std::uint8_t opcode = 0;
    bool aa = true;
    bool tc = false;
    bool rd = false;
    Rcode rcode = Rcode::NoError;
    std::optional<DnsQuestion> question;
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> authority;
};

// Wire form, names compressed against earlier names (RFC 1035 §4.1.4).
std::vector<std::uint8_t> encode_response(const DnsResponse& response);
// The query a client would send (for tests and tools).
std::vector<std::uint8_t> encode_query(const DnsQuery& query);
// Reads a response back (tests, tools). nullopt when malformed or of a record type not listed above.
std::optional<DnsResponse> parse_response(std::span<const std::uint8_t> message);

}  // namespace relaylab::world
