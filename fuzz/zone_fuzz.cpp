// libFuzzer target: the scripted DNS zone loader (docs/world-dns.md): any text in, a zone or a
// DnsZoneError out. A zone that loads must answer a query for each of its names.
#include "scenarios/world/dns_zone.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

using namespace relaylab::world;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parsed = DnsZone::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    if (auto* error = std::get_if<DnsZoneError>(&parsed)) {
        (void)to_string(*error);
        return 0;
    }
    const DnsZone& zone = std::get<DnsZone>(parsed);
    for (const char* name : {"isp.example", "mx1.isp.example", "a.b"}) {
        auto dn = DomainName::from_text(name);
        for (auto type : {RrType::MX, RrType::A, RrType::AAAA, RrType::CNAME}) {
            DnsQuery q{7, 0, true, DnsQuestion{*dn, static_cast<std::uint16_t>(type), class_in}};
            auto wire = encode_query(q);
            auto reply = zone.answer(wire, std::chrono::minutes(45), DnsTransport::Udp);
            if (reply.bytes && reply.bytes->size() > max_udp_message_octets) std::abort();
        }
    }
    return 0;
}
