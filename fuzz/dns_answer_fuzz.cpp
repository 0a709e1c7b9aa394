// libFuzzer target: the resolver's reading of a DNS answer (RFC 1035 §4.1) and what it decides the
// answer means for MX and address lookups, CNAME chains included (RFC 1034 §3.6.2). The first
// octet picks the c-ares status the answer came with; the rest is the message.
#include "fuzz/fuzz_check.hpp"
#include "resolver/answer.hpp"

#include <ares.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace relaylab::dns;

namespace {
constexpr int kStatuses[] = {ARES_SUCCESS, ARES_ENODATA, ARES_ENOTFOUND, ARES_ESERVFAIL, ARES_EREFUSED,
                             ARES_ETIMEOUT, ARES_EBADRESP, ARES_ECONNREFUSED};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
    std::span<const unsigned char> message(data + 1, size - 1);
    if (auto records = parse_answer_section(message))
        // At most 255 octets on the wire (RFC 1035 §2.3.4); as text each octet may take 4 (\DDD).
        for (const auto& r : *records) FUZZ_CHECK(r.owner.size() <= 4 * 255 && r.data.size() <= 4 * 255);
    for (auto type : {RecordType::Mx, RecordType::A, RecordType::Aaaa}) {
        for (unsigned hops : {0u, kMaxCnameHops}) {
            Interpretation i = interpret_answer(status, message, "isp.example", type, hops);
            FUZZ_CHECK(i.cname_hops <= kMaxCnameHops);
            // Found: the records, or a CNAME target still to ask for.
            if (i.status == Status::Found) FUZZ_CHECK(!i.records.empty() || i.follow.has_value());
            for (const auto& r : i.records) FUZZ_CHECK(r.type == type);
        }
    }
    (void)status_from_ares(status);
    return 0;
}
