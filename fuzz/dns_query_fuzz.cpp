// libFuzzer target: the scripted world's DNS server reading a query off the wire (RFC 1035 §4.1)
// and answering it from a small zone, over UDP and TCP; and the response reader used by tools.
// A reply, when there is one, must fit its transport (RFC 1035 §4.2.1: 512 octets over UDP).
#include "fuzz/fuzz_check.hpp"
#include "scenarios/world/dns_message.hpp"
#include "scenarios/world/dns_zone.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

using namespace relaylab::world;

namespace {

const DnsZone& zone() {
    static const DnsZone z = [] {
        auto parsed = DnsZone::parse(R"({ "names": {
          "isp.example":     { "mx": [ {"preference": 10, "host": "mx1.isp.example"}, {"preference": 0, "host": "."} ] },
          "mx1.isp.example": { "a": ["127.0.0.21"], "aaaa": ["::1"] },
          "alias.example":   { "cname": "isp.example" },
          "loop.example":    { "cname": "loop.example" },
          "broken.example":  { "behaviour": "servfail" },
          "big.example":     { "behaviour": "truncate" },
          "later.example":   { "a": ["127.0.0.9"], "schedule": [ {"from": "0s", "until": "30m", "behaviour": "drop"} ] }
        } })");
        if (!std::holds_alternative<DnsZone>(parsed)) std::abort();
        return std::get<DnsZone>(std::move(parsed));
    }();
    return z;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> message(data, size);
    QueryParse q = parse_query(message);
    if (auto* query = std::get_if<DnsQuery>(&q)) {
        (void)query->question.name.key();
        FUZZ_CHECK(query->question.name.wire_octets() <= max_name_octets);
    }
    for (auto transport : {DnsTransport::Udp, DnsTransport::Tcp}) {
        DnsReply reply = zone().answer(message, std::chrono::minutes(size % 60), transport);
        if (reply.bytes) {
            FUZZ_CHECK(reply.bytes->size() <= (transport == DnsTransport::Udp ? max_udp_message_octets : max_message_octets));
            FUZZ_CHECK(parse_response(*reply.bytes).has_value());
        }
    }
    (void)parse_response(message);
    return 0;
}
