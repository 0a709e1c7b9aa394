// Reading a DNS answer (RFC 1035 §4.1) into typed records, and deciding what it means for the name
// and type asked. Pure: bytes and the c-ares status in, typed values out.
#pragma once

#include "resolver/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::dns {

enum class RecordType : std::uint16_t { A = 1, CName = 5, Mx = 15, Aaaa = 28 };

inline constexpr unsigned kMaxCnameHops = 8;  // CNAMEs followed per name, in answers and re-queries

// One question to the DNS: what the sans-I/O lookups (lookup.hpp, mx_resolution.hpp) ask a driver.
struct Question {
    std::string name;  // normalised, queryable
    RecordType type = RecordType::A;
};

// What the driver feeds back for one question: the wire truth, interpreted by interpret_answer.
struct RawAnswer {
    int ares_status = 0;                 // ARES_SUCCESS, ARES_ENOTFOUND, ... (ARES_ETIMEOUT at the deadline)
    std::vector<unsigned char> message;  // the answer as received, when there was one
};

struct Record {
    std::string owner;  // normalised
    RecordType type = RecordType::A;
    std::uint32_t ttl = 0;
    unsigned preference = 0;  // MX only
    std::string data;  // MX exchange or CNAME target (normalised, "" is the root), or address text
};

// The answer section's IN records of the four types above, in wire order; other records skipped.
// nullopt when the message is malformed (short header, lengths past the end, bad names, an A/AAAA
// of the wrong size).
std::optional<std::vector<Record>> parse_answer_section(std::span<const unsigned char> message);

// c-ares' status for a query (ARES_ENOTFOUND, ...) as a Status. ARES_SUCCESS → Found.
Status status_from_ares(int ares_status);

struct Interpretation {
    Status status = Status::Error;  // Found when `records` holds the asked type
    std::string canonical;          // the name the records belong to, after CNAMEs in the answer
    std::vector<Record> records;    // the asked type, owner == canonical
    std::optional<std::string> follow;  // set when the answer ends in a CNAME whose target must be asked
    unsigned cname_hops = 0;        // CNAMEs walked in this answer
};

// What an answer to (qname, qtype) says. CNAME chains inside the answer are walked (at most
// `hops_left`; a longer chain or a loop is BadAnswer); an answer that stops at a CNAME target
// without its records asks to `follow` it — c-ares' ares_query never does (RFC 1034 §3.6.2).
Interpretation interpret_answer(int ares_status, std::span<const unsigned char> message, std::string_view qname,
                                RecordType qtype, unsigned hops_left = kMaxCnameHops);

}  // namespace relaylab::dns
