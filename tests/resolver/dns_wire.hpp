// DNS responses built by hand (RFC 1035 §4.1) for the pure resolver tests: names uncompressed,
// class IN, one question. What a driver would feed a sans-I/O resolution as RawAnswer.message.
#pragma once

#include "resolver/answer.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

namespace relaylab::dns::test {

using Bytes = std::vector<unsigned char>;

inline void put16(Bytes& b, unsigned v) {
    b.push_back(static_cast<unsigned char>(v >> 8));
    b.push_back(static_cast<unsigned char>(v));
}

inline void put_name(Bytes& b, const std::string& name) {
    std::size_t start = 0;
    while (start < name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        b.push_back(static_cast<unsigned char>(dot - start));
        b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    b.push_back(0);
}

struct Rr {
    std::string owner;
    RecordType type = RecordType::A;
    Bytes rdata;
    std::uint32_t ttl = 300;
};

inline Rr mx_rr(const std::string& owner, unsigned pref, const std::string& host, std::uint32_t ttl = 300) {
    Bytes b;
    put16(b, pref);
    put_name(b, host);  // "" is the root: one zero octet
    return {owner, RecordType::Mx, b, ttl};
}

inline Rr a_rr(const std::string& owner, const std::string& ip, std::uint32_t ttl = 300) {
    Bytes b(4);
    inet_pton(AF_INET, ip.c_str(), b.data());
    return {owner, RecordType::A, b, ttl};
}

inline Rr aaaa_rr(const std::string& owner, const std::string& ip, std::uint32_t ttl = 300) {
    Bytes b(16);
    inet_pton(AF_INET6, ip.c_str(), b.data());
    return {owner, RecordType::Aaaa, b, ttl};
}

inline Rr cname_rr(const std::string& owner, const std::string& target, std::uint32_t ttl = 300) {
    Bytes b;
    put_name(b, target);
    return {owner, RecordType::CName, b, ttl};
}

inline Bytes response(const Question& q, const std::vector<Rr>& answers) {
    Bytes b;
    put16(b, 0x1234);
    put16(b, 0x8180);  // response, RD, RA, NOERROR
    put16(b, 1);
    put16(b, static_cast<unsigned>(answers.size()));
    put16(b, 0);
    put16(b, 0);
    put_name(b, q.name);
    put16(b, static_cast<unsigned>(q.type));
    put16(b, 1);
    for (const auto& rr : answers) {
        put_name(b, rr.owner);
        put16(b, static_cast<unsigned>(rr.type));
        put16(b, 1);
        put16(b, rr.ttl >> 16);
        put16(b, rr.ttl & 0xffff);
        put16(b, static_cast<unsigned>(rr.rdata.size()));
        b.insert(b.end(), rr.rdata.begin(), rr.rdata.end());
    }
    return b;
}

}  // namespace relaylab::dns::test
