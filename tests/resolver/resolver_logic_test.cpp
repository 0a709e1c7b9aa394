// Pure parts of the resolver: status names, config validation, names, MX ordering, answer reading.
#include "resolver/answer.hpp"
#include "resolver/config.hpp"
#include "resolver/mx_order.hpp"
#include "resolver/name.hpp"
#include "resolver/result.hpp"
#include "tests/resolver/dns_wire.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

using namespace relaylab::dns;

namespace {

// DNS responses built by hand (RFC 1035 §4.1), names uncompressed unless written as pointers.
using test::Bytes;
using test::put16;
using test::put_name;
using test::Rr;

Bytes name_bytes(const std::string& name) {
    Bytes b;
    put_name(b, name);
    return b;
}
Bytes mx_rdata(unsigned pref, const std::string& host) {
    Bytes b;
    put16(b, pref);
    put_name(b, host);
    return b;
}
Bytes a_rdata(const std::string& ip) {
    Bytes b(4);
    inet_pton(AF_INET, ip.c_str(), b.data());
    return b;
}

Bytes response(const std::string& qname, RecordType qtype, const std::vector<Rr>& answers) {
    return test::response(Question{qname, qtype}, answers);
}

std::vector<std::string> names(const std::vector<MxHost>& hosts) {
    std::vector<std::string> out;
    for (const auto& h : hosts) out.push_back(h.name);
    return out;
}

}  // namespace

TEST_CASE("statuses have stable names and a temporary/permanent split", "[resolver][unit]") {
    SECTION("every status round-trips through its name") {
        for (auto s : {Status::Found, Status::NullMx, Status::NxDomain, Status::NoData, Status::ServFail,
                       Status::Refused, Status::Timeout, Status::BadName, Status::BadAnswer, Status::ConnRefused,
                       Status::Error}) {
            REQUIRE(status_from_string(to_string(s)) == s);
        }
        REQUIRE(to_string(Status::NullMx) == "null_mx");
        REQUIRE(to_string(Status::NxDomain) == "nxdomain");
        REQUIRE_FALSE(status_from_string("NXDOMAIN").has_value());
        REQUIRE_FALSE(status_from_string("").has_value());
    }
    SECTION("RFC 5321 §5.1: only failures to learn the answer are temporary") {
        for (auto s : {Status::ServFail, Status::Refused, Status::Timeout, Status::ConnRefused, Status::BadAnswer,
                       Status::Error})
            REQUIRE(is_temporary(s));
        for (auto s : {Status::Found, Status::NullMx, Status::NxDomain, Status::NoData, Status::BadName})
            REQUIRE_FALSE(is_temporary(s));
    }
    SECTION("c-ares codes map to statuses") {
        REQUIRE(status_from_ares(ARES_SUCCESS) == Status::Found);
        REQUIRE(status_from_ares(ARES_ENOTFOUND) == Status::NxDomain);
        REQUIRE(status_from_ares(ARES_ENODATA) == Status::NoData);
        REQUIRE(status_from_ares(ARES_ESERVFAIL) == Status::ServFail);
        REQUIRE(status_from_ares(ARES_EREFUSED) == Status::Refused);
        REQUIRE(status_from_ares(ARES_ETIMEOUT) == Status::Timeout);
        REQUIRE(status_from_ares(ARES_ECONNREFUSED) == Status::ConnRefused);
        REQUIRE(status_from_ares(ARES_EBADNAME) == Status::BadName);
        REQUIRE(status_from_ares(ARES_EBADRESP) == Status::BadAnswer);
        REQUIRE(status_from_ares(ARES_EDESTRUCTION) == Status::Error);
        REQUIRE(status_from_ares(ARES_ENOMEM) == Status::Error);
    }
}

