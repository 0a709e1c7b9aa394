// The scripted world's DNS data: names with MX/A/AAAA/CNAME records and a scripted behaviour that
// may change over time, loaded from JSON (docs/world-dns.md), and the authoritative answer logic.
// Pure: no sockets, no clock; the caller passes the time elapsed since the server started.
#pragma once

#include "clock/clock.hpp"
#include "scenarios/world/dns_message.hpp"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relaylab {
class JsonSource;
}

namespace relaylab::world {

// What the server does with a query for a name.
enum class DnsBehaviour {
    Answer,    // authoritative answer from the records (NODATA when none of the asked type)
    NxDomain,  // the name does not exist
    NoData,    // NOERROR, empty answer
    ServFail,
    Refused,
    Drop,      // no reply at all: the client times out
    Truncate,  // over UDP: TC set, no records, so the client retries over TCP and gets the answer
};
std::string_view to_string(DnsBehaviour b);  // "answer", "nxdomain", ... (the JSON spelling)
std::optional<DnsBehaviour> dns_behaviour_from_string(std::string_view s);

enum class DnsTransport { Udp, Tcp };
std::string_view to_string(DnsTransport t);  // "udp", "tcp"

inline constexpr std::uint32_t default_dns_ttl = 300;
// CNAME chains are followed inside the zone at most this far (a loop ends here too).
inline constexpr int max_cname_chain = 8;

// A span of time, relative to the server's start, during which a name behaves differently.
struct DnsScheduleWindow {
    Duration from{};
    std::optional<Duration> until;  // open-ended when absent
    DnsBehaviour behaviour = DnsBehaviour::Answer;
};

struct DnsZoneName {
    DomainName name;
    std::vector<MxData> mx;
    std::vector<std::array<std::uint8_t, 4>> a;
    std::vector<std::array<std::uint8_t, 16>> aaaa;
    std::optional<DomainName> cname;
    DnsBehaviour behaviour = DnsBehaviour::Answer;
    std::vector<DnsScheduleWindow> schedule;  // the first window containing the time wins
    std::optional<std::uint32_t> ttl;

    DnsBehaviour behaviour_at(Duration elapsed) const;
};

// The SOA put in the authority section of NXDOMAIN/NODATA answers for names under `zone`
// (RFC 2308 §3), when the zone data gives one.
struct DnsSoa {
    DomainName zone;
    SoaData data;
};

// Where zone data went wrong.
struct DnsZoneError {
    enum class Kind { Syntax, WrongType, UnknownKey, MissingKey, BadValue, Duplicate };
    Kind kind = Kind::BadValue;
    std::string pointer;  // JSON Pointer (RFC 6901) into the document: /names/isp.example/mx/0/host
    std::string path;     // the same, jq-like for people: names["isp.example"].mx[0].host
    std::string detail;   // what was expected, e.g. "expected an IPv4 address, got \"x\""
    std::string file;     // when read from a file or text
    std::size_t line = 0, column = 0;  // 1-based, when read from a file or text; 0 otherwise
};
// "zones.json:4:12: names[\"x\"].a[0]: bad value: expected an IPv4 address, got \"x\""
std::string to_string(const DnsZoneError& e);

// What the server does with one message.
struct DnsReply {
    std::optional<std::vector<std::uint8_t>> bytes;  // nullopt: send nothing
    std::string name;       // question name (DomainName::key form), empty when unparsable
    std::uint16_t qtype = 0;
    DnsBehaviour behaviour = DnsBehaviour::Answer;  // the behaviour applied
    std::optional<Rcode> rcode;                     // absent when dropped
    bool truncated = false;
    std::optional<QueryError> malformed;
};

class DnsZone {
public:
    DnsZone() = default;
    // From a parsed JSON value that sits at `pointer` in its document (e.g. "/world/dns" of a
    // scenario); error pointers and paths include it. No line:col (see from_source).
    static std::variant<DnsZone, DnsZoneError> from_json(const nlohmann::json& j, const std::string& pointer = "");
    // From the value at `pointer` in a JsonSource: every error gets file:line:col.
    static std::variant<DnsZone, DnsZoneError> from_source(const JsonSource& source, const std::string& pointer = "");
    // From JSON text (`name` is what errors call it) or a file.
    static std::variant<DnsZone, DnsZoneError> parse(std::string text, const std::string& name = "zones");
    static std::variant<DnsZone, DnsZoneError> load(const std::filesystem::path& file);

    // The answer to one DNS message `elapsed` after the server started, received over `transport`.
    DnsReply answer(std::span<const std::uint8_t> query, Duration elapsed, DnsTransport transport) const;

    const DnsZoneName* find(const std::string& key) const;
    void add(DnsZoneName name);  // replaces a name with the same key
    std::uint32_t ttl = default_dns_ttl;
    std::optional<DnsSoa> soa;

private:
    DnsResponse answer_query(const DnsQuery& q, Duration elapsed, DnsTransport transport,
                             DnsBehaviour& applied) const;
    void add_records(DnsResponse& resp, const DnsZoneName& n, const DomainName& owner,
                     std::uint16_t qtype) const;
    void add_soa(DnsResponse& resp, const DomainName& qname) const;
    std::map<std::string, DnsZoneName> names_;
};

}  // namespace relaylab::world
