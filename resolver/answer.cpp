#include "resolver/answer.hpp"

#include "resolver/name.hpp"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>
#include <limits>

namespace relaylab::dns {

namespace {

constexpr std::size_t kHeaderSize = 12;     // RFC 1035 §4.1.1
constexpr std::size_t kFixedRrSize = 10;    // type, class, ttl, rdlength (RFC 1035 §4.1.3)
constexpr std::uint16_t kClassIn = 1;

std::uint16_t read16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t read32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

constexpr std::size_t kMaxNameOctets = 255;  // RFC 1035 §2.3.4, length octets and root included

// The wire size of a name as c-ares writes it: octets outside printable ASCII come as \DDD and
// '.' or '\' inside a label as \. or \\ (each one octet); each '.' stands for a length octet.
std::size_t wire_octets(std::string_view text) {
    if (text.empty()) return 1;  // the root
    std::size_t octets = 2;      // the first label's length octet and the root
    auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
    for (std::size_t i = 0; i < text.size(); ++i, ++octets)
        if (text[i] == '\\') i += digit(i + 1) && digit(i + 2) && digit(i + 3) ? 3 : 1;
    return octets;
}

// Expands the (possibly compressed) name at `at`; returns its encoded length, or 0 when malformed.
// c-ares 1.18 does not enforce the 255-octet limit on names built from compression pointers.
std::size_t expand_name(std::span<const unsigned char> msg, std::size_t at, std::string& out) {
    if (at >= msg.size() || msg.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return 0;
    char* name = nullptr;
    long len = 0;
    if (ares_expand_name(msg.data() + at, msg.data(), static_cast<int>(msg.size()), &name, &len) != ARES_SUCCESS)
        return 0;
    out = normalise_name(name);
    ares_free_string(name);
    if (wire_octets(out) > kMaxNameOctets) return 0;
    return len > 0 ? static_cast<std::size_t>(len) : 0;
}

}  // namespace

std::optional<std::vector<Record>> parse_answer_section(std::span<const unsigned char> msg) {
    if (msg.size() < kHeaderSize) return std::nullopt;
    const unsigned questions = read16(msg.data() + 4);
    const unsigned answers = read16(msg.data() + 6);
    std::size_t at = kHeaderSize;
    std::string name;
    for (unsigned i = 0; i < questions; ++i) {
        std::size_t n = expand_name(msg, at, name);
        if (n == 0 || at + n + 4 > msg.size()) return std::nullopt;
        at += n + 4;
    }
    std::vector<Record> out;
    for (unsigned i = 0; i < answers; ++i) {
        Record r;
        std::size_t n = expand_name(msg, at, r.owner);
        if (n == 0 || at + n + kFixedRrSize > msg.size()) return std::nullopt;
        at += n;
        const std::uint16_t type = read16(msg.data() + at);
        const std::uint16_t klass = read16(msg.data() + at + 2);
        r.ttl = read32(msg.data() + at + 4);
        const std::size_t rdlength = read16(msg.data() + at + 8);
        at += kFixedRrSize;
        if (at + rdlength > msg.size()) return std::nullopt;
        const std::size_t rdata = at;
        at += rdlength;
        if (klass != kClassIn) continue;
        switch (type) {
            case static_cast<std::uint16_t>(RecordType::A):
            case static_cast<std::uint16_t>(RecordType::Aaaa): {
                const bool v4 = type == static_cast<std::uint16_t>(RecordType::A);
                if (rdlength != (v4 ? 4u : 16u)) return std::nullopt;
                char text[INET6_ADDRSTRLEN] = {};
                inet_ntop(v4 ? AF_INET : AF_INET6, msg.data() + rdata, text, sizeof text);
                r.type = static_cast<RecordType>(type);
                r.data = text;
                break;
            }
            case static_cast<std::uint16_t>(RecordType::Mx): {
                if (rdlength < 3) return std::nullopt;
                r.type = RecordType::Mx;
                r.preference = read16(msg.data() + rdata);
                std::size_t len = expand_name(msg.first(rdata + rdlength), rdata + 2, r.data);
                if (len == 0 || len != rdlength - 2) return std::nullopt;
                break;
            }
            case static_cast<std::uint16_t>(RecordType::CName): {
                r.type = RecordType::CName;
                std::size_t len = expand_name(msg.first(rdata + rdlength), rdata, r.data);
                if (len == 0 || len != rdlength) return std::nullopt;
                break;
            }
            default:
                continue;
        }
        out.push_back(std::move(r));
    }
    return out;
}

Status status_from_ares(int s) {
    switch (s) {
        case ARES_SUCCESS: return Status::Found;
        case ARES_ENODATA: return Status::NoData;
        case ARES_ENOTFOUND: return Status::NxDomain;
        case ARES_ESERVFAIL: return Status::ServFail;
        case ARES_EREFUSED: return Status::Refused;
        case ARES_ETIMEOUT: return Status::Timeout;
        case ARES_ECONNREFUSED: return Status::ConnRefused;
        case ARES_EBADNAME: return Status::BadName;
        case ARES_EBADRESP:
        case ARES_EFORMERR:  // the server could not read our query; nothing usable came back
            return Status::BadAnswer;
        default: return Status::Error;  // ENOMEM, EDESTRUCTION, ECANCELLED, ENOTIMP, ...
    }
}

Interpretation interpret_answer(int ares_status, std::span<const unsigned char> message, std::string_view qname,
                                RecordType qtype, unsigned hops_left) {
    Interpretation in;
    in.canonical = normalise_name(qname);
    in.status = status_from_ares(ares_status);
    if (in.status != Status::Found) return in;
    auto records = parse_answer_section(message);
    if (!records) {
        in.status = Status::BadAnswer;
        return in;
    }
    // RFC 1034 §3.6.2: the answer may hold the chain from the asked name to the canonical one.
    for (;;) {
        auto cname = std::find_if(records->begin(), records->end(), [&](const Record& r) {
            return r.type == RecordType::CName && r.owner == in.canonical;
        });
        if (cname == records->end() || qtype == RecordType::CName) break;
        if (in.cname_hops == hops_left) {
            in.status = Status::BadAnswer;  // a loop, or a chain longer than we follow
            return in;
        }
        ++in.cname_hops;
        in.canonical = cname->data;
    }
    for (auto& r : *records)
        if (r.type == qtype && r.owner == in.canonical) in.records.push_back(std::move(r));
    if (!in.records.empty()) return in;
    if (in.cname_hops > 0) {
        in.follow = in.canonical;
        return in;
    }
    in.status = Status::NoData;  // answers, but none for this name and type
    return in;
}

}  // namespace relaylab::dns
