// The zone: JSON in, typed errors out; queries in, authoritative answers out, at a given time.
#include "scenarios/world/dns_zone.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace relaylab;
using namespace relaylab::world;
using namespace std::chrono_literals;

namespace {

const char* world_json = R"({
  "ttl": 300,
  "soa": { "zone": "example" },
  "names": {
    "isp.example":     { "mx": [ {"preference": 10, "host": "mx1.isp.example"},
                                 {"preference": 20, "host": "MX2.isp.example."} ] },
    "mx1.isp.example": { "a": ["127.0.0.11"], "aaaa": ["::1"] },
    "mx2.isp.example": { "a": ["127.0.0.12"], "ttl": "1m" },
    "alias.example":   { "cname": "isp.example" },
    "dangling.example":{ "cname": "elsewhere.test" },
    "loop1.example":   { "cname": "loop2.example" },
    "loop2.example":   { "cname": "loop1.example" },
    "nullmx.example":  { "mx": [ {"preference": 0, "host": "."} ] },
    "gone.example":    { "behaviour": "nxdomain" },
    "empty.example":   { "behaviour": "nodata" },
    "broken.example":  { "behaviour": "servfail" },
    "closed.example":  { "behaviour": "refused" },
    "silent.example":  { "behaviour": "drop" },
    "big.example":     { "behaviour": "truncate", "a": ["127.0.0.1", "127.0.0.2"] },
    "healing.example": { "mx": [ {"preference": 10, "host": "mx1.isp.example"} ],
                         "schedule": [ {"from": "0s", "until": "30m", "behaviour": "servfail"},
                                       {"from": "1h", "behaviour": "drop"} ] }
  }
})";

DnsZone load(const std::string& text) {
    auto z = DnsZone::parse(text);
    if (auto* e = std::get_if<DnsZoneError>(&z)) FAIL(to_string(*e));
    return std::get<DnsZone>(std::move(z));
}

DnsZoneError error_of(const std::string& text) {
    auto z = DnsZone::parse(text, "zones.json");
    REQUIRE(std::holds_alternative<DnsZoneError>(z));
    return std::get<DnsZoneError>(z);
}

struct Asked {
    DnsReply reply;
    std::optional<DnsResponse> response;
};

Asked ask(const DnsZone& zone, const std::string& name, RrType type, Duration at = 0s,
          DnsTransport t = DnsTransport::Udp) {
    DnsQuery q{0x4242, 0, true, {*DomainName::from_text(name), static_cast<std::uint16_t>(type), class_in}};
    Asked a{zone.answer(encode_query(q), at, t), std::nullopt};
    if (a.reply.bytes) {
        a.response = parse_response(*a.reply.bytes);
        REQUIRE(a.response);
        CHECK(a.response->id == 0x4242);
    }
    return a;
}

std::vector<std::string> answer_types(const DnsResponse& r) {
    std::vector<std::string> out;
    for (const auto& rr : r.answers) out.push_back(type_name(rr.type()));
    return out;
}

}  // namespace

