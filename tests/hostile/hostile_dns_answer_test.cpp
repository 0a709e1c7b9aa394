// A DNS answer whose names break RFC 1035 §2.3.4 (more than 255 octets, e.g. built from labels or
// compression pointers) is malformed, not a record with an oversized name. Found by fuzz_dns_answer.
#include "resolver/answer.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace relaylab::dns;

namespace {

// A response with no question and one A record for `owner` (wire form, root included).
std::vector<unsigned char> answer_for(const std::string& owner_wire) {
    const std::string header("\x12\x34\x81\x80\0\0\0\x01\0\0\0\0", 12);
    const std::string rest("\0\x01\0\x01\0\0\x01\x2c\0\x04\x7f\0\0\x01", 14);
    const std::string m = header + owner_wire + rest;
    return std::vector<unsigned char>(m.begin(), m.end());
}

std::string labels(std::vector<std::size_t> sizes) {
    std::string wire;
    for (auto n : sizes) wire += static_cast<char>(n) + std::string(n, 'a');
    return wire + '\0';
}

}  // namespace

TEST_CASE("DNS answers with names over 255 octets are malformed", "[hostile][unit][dns]") {
    SECTION("255 octets exactly: a record") {
        auto records = parse_answer_section(answer_for(labels({63, 63, 63, 61})));
        REQUIRE(records);
        REQUIRE(records->size() == 1);
        CHECK(records->front().owner.size() == 253);
    }
    SECTION("257 octets: malformed") {
        CHECK_FALSE(parse_answer_section(answer_for(labels({63, 63, 63, 63}))));
    }
    SECTION("non-printable octets count once, not as their \\DDD text") {
        std::string wire = labels({63, 63, 63, 61});
        wire[1] = '\x01';
        auto records = parse_answer_section(answer_for(wire));
        REQUIRE(records);
        CHECK(records->front().owner.rfind("\\001", 0) == 0);
    }
}