TEST_CASE("resolver config: servers are numeric addresses with ports", "[resolver][unit]") {
    ResolverConfig cfg;
    SECTION("accepted forms become c-ares' csv") {
        cfg.servers = {"127.0.0.1:5354", "127.0.0.2", "[::1]:53", "::1"};
        REQUIRE(validated_servers_csv(cfg) == "127.0.0.1:5354,127.0.0.2:53,[::1]:53,[::1]:53");
    }
    SECTION("defaults are sane") {
        REQUIRE(cfg.tries == kDefaultTries);
        REQUIRE(cfg.timeout == kDefaultTryTimeout);
        REQUIRE(cfg.deadline == kDefaultDeadline);
    }
    SECTION("a bad server is named in the error") {
        for (const std::string bad : {"localhost:53", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:5x", "[::1", "[::1]x",
                                "", "127.0.0.1:", "1.2.3:53"}) {
            cfg.servers = {bad};
            try {
                validated_servers_csv(cfg);
                FAIL("accepted " << bad);
            } catch (const std::invalid_argument& e) {
                REQUIRE(std::string(e.what()).find("\"" + bad + "\"") != std::string::npos);
            }
        }
    }
    SECTION("no servers, bad tries or timeouts are refused") {
        REQUIRE_THROWS_AS(validated_servers_csv(cfg), std::invalid_argument);
        cfg.servers = {"127.0.0.1:53"};
        cfg.tries = 0;
        REQUIRE_THROWS_AS(validated_servers_csv(cfg), std::invalid_argument);
        cfg.tries = 2;
        cfg.timeout = relaylab::Duration::zero();
        REQUIRE_THROWS_AS(validated_servers_csv(cfg), std::invalid_argument);
        cfg.timeout = kDefaultTryTimeout;
        cfg.deadline = relaylab::Duration::zero();
        REQUIRE_THROWS_AS(validated_servers_csv(cfg), std::invalid_argument);
    }
}

TEST_CASE("names are normalised and checked before asking", "[resolver][unit]") {
    SECTION("lower case, no trailing dot") {
        REQUIRE(normalise_name("MX1.Example.ORG.") == "mx1.example.org");
        REQUIRE(normalise_name("example.org") == "example.org");
        REQUIRE(normalise_name(".") == "");
    }
    SECTION("queryable names") {
        REQUIRE(is_queryable_name("example.org"));
        REQUIRE(is_queryable_name("xn--wgv71a.jp"));
        REQUIRE(is_queryable_name(std::string(63, 'a') + ".org"));
    }
    SECTION("unaskable names") {
        for (const std::string& bad : std::vector<std::string>{"", "a..b", ".a", "a b", "a\\.b", "a\tb",
                                                             std::string(64, 'a') + ".org", std::string(254, 'a')})
            REQUIRE_FALSE(is_queryable_name(bad));
    }
}

TEST_CASE("MX ordering follows RFC 5321 §5.1 and RFC 7505", "[resolver][unit]") {
    Rng rng(1);
    SECTION("lowest preference first, wire order irrelevant") {
        auto hosts = order_mx_hosts({{30, "c.test"}, {10, "a.test"}, {20, "b.test"}}, rng);
        REQUIRE(names(hosts) == std::vector<std::string>{"a.test", "b.test", "c.test"});
        REQUIRE(hosts[0].preference == 10);
        REQUIRE_FALSE(hosts[0].implicit);
    }
    SECTION("a host listed twice keeps its lowest preference") {
        auto hosts = order_mx_hosts({{30, "a.test"}, {10, "a.test"}, {20, "b.test"}}, rng);
        REQUIRE(names(hosts) == std::vector<std::string>{"a.test", "b.test"});
        REQUIRE(hosts[0].preference == 10);
    }
    SECTION("null MX: the root alone, or only roots") {
        REQUIRE(is_null_mx({{0, ""}}));
        REQUIRE(is_null_mx({{0, ""}, {10, ""}}));
        REQUIRE_FALSE(is_null_mx({{0, ""}, {10, "a.test"}}));
        REQUIRE_FALSE(is_null_mx({}));
        REQUIRE(names(order_mx_hosts({{0, ""}, {10, "a.test"}}, rng)) == std::vector<std::string>{"a.test"});
    }
    SECTION("bounded to kMaxMxHosts") {
        std::vector<MxRecord> many;
        for (unsigned i = 0; i < 40; ++i) many.push_back({i, "mx" + std::to_string(i) + ".test"});
        auto hosts = order_mx_hosts(many, rng);
        REQUIRE(hosts.size() == kMaxMxHosts);
        REQUIRE(hosts.back().preference == kMaxMxHosts - 1);
    }
    SECTION("equal preferences are a Fisher-Yates shuffle with rng() % (i+1), from name order") {
        std::vector<MxRecord> five;
        for (auto n : {"e", "c", "a", "d", "b"}) five.push_back({10, std::string(n) + ".test"});
        Rng mine(7);
        auto got = order_mx_hosts(five, mine);
        std::vector<std::string> want{"a.test", "b.test", "c.test", "d.test", "e.test"};
        Rng ref(7);
        for (std::size_t i = want.size() - 1; i > 0; --i) std::swap(want[i], want[ref() % (i + 1)]);
        REQUIRE(names(got) == want);
    }
    SECTION("same seed, same order; different seeds eventually differ; groups stay apart") {
        std::vector<MxRecord> recs{{5, "first.test"}};
        for (int i = 0; i < 5; ++i) recs.push_back({10, "eq" + std::to_string(i) + ".test"});
        recs.push_back({20, "last.test"});
        std::set<std::vector<std::string>> orders;
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            Rng a(seed), b(seed);
            auto x = order_mx_hosts(recs, a);
            REQUIRE(names(x) == names(order_mx_hosts(recs, b)));
            REQUIRE(x.front().name == "first.test");
            REQUIRE(x.back().name == "last.test");
            orders.insert(names(x));
        }
        REQUIRE(orders.size() > 1);
    }
}