TEST_CASE("the zone answers like an authoritative server", "[dns][zone]") {
    auto zone = load(world_json);

    SECTION("MX records in order, case-insensitive, question echoed as asked") {
        auto a = ask(zone, "ISP.Example", RrType::MX);
        CHECK(a.response->rcode == Rcode::NoError);
        CHECK(a.response->aa);
        CHECK(a.response->question->name.labels == std::vector<std::string>{"ISP", "Example"});
        REQUIRE(a.response->answers.size() == 2);
        CHECK(std::get<MxData>(a.response->answers[0].data).exchange.key() == "mx1.isp.example");
        CHECK(std::get<MxData>(a.response->answers[1].data).exchange.key() == "mx2.isp.example");
        CHECK(a.response->answers[0].ttl == 300);
        CHECK(a.reply.name == "isp.example");
        CHECK(a.reply.behaviour == DnsBehaviour::Answer);
    }
    SECTION("A and AAAA; a name's own TTL") {
        auto a = ask(zone, "mx1.isp.example", RrType::A);
        REQUIRE(a.response->answers.size() == 1);
        CHECK(std::get<std::array<std::uint8_t, 4>>(a.response->answers[0].data) ==
              std::array<std::uint8_t, 4>{127, 0, 0, 11});
        CHECK(answer_types(*ask(zone, "mx1.isp.example", RrType::AAAA).response) == std::vector<std::string>{"AAAA"});
        CHECK(ask(zone, "mx2.isp.example", RrType::A).response->answers[0].ttl == 60);
    }
    SECTION("null MX") {
        auto a = ask(zone, "nullmx.example", RrType::MX);
        REQUIRE(a.response->answers.size() == 1);
        CHECK(std::get<MxData>(a.response->answers[0].data).exchange.labels.empty());
    }
    SECTION("unknown name: NXDOMAIN with the SOA in authority") {
        auto a = ask(zone, "nowhere.example", RrType::MX);
        CHECK(a.response->rcode == Rcode::NxDomain);
        REQUIRE(a.response->authority.size() == 1);
        CHECK(a.response->authority[0].owner.key() == "example");
    }
    SECTION("a name without the asked type: NODATA") {
        auto a = ask(zone, "mx1.isp.example", RrType::MX);
        CHECK(a.response->rcode == Rcode::NoError);
        CHECK(a.response->answers.empty());
        CHECK(a.response->authority.size() == 1);
    }
    SECTION("CNAME followed to the target's records") {
        auto a = ask(zone, "alias.example", RrType::MX);
        CHECK(answer_types(*a.response) == std::vector<std::string>{"CNAME", "MX", "MX"});
        CHECK(a.response->answers[1].owner.key() == "isp.example");
        CHECK(answer_types(*ask(zone, "alias.example", RrType::CNAME).response) == std::vector<std::string>{"CNAME"});
        auto d = ask(zone, "dangling.example", RrType::A);
        CHECK(d.response->rcode == Rcode::NoError);
        CHECK(answer_types(*d.response) == std::vector<std::string>{"CNAME"});
        auto loop = ask(zone, "loop1.example", RrType::A);
        CHECK(loop.response->answers.size() == static_cast<std::size_t>(max_cname_chain));
    }
    SECTION("scripted behaviours") {
        CHECK(ask(zone, "gone.example", RrType::MX).response->rcode == Rcode::NxDomain);
        auto nodata = ask(zone, "empty.example", RrType::MX);
        CHECK(nodata.response->rcode == Rcode::NoError);
        CHECK(nodata.response->answers.empty());
        CHECK(ask(zone, "broken.example", RrType::MX).response->rcode == Rcode::ServFail);
        CHECK(ask(zone, "closed.example", RrType::MX).response->rcode == Rcode::Refused);
        auto dropped = ask(zone, "silent.example", RrType::MX);
        CHECK_FALSE(dropped.reply.bytes);
        CHECK(dropped.reply.behaviour == DnsBehaviour::Drop);
        CHECK_FALSE(dropped.reply.rcode);
    }
    SECTION("truncate: TC and nothing over UDP, the full answer over TCP") {
        auto udp = ask(zone, "big.example", RrType::A);
        CHECK(udp.response->tc);
        CHECK(udp.response->answers.empty());
        CHECK(udp.reply.truncated);
        auto tcp = ask(zone, "big.example", RrType::A, 0s, DnsTransport::Tcp);
        CHECK_FALSE(tcp.response->tc);
        CHECK(tcp.response->answers.size() == 2);
    }
    SECTION("schedule windows: before, inside, between, after") {
        CHECK(ask(zone, "healing.example", RrType::MX, -1s).response->rcode == Rcode::NoError);
        CHECK(ask(zone, "healing.example", RrType::MX, 0s).response->rcode == Rcode::ServFail);
        CHECK(ask(zone, "healing.example", RrType::MX, 29min).response->rcode == Rcode::ServFail);
        auto healed = ask(zone, "healing.example", RrType::MX, 30min);
        CHECK(healed.response->rcode == Rcode::NoError);
        CHECK(healed.response->answers.size() == 1);
        CHECK_FALSE(ask(zone, "healing.example", RrType::MX, 2h).reply.bytes);
    }
    SECTION("malformed queries get FORMERR when they have an ID, else nothing") {
        std::vector<std::uint8_t> no_question{0, 7, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        auto r = zone.answer(no_question, 0s, DnsTransport::Udp);
        REQUIRE(r.bytes);
        CHECK(parse_response(*r.bytes)->rcode == Rcode::FormErr);
        CHECK(r.malformed == QueryError::NotOneQuestion);
        CHECK_FALSE(zone.answer(std::vector<std::uint8_t>{1, 2, 3}, 0s, DnsTransport::Udp).bytes);
    }
    SECTION("other opcodes and classes") {
        DnsQuery q{1, 2, false, {*DomainName::from_text("isp.example"), 15, class_in}};
        CHECK(parse_response(*zone.answer(encode_query(q), 0s, DnsTransport::Udp).bytes)->rcode == Rcode::NotImp);
        q.opcode = 0;
        q.question.qclass = 3;  // CHAOS
        CHECK(parse_response(*zone.answer(encode_query(q), 0s, DnsTransport::Udp).bytes)->rcode == Rcode::Refused);
    }
}

TEST_CASE("answers over 512 octets are truncated over UDP only", "[dns][zone]") {
    std::string json = R"({"names": {"many.example": {"mx": [)";
    for (int i = 0; i < 30; ++i)
        json += std::string(i ? "," : "") + R"({"preference": )" + std::to_string(i) +
                R"(, "host": "a-rather-long-exchanger-name-)" + std::to_string(i) + R"(.example"})";
    json += "]}}}";
    auto zone = load(json);
    SECTION("UDP: TC, no records, within 512") {
        auto a = ask(zone, "many.example", RrType::MX);
        CHECK(a.response->tc);
        CHECK(a.response->answers.empty());
        CHECK(a.reply.bytes->size() <= max_udp_message_octets);
        CHECK(a.reply.behaviour == DnsBehaviour::Answer);
    }
    SECTION("TCP: all 30") {
        auto a = ask(zone, "many.example", RrType::MX, 0s, DnsTransport::Tcp);
        CHECK_FALSE(a.response->tc);
        CHECK(a.response->answers.size() == 30);
        CHECK(a.reply.bytes->size() > max_udp_message_octets);
    }
}

TEST_CASE("zone files with mistakes are refused with their place", "[dns][zone][loader]") {
    SECTION("syntax error with line:col") {
        auto e = error_of("{\n  \"names\": {\n    \"a.example\": { \"a\": [\"127.0.0.1\" }\n  }\n}");
        CHECK(e.kind == DnsZoneError::Kind::Syntax);
        CHECK(e.line == 3);
        CHECK(e.column > 0);
        CHECK(to_string(e).rfind("zones.json:3:", 0) == 0);
    }
    SECTION("an unknown key names its path, line and column") {
        auto e = error_of("{\"names\": {\n \"isp.example\": {\"mx\": [{\"preference\": 10, \"hots\": \"x\"}]}}}");
        CHECK(e.kind == DnsZoneError::Kind::UnknownKey);
        CHECK(e.path == "names[\"isp.example\"].mx[0].hots");
        CHECK(e.pointer == "/names/isp.example/mx/0/hots");
        CHECK(e.line == 2);
        CHECK(to_string(e).find("names[\"isp.example\"].mx[0].hots: unknown key") != std::string::npos);
    }
    SECTION("each kind of bad value") {
        CHECK(error_of(R"({"names": {"a.example": {"a": ["300.0.0.1"]}}})").path == "names[\"a.example\"].a[0]");
        CHECK(error_of(R"({"names": {"a.example": {"aaaa": ["127.0.0.1"]}}})").kind == DnsZoneError::Kind::BadValue);
        CHECK(error_of(R"({"names": {"a.example": {"behaviour": "servfial"}}})").path == "names[\"a.example\"].behaviour");
        CHECK(error_of(R"({"names": {"a..example": {}}})").path == "names[\"a..example\"]");
        CHECK(error_of(R"({"names": {"a.example": {"mx": [{"preference": 70000, "host": "x"}]}}})").path ==
              "names[\"a.example\"].mx[0].preference");
        CHECK(error_of(R"({"names": {"a.example": {"mx": [{"preference": 1}]}}})").kind == DnsZoneError::Kind::MissingKey);
        CHECK(error_of(R"({"names": {"a.example": {"cname": "b.example", "a": ["127.0.0.1"]}}})").path ==
              "names[\"a.example\"].cname");
        CHECK(error_of(R"({"names": {"a.example": {"schedule": [{"from": "30m", "until": "10m", "behaviour": "drop"}]}}})")
                  .path == "names[\"a.example\"].schedule[0].until");
        CHECK(error_of(R"({"names": {"a.example": {"schedule": [{"from": "soon", "behaviour": "drop"}]}}})").path ==
              "names[\"a.example\"].schedule[0].from");
        CHECK(error_of(R"({"names": {"a.example": {"a": "127.0.0.1"}}})").kind == DnsZoneError::Kind::WrongType);
        CHECK(error_of(R"({"names": {"A.example.": {}, "a.example": {}}})").kind == DnsZoneError::Kind::Duplicate);
        CHECK(error_of(R"({"nmaes": {}})").kind == DnsZoneError::Kind::UnknownKey);
        CHECK(error_of(R"({"ttl": -1, "names": {}})").path == "ttl");
        CHECK(error_of(R"([])").kind == DnsZoneError::Kind::WrongType);
    }
    SECTION("a zone embedded in a bigger document keeps the full path") {
        auto j = nlohmann::json::parse(R"({"world": {"dns": {"names": {"x.example": {"a": [1]}}}}})");
        auto z = DnsZone::from_json(j["world"]["dns"], "/world/dns");
        REQUIRE(std::holds_alternative<DnsZoneError>(z));
        CHECK(std::get<DnsZoneError>(z).path == "world.dns.names[\"x.example\"].a[0]");
    }
}
