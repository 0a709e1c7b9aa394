// The DNS wire codec: queries in, typed results out; responses built and read back.
#include "scenarios/world/dns_message.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using namespace relaylab::world;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Header: ID 0x1234, RD, QDCOUNT 1, no other records.
Bytes header(std::uint16_t qdcount = 1, std::uint8_t flags1 = 0x01) {
    return {0x12, 0x34, flags1, 0x00, static_cast<std::uint8_t>(qdcount >> 8),
            static_cast<std::uint8_t>(qdcount & 0xFF), 0, 0, 0, 0, 0, 0};
}

// (push_back rather than insert: g++ 12 -O2 warns falsely on inserting into a one-element vector.)
Bytes operator+(Bytes a, const Bytes& b) {
    for (auto x : b) a.push_back(x);
    return a;
}

Bytes label(const std::string& s) {
    Bytes b;
    b.push_back(static_cast<std::uint8_t>(s.size()));
    for (char c : s) b.push_back(static_cast<std::uint8_t>(c));
    return b;
}

const Bytes mx_in{0x00, 0x0F, 0x00, 0x01};

QueryError rejection_of(const Bytes& b) {
    auto parsed = parse_query(b);
    REQUIRE(std::holds_alternative<QueryRejection>(parsed));
    return std::get<QueryRejection>(parsed).error;
}

}  // namespace

TEST_CASE("queries parse into typed questions", "[dns][codec]") {
    SECTION("a plain MX query keeps the name's case and the header fields") {
        auto parsed = parse_query(header() + label("ISP") + label("example") + Bytes{0} + mx_in);
        REQUIRE(std::holds_alternative<DnsQuery>(parsed));
        const auto& q = std::get<DnsQuery>(parsed);
        CHECK(q.id == 0x1234);
        CHECK(q.rd);
        CHECK(q.opcode == 0);
        CHECK(q.question.name.labels == std::vector<std::string>{"ISP", "example"});
        CHECK(q.question.name.key() == "isp.example");
        CHECK(q.question.qtype == 15);
        CHECK(q.question.qclass == 1);
    }
    SECTION("an EDNS OPT record in the additional section is ignored") {
        Bytes h = header();
        h[11] = 1;  // ARCOUNT 1
        Bytes opt{0, 0x00, 0x29, 0x10, 0x00, 0, 0, 0, 0, 0, 0};
        auto parsed = parse_query(h + label("a") + Bytes{0} + mx_in + opt);
        CHECK(std::holds_alternative<DnsQuery>(parsed));
    }
    SECTION("escaped octets in the key") {
        auto parsed = parse_query(header() + label("a.b") + label("C\\") + Bytes{0} + mx_in);
        REQUIRE(std::holds_alternative<DnsQuery>(parsed));
        CHECK(std::get<DnsQuery>(parsed).question.name.key() == "a\\046b.c\\092");
    }
}

TEST_CASE("malformed queries are rejected, never crash", "[dns][codec]") {
    SECTION("empty and short headers have no ID to answer") {
        for (std::size_t n = 0; n < 12; ++n) {
            auto parsed = parse_query(Bytes(n, 0));
            REQUIRE(std::holds_alternative<QueryRejection>(parsed));
            CHECK(std::get<QueryRejection>(parsed).error == QueryError::ShortHeader);
            CHECK_FALSE(std::get<QueryRejection>(parsed).id);
        }
    }
    SECTION("a response is never answered") {
        auto parsed = parse_query(header(1, 0x81) + label("a") + Bytes{0} + mx_in);
        REQUIRE(std::holds_alternative<QueryRejection>(parsed));
        CHECK(std::get<QueryRejection>(parsed).error == QueryError::NotAQuery);
        CHECK_FALSE(std::get<QueryRejection>(parsed).id);
    }
    SECTION("QDCOUNT 0 and 2 keep the ID for FORMERR") {
        auto parsed = parse_query(header(0));
        REQUIRE(std::holds_alternative<QueryRejection>(parsed));
        CHECK(std::get<QueryRejection>(parsed).error == QueryError::NotOneQuestion);
        CHECK(std::get<QueryRejection>(parsed).id == 0x1234);
        CHECK(rejection_of(header(2) + label("a") + Bytes{0} + mx_in + label("b") + Bytes{0} + mx_in) ==
              QueryError::NotOneQuestion);
    }
    SECTION("a length octet of 64 is neither label nor pointer") {
        CHECK(rejection_of(header() + Bytes{64} + Bytes(64, 'a') + Bytes{0} + mx_in) == QueryError::LabelTooLong);
    }
    SECTION("a name over 255 octets") {
        Bytes name;
        for (int i = 0; i < 5; ++i) name = name + label(std::string(60, 'a'));
        CHECK(rejection_of(header() + name + Bytes{0} + mx_in) == QueryError::NameTooLong);
    }
    SECTION("a pointer to itself, or forward, is a loop") {
        CHECK(rejection_of(header() + Bytes{0xC0, 12} + mx_in) == QueryError::BadPointer);
        CHECK(rejection_of(header() + Bytes{0xC0, 14, 0} + mx_in) == QueryError::BadPointer);
        // "a" at 12, then a pointer back to 12: backwards, but it leads to itself.
        CHECK(rejection_of(header() + label("a") + Bytes{0xC0, 12} + mx_in) == QueryError::BadPointer);
    }
    SECTION("lengths past the end") {
        CHECK(rejection_of(header() + Bytes{5, 'a', 'b'}) == QueryError::Truncated);
        CHECK(rejection_of(header() + label("a")) == QueryError::Truncated);
        CHECK(rejection_of(header() + label("a") + Bytes{0, 0, 15}) == QueryError::Truncated);
        CHECK(rejection_of(header() + Bytes{0xC0}) == QueryError::Truncated);
    }
    SECTION("every prefix and every single-octet corruption of a query is handled") {
        Bytes good = header() + label("mx1") + label("isp") + label("example") + Bytes{0} + mx_in;
        REQUIRE(std::holds_alternative<DnsQuery>(parse_query(good)));
        // Every proper prefix is a rejection (never a query read from bytes that are not there).
        for (std::size_t n = 0; n < good.size(); ++n)
            CHECK(std::holds_alternative<QueryRejection>(parse_query(std::span(good.data(), n))));
        // A corrupted octet gives a query or a named, typed rejection.
        for (std::size_t i = 0; i < good.size(); ++i)
            for (int v : {0x00, 0x3F, 0x40, 0xC0, 0xFF}) {
                Bytes bad = good;
                bad[i] = static_cast<std::uint8_t>(v);
                const auto parsed = parse_query(bad);
                if (const auto* r = std::get_if<QueryRejection>(&parsed)) CHECK_FALSE(to_string(r->error).empty());
            }
    }
}