TEST_CASE("a host's A and AAAA statuses combine into one", "[resolver][unit]") {
    SECTION("equal statuses stay") { REQUIRE(combine_address_status(Status::NoData, Status::NoData) == Status::NoData); }
    SECTION("NXDOMAIN is definite") {
        REQUIRE(combine_address_status(Status::NoData, Status::NxDomain) == Status::NxDomain);
        REQUIRE(combine_address_status(Status::Timeout, Status::NxDomain) == Status::NxDomain);
    }
    SECTION("a temporary failure beats NODATA: the other family may have had an address") {
        REQUIRE(combine_address_status(Status::NoData, Status::Timeout) == Status::Timeout);
        REQUIRE(combine_address_status(Status::ServFail, Status::NoData) == Status::ServFail);
    }
}

TEST_CASE("answers are read into records and interpreted for the question", "[resolver][unit]") {
    SECTION("MX records, names normalised, TTLs kept") {
        auto msg = response("ex.test", RecordType::Mx,
                            {{"EX.test", RecordType::Mx, mx_rdata(20, "MX2.Ex.Test"), 60},
                             {"ex.test", RecordType::Mx, mx_rdata(10, "mx1.ex.test"), 300}});
        auto in = interpret_answer(ARES_SUCCESS, msg, "ex.test", RecordType::Mx);
        REQUIRE(in.status == Status::Found);
        REQUIRE(in.records.size() == 2);
        REQUIRE(in.records[0].data == "mx2.ex.test");
        REQUIRE(in.records[0].preference == 20);
        REQUIRE(in.records[0].ttl == 60);
        REQUIRE_FALSE(in.follow);
    }
    SECTION("null MX reads as the empty name") {
        auto msg = response("n.test", RecordType::Mx, {{"n.test", RecordType::Mx, mx_rdata(0, "")}});
        auto in = interpret_answer(ARES_SUCCESS, msg, "n.test", RecordType::Mx);
        REQUIRE(in.status == Status::Found);
        REQUIRE(in.records.at(0).data.empty());
    }
    SECTION("a CNAME alone asks to follow its target") {
        auto msg = response("alias.test", RecordType::Mx,
                            {{"alias.test", RecordType::CName, name_bytes("Target.test")}});
        auto in = interpret_answer(ARES_SUCCESS, msg, "alias.test", RecordType::Mx);
        REQUIRE(in.follow == std::optional<std::string>("target.test"));
        REQUIRE(in.cname_hops == 1);
    }
    SECTION("a CNAME chain with the target's records is walked in the answer") {
        auto msg = response("alias.test", RecordType::A,
                            {{"alias.test", RecordType::CName, name_bytes("mid.test")},
                             {"mid.test", RecordType::CName, name_bytes("host.test")},
                             {"host.test", RecordType::A, a_rdata("127.0.0.9")},
                             {"other.test", RecordType::A, a_rdata("127.0.0.8")}});
        auto in = interpret_answer(ARES_SUCCESS, msg, "alias.test", RecordType::A);
        REQUIRE(in.status == Status::Found);
        REQUIRE(in.canonical == "host.test");
        REQUIRE(in.records.size() == 1);
        REQUIRE(in.records[0].data == "127.0.0.9");
    }
    SECTION("a CNAME loop is a bad answer") {
        auto msg = response("a.test", RecordType::Mx,
                            {{"a.test", RecordType::CName, name_bytes("b.test")},
                             {"b.test", RecordType::CName, name_bytes("a.test")}});
        REQUIRE(interpret_answer(ARES_SUCCESS, msg, "a.test", RecordType::Mx).status == Status::BadAnswer);
    }
    SECTION("records for another name only: no data") {
        auto msg = response("a.test", RecordType::A, {{"b.test", RecordType::A, a_rdata("127.0.0.1")}});
        REQUIRE(interpret_answer(ARES_SUCCESS, msg, "a.test", RecordType::A).status == Status::NoData);
    }
    SECTION("failures pass through without reading the message") {
        REQUIRE(interpret_answer(ARES_ENOTFOUND, {}, "a.test", RecordType::Mx).status == Status::NxDomain);
        REQUIRE(interpret_answer(ARES_ESERVFAIL, {}, "a.test", RecordType::Mx).status == Status::ServFail);
    }
    SECTION("an A record of the wrong size is malformed") {
        auto msg = response("a.test", RecordType::A, {{"a.test", RecordType::A, Bytes{127, 0, 0, 1, 9}}});
        REQUIRE(interpret_answer(ARES_SUCCESS, msg, "a.test", RecordType::A).status == Status::BadAnswer);
    }
    SECTION("a compression pointer loop is malformed, not a hang") {
        auto msg = response("a.test", RecordType::Mx, {});
        msg[7] = 1;  // one answer
        msg.push_back(0xc0);  // owner: pointer to itself
        msg.push_back(static_cast<unsigned char>(msg.size() - 1));
        REQUIRE(interpret_answer(ARES_SUCCESS, msg, "a.test", RecordType::Mx).status == Status::BadAnswer);
    }
    SECTION("every truncation of a good answer is malformed, never a crash") {
        auto msg = response("ex.test", RecordType::Mx,
                            {{"ex.test", RecordType::Mx, mx_rdata(10, "mx1.ex.test")},
                             {"ex.test", RecordType::Mx, mx_rdata(20, "mx2.ex.test")}});
        REQUIRE(interpret_answer(ARES_SUCCESS, msg, "ex.test", RecordType::Mx).status == Status::Found);
        for (std::size_t cut = 0; cut < msg.size(); ++cut) {
            Bytes part(msg.begin(), msg.begin() + static_cast<long>(cut));
            INFO("cut at " << cut);
            REQUIRE(interpret_answer(ARES_SUCCESS, part, "ex.test", RecordType::Mx).status == Status::BadAnswer);
        }
    }
}