TEST_CASE("responses round-trip through the codec", "[dns][codec]") {
    auto isp = *DomainName::from_text("isp.example.");
    auto mx1 = *DomainName::from_text("mx1.isp.example");
    DnsResponse r;
    r.id = 0xBEEF;
    r.rd = true;
    r.question = DnsQuestion{*DomainName::from_text("ISP.Example"), 15, 1};
    r.answers.push_back({r.question->name, 300, MxData{10, mx1}});
    r.answers.push_back({isp, 60, MxData{0, DomainName{}}});
    r.answers.push_back({mx1, 300, std::array<std::uint8_t, 4>{127, 0, 0, 11}});
    std::array<std::uint8_t, 16> v6{};
    v6[15] = 1;
    r.answers.push_back({mx1, 300, v6});
    r.answers.push_back({*DomainName::from_text("alias.example"), 300, isp});
    r.authority.push_back({*DomainName::from_text("example"), 300,
                           SoaData{*DomainName::from_text("ns.example"), *DomainName::from_text("hostmaster.example")}});
    auto bytes = encode_response(r);

    SECTION("every field comes back") {
        auto back = parse_response(bytes);
        REQUIRE(back);
        CHECK(back->id == 0xBEEF);
        CHECK(back->aa);
        CHECK_FALSE(back->tc);
        CHECK(back->rd);
        CHECK(back->rcode == Rcode::NoError);
        REQUIRE(back->question);
        CHECK(back->question->name.labels == std::vector<std::string>{"ISP", "Example"});
        REQUIRE(back->answers.size() == 5);
        CHECK(std::get<MxData>(back->answers[0].data).exchange.key() == "mx1.isp.example");
        CHECK(std::get<MxData>(back->answers[0].data).preference == 10);
        CHECK(std::get<MxData>(back->answers[1].data).exchange.labels.empty());
        CHECK(back->answers[1].ttl == 60);
        CHECK(std::get<std::array<std::uint8_t, 4>>(back->answers[2].data)[3] == 11);
        CHECK(std::get<std::array<std::uint8_t, 16>>(back->answers[3].data) == v6);
        CHECK(std::get<DomainName>(back->answers[4].data).key() == "isp.example");
        REQUIRE(back->authority.size() == 1);
        CHECK(std::get<SoaData>(back->authority[0].data).rname.key() == "hostmaster.example");
    }
    SECTION("names are compressed: isp.example is written once") {
        std::string text(bytes.begin(), bytes.end());
        CHECK(text.find("\x03isp") == text.rfind("\x03isp"));
        // 12 header + 17 question + MX 20 + MX 15 + A 16 + AAAA 28 + CNAME 20 + SOA 50, every
        // repeated suffix a two-octet pointer.
        CHECK(bytes.size() == 178);
    }
    SECTION("a query round-trips too") {
        DnsQuery q{7, 0, true, {mx1, 28, 1}};
        auto parsed = parse_query(encode_query(q));
        REQUIRE(std::holds_alternative<DnsQuery>(parsed));
        CHECK(std::get<DnsQuery>(parsed).question.name == mx1);
        CHECK(std::get<DnsQuery>(parsed).question.qtype == 28);
    }
}

TEST_CASE("domain names from text", "[dns][codec]") {
    SECTION("trailing dot optional, root forms") {
        CHECK(DomainName::from_text("a.example.")->key() == "a.example");
        CHECK(DomainName::from_text(".")->labels.empty());
        CHECK(DomainName::from_text("")->labels.empty());
    }
    SECTION("empty and over-long labels, over-long names") {
        CHECK_FALSE(DomainName::from_text("a..example"));
        CHECK_FALSE(DomainName::from_text(".a"));
        CHECK_FALSE(DomainName::from_text(std::string(64, 'a') + ".example"));
        CHECK(DomainName::from_text(std::string(63, 'a') + ".example"));
        std::string long_name;
        for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
        CHECK_FALSE(DomainName::from_text(long_name));
    }
}
