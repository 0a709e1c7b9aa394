// The sans-I/O MX resolution (resolver/mx_resolution.hpp) driven by hand: a small zone answers
// each question; a fault is injected at every question of a full run, of every kind, and the typed
// result and the number of rounds are checked. Then focused cases: implicit MX, null MX, CNAME
// chains and loops, equal preferences under a seed, a driver that answers short.
#include "resolver/mx_resolution.hpp"

#include "dns_wire.hpp"

#include <ares.h>
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>
#include <tuple>

using namespace relaylab::dns;
using namespace relaylab::dns::test;

namespace {

// A zone: the records answering each (name, type). A name absent from `names` is NXDOMAIN; a
// name present without records of the type asked is NODATA (an empty NOERROR answer).
struct Zone {
    std::map<std::pair<std::string, RecordType>, std::vector<Rr>> answers;
    std::set<std::string> names;
    void add(const std::string& name, RecordType type, std::vector<Rr> rrs) {
        names.insert(name);
        answers[{name, type}] = std::move(rrs);
    }
    RawAnswer answer(const Question& q) const {
        if (!names.count(q.name)) return {ARES_ENOTFOUND, {}};
        auto it = answers.find({q.name, q.type});
        return {ARES_SUCCESS, response(q, it == answers.end() ? std::vector<Rr>{} : it->second)};
    }
};

enum class Fault { Timeout, ServFail, NxDomain, Refused, NoDataCode, EmptyAnswer, Malformed, OtherName, ConnRefused };
constexpr Fault kFaults[] = {Fault::Timeout,     Fault::ServFail,  Fault::NxDomain,  Fault::Refused,    Fault::NoDataCode,
                             Fault::EmptyAnswer, Fault::Malformed, Fault::OtherName, Fault::ConnRefused};

const char* name_of(Fault f) {
    switch (f) {
        case Fault::Timeout: return "timeout";
        case Fault::ServFail: return "servfail";
        case Fault::NxDomain: return "nxdomain";
        case Fault::Refused: return "refused";
        case Fault::NoDataCode: return "nodata (ENODATA)";
        case Fault::EmptyAnswer: return "empty answer";
        case Fault::Malformed: return "malformed";
        case Fault::OtherName: return "records of another name";
        case Fault::ConnRefused: return "server port closed";
    }
    return "?";
}

// The status a question ends with when its answer is this fault.
Status status_of(Fault f) {
    switch (f) {
        case Fault::Timeout: return Status::Timeout;
        case Fault::ServFail: return Status::ServFail;
        case Fault::NxDomain: return Status::NxDomain;
        case Fault::Refused: return Status::Refused;
        case Fault::NoDataCode:
        case Fault::EmptyAnswer:
        case Fault::OtherName: return Status::NoData;
        case Fault::Malformed: return Status::BadAnswer;
        case Fault::ConnRefused: return Status::ConnRefused;
    }
    return Status::Error;
}

RawAnswer fault_answer(Fault f, const Question& q) {
    switch (f) {
        case Fault::Timeout: return {ARES_ETIMEOUT, {}};
        case Fault::ServFail: return {ARES_ESERVFAIL, {}};
        case Fault::NxDomain: return {ARES_ENOTFOUND, {}};
        case Fault::Refused: return {ARES_EREFUSED, {}};
        case Fault::NoDataCode: return {ARES_ENODATA, {}};
        case Fault::EmptyAnswer: return {ARES_SUCCESS, response(q, {})};
        case Fault::Malformed: {
            // A record cut short: the header promises an answer the message does not hold.
            auto bytes = response(q, {a_rr(q.name, "192.0.2.99")});
            bytes.resize(bytes.size() - 3);
            return {ARES_SUCCESS, bytes};
        }
        case Fault::OtherName: return {ARES_SUCCESS, response(q, {a_rr("elsewhere.test", "192.0.2.98"), mx_rr("elsewhere.test", 1, "x.test")})};
        case Fault::ConnRefused: return {ARES_ECONNREFUSED, {}};
    }
    return {};
}

struct Run {
    MxResult result;
    std::vector<Question> asked;  // every question, in the order asked
    std::size_t rounds = 0;
    bool finished = false;
};

// Drives a resolution like resolver.cpp does, answering from `zone` except where `override`
// answers a question (by its index among all questions asked). Gives up after `cap` rounds, so a
// resolution that loops fails the test instead of hanging it.
template <typename Resolution>
Run drive(Resolution& r, const Zone& zone,
          const std::function<std::optional<RawAnswer>(std::size_t, const Question&)>& override = {},
          std::size_t cap = kMaxMxRounds) {
    Run run;
    DnsAction action = r.start();
    while (action.kind == DnsAction::Kind::Ask && run.rounds <= cap) {
        ++run.rounds;
        REQUIRE_FALSE(action.questions.empty());
        std::vector<RawAnswer> answers;
        for (const auto& q : action.questions) {
            std::optional<RawAnswer> a;
            if (override) a = override(run.asked.size(), q);
            answers.push_back(a ? *a : zone.answer(q));
            run.asked.push_back(q);
        }
        action = r.resume(answers);
    }
    run.finished = action.kind == DnsAction::Kind::Done && r.done();
    return run;
}

Run resolve(const std::string& domain, const Zone& zone,
            const std::function<std::optional<RawAnswer>(std::size_t, const Question&)>& override = {},
            std::uint64_t seed = 1) {
    Rng rng(seed);
    MxResolution r(domain, rng);
    Run run = drive(r, zone, override);
    run.result = r.result();
    return run;
}

// example.test: two MX hosts; mx2 is an alias whose answers stop at the CNAME (asked again).
Zone full_zone() {
    Zone z;
    z.add("example.test", RecordType::Mx, {mx_rr("example.test", 20, "mx2.example.test", 600), mx_rr("example.test", 10, "mx1.example.test", 300)});
    z.add("example.test", RecordType::A, {a_rr("example.test", "192.0.2.9")});
    z.add("mx1.example.test", RecordType::A, {a_rr("mx1.example.test", "192.0.2.1")});
    z.add("mx1.example.test", RecordType::Aaaa, {aaaa_rr("mx1.example.test", "2001:db8::1")});
    z.add("mx2.example.test", RecordType::A, {cname_rr("mx2.example.test", "real2.example.test")});
    z.add("mx2.example.test", RecordType::Aaaa, {cname_rr("mx2.example.test", "real2.example.test")});
    z.add("real2.example.test", RecordType::A, {a_rr("real2.example.test", "192.0.2.2")});
    return z;
}

}  // namespace

TEST_CASE("MX resolution: a clean run asks MX, then every host's A/AAAA at once, then the CNAME targets",
          "[resolver][mx][unit]") {
    Run run = resolve("Example.TEST.", full_zone());
    REQUIRE(run.finished);
    CHECK(run.rounds == 3);
    REQUIRE(run.asked.size() == 7);
    CHECK(run.asked[0].name == "example.test");
    CHECK(run.asked[0].type == RecordType::Mx);
    CHECK(run.asked[5].name == "real2.example.test");
    CHECK(run.asked[6].name == "real2.example.test");
    const MxResult& r = run.result;
    CHECK(r.domain == "example.test");
    CHECK(r.status == Status::Found);
    CHECK(r.ttl == 300);
    REQUIRE(r.hosts.size() == 2);
    CHECK(r.hosts[0].name == "mx1.example.test");
    CHECK(r.hosts[0].addresses == std::vector<std::string>{"2001:db8::1", "192.0.2.1"});
    CHECK(r.hosts[1].name == "mx2.example.test");
    CHECK(r.hosts[1].preference == 20);
    CHECK(r.hosts[1].address_status == Status::Found);
    CHECK(r.hosts[1].addresses == std::vector<std::string>{"192.0.2.2"});
}

TEST_CASE("MX resolution: a fault at every question, of every kind, ends in the right typed result",
          "[resolver][mx][unit]") {
    const Zone zone = full_zone();
    const Run clean = resolve("example.test", zone);
    REQUIRE(clean.asked.size() == 7);
    // Each step of the clean run, by its question; the host and family it decides.
    for (std::size_t step = 0; step < clean.asked.size(); ++step) {
        const Question q = clean.asked[step];
        for (Fault fault : kFaults) {
            INFO("step " << step << " (" << q.name << " type " << static_cast<int>(q.type) << "), fault " << name_of(fault));
            Run run = resolve("example.test", zone, [&](std::size_t i, const Question& asked) -> std::optional<RawAnswer> {
                if (i != step) return std::nullopt;
                CHECK(asked.name == q.name);  // the run is the clean one up to the fault
                return fault_answer(fault, asked);
            });
            REQUIRE(run.finished);
            CHECK(run.rounds <= kMaxMxRounds);
            CHECK(run.asked.size() <= clean.asked.size());
            const MxResult& r = run.result;
            const Status s = status_of(fault);
            if (step == 0) {  // the MX question
                if (s == Status::NoData) {
                    // No MX: the domain's own address is the implicit MX (RFC 5321 §5.1).
                    CHECK(r.status == Status::Found);
                    REQUIRE(r.hosts.size() == 1);
                    CHECK(r.hosts[0].implicit);
                    CHECK(r.hosts[0].name == "example.test");
                    CHECK(r.hosts[0].addresses == std::vector<std::string>{"192.0.2.9"});
                    CHECK(run.rounds == 2);
                } else {
                    CHECK(r.status == s);
                    CHECK(r.hosts.empty());
                    CHECK(run.rounds == 1);  // nothing more is asked
                }
                continue;
            }
            // A host's address question: the domain is still found, that host loses that family.
            CHECK(r.status == Status::Found);
            REQUIRE(r.hosts.size() == 2);
            const MxHost& mx1 = r.hosts[0];
            const MxHost& mx2 = r.hosts[1];
            const bool v4 = q.type == RecordType::A;
            if (q.name == "mx1.example.test") {
                CHECK(mx1.address_status == Status::Found);
                CHECK(mx1.addresses == std::vector<std::string>{v4 ? "2001:db8::1" : "192.0.2.1"});
                CHECK(mx2.addresses == std::vector<std::string>{"192.0.2.2"});
            } else {
                CHECK(mx1.addresses == std::vector<std::string>{"2001:db8::1", "192.0.2.1"});
                if (v4) {
                    // mx2's A (the alias or its target) failed; its AAAA is NODATA: no address.
                    CHECK(mx2.addresses.empty());
                    CHECK(mx2.address_status == combine_address_status(s, Status::NoData));
                    CHECK(mx2.address_status != Status::Found);
                } else {
                    CHECK(mx2.address_status == Status::Found);
                    CHECK(mx2.addresses == std::vector<std::string>{"192.0.2.2"});
                }
            }
            // A fault on an alias ends that question: its target is never asked.
            if (q.name == "mx2.example.test")
                for (const auto& a : run.asked) CHECK_FALSE((a.name == "real2.example.test" && a.type == q.type));
        }
    }
}

TEST_CASE("MX resolution: random faults at random steps always end, within the bound, with a typed result",
          "[resolver][mx][unit]") {
    const Zone zone = full_zone();
    Rng dice(2026);
    for (int trial = 0; trial < 3000; ++trial) {
        INFO("trial " << trial);
        Run run = resolve("example.test", zone, [&](std::size_t, const Question& q) -> std::optional<RawAnswer> {
            if (dice() % 3 != 0) return std::nullopt;
            return fault_answer(kFaults[dice() % std::size(kFaults)], q);
        }, dice());
        REQUIRE(run.finished);
        REQUIRE(run.rounds <= 3);
        const MxResult& r = run.result;
        if (r.status != Status::Found) {
            CHECK(r.hosts.empty());
            continue;
        }
        for (const auto& h : r.hosts) {
            CHECK((h.address_status == Status::Found) == !h.addresses.empty());
            CHECK(h.addresses.size() <= 2);
        }
    }
}

TEST_CASE("MX resolution: implicit MX", "[resolver][mx][unit]") {
    Zone z;
    SECTION("no MX, the domain's A and AAAA are the one host, preference 0") {
        z.add("plain.test", RecordType::A, {a_rr("plain.test", "192.0.2.7", 120)});
        z.add("plain.test", RecordType::Aaaa, {aaaa_rr("plain.test", "2001:db8::7", 60)});
        Run run = resolve("plain.test", z);
        REQUIRE(run.finished);
        CHECK(run.rounds == 2);
        CHECK(run.result.status == Status::Found);
        CHECK(run.result.ttl == 60);
        REQUIRE(run.result.hosts.size() == 1);
        CHECK(run.result.hosts[0].implicit);
        CHECK(run.result.hosts[0].preference == 0);
        CHECK(run.result.hosts[0].addresses == std::vector<std::string>{"2001:db8::7", "192.0.2.7"});
    }
    SECTION("no MX and no address: NODATA, no host") {
        z.add("bare.test", RecordType::Mx, {});
        Run run = resolve("bare.test", z);
        CHECK(run.result.status == Status::NoData);
        CHECK(run.result.hosts.empty());
    }
    SECTION("no MX and the A lookup fails temporarily: that failure, not NODATA") {
        z.add("flaky.test", RecordType::Mx, {});
        Run run = resolve("flaky.test", z, [](std::size_t i, const Question&) -> std::optional<RawAnswer> {
            if (i == 1) return RawAnswer{ARES_ESERVFAIL, {}};
            return std::nullopt;
        });
        CHECK(run.result.status == Status::ServFail);
        CHECK(is_temporary(run.result.status));
    }
    SECTION("NXDOMAIN for MX is final: no address is asked") {
        Run run = resolve("missing.test", z);
        CHECK(run.result.status == Status::NxDomain);
        CHECK(run.asked.size() == 1);
    }
}

TEST_CASE("MX resolution: null MX", "[resolver][mx][unit]") {
    Zone z;
    z.add("nomail.test", RecordType::Mx, {mx_rr("nomail.test", 0, "", 3600)});
    z.add("nomail.test", RecordType::A, {a_rr("nomail.test", "192.0.2.5")});
    Run run = resolve("nomail.test", z);
    REQUIRE(run.finished);
    CHECK(run.result.status == Status::NullMx);
    CHECK_FALSE(is_temporary(run.result.status));
    CHECK(run.result.hosts.empty());
    CHECK(run.result.ttl == 3600);
    CHECK(run.asked.size() == 1);  // the domain's A record is not the implicit MX here (RFC 7505 §3)

    SECTION("a root entry beside a real host is dropped, the real host used") {
        z.add("mixed.test", RecordType::Mx, {mx_rr("mixed.test", 0, ""), mx_rr("mixed.test", 10, "mx.mixed.test")});
        z.add("mx.mixed.test", RecordType::A, {a_rr("mx.mixed.test", "192.0.2.6")});
        Run mixed = resolve("mixed.test", z);
        CHECK(mixed.result.status == Status::Found);
        REQUIRE(mixed.result.hosts.size() == 1);
        CHECK(mixed.result.hosts[0].name == "mx.mixed.test");
    }
}

TEST_CASE("MX resolution: CNAMEs are followed, within a bound, and loops end", "[resolver][mx][unit]") {
    Zone z;
    SECTION("a chain asked link by link up to kMaxCnameHops is followed") {
        for (unsigned i = 0; i < kMaxCnameHops; ++i)
            z.add("a" + std::to_string(i) + ".test", RecordType::Mx,
                  {cname_rr("a" + std::to_string(i) + ".test", "a" + std::to_string(i + 1) + ".test")});
        const std::string last = "a" + std::to_string(kMaxCnameHops) + ".test";
        z.add(last, RecordType::Mx, {mx_rr(last, 5, "mx.final.test")});
        z.add("mx.final.test", RecordType::A, {a_rr("mx.final.test", "192.0.2.3")});
        Run run = resolve("a0.test", z);
        REQUIRE(run.finished);
        CHECK(run.result.status == Status::Found);
        REQUIRE(run.result.hosts.size() == 1);
        CHECK(run.result.hosts[0].addresses == std::vector<std::string>{"192.0.2.3"});
        CHECK(run.rounds == kMaxCnameHops + 1 + 1);
        CHECK(run.rounds <= kMaxMxRounds);
    }
    SECTION("one link longer is a bad answer, asked no further") {
        for (unsigned i = 0; i <= kMaxCnameHops; ++i)
            z.add("a" + std::to_string(i) + ".test", RecordType::Mx,
                  {cname_rr("a" + std::to_string(i) + ".test", "a" + std::to_string(i + 1) + ".test")});
        Run run = resolve("a0.test", z);
        REQUIRE(run.finished);
        CHECK(run.result.status == Status::BadAnswer);
        CHECK(run.rounds == kMaxLookupRounds);
    }
    SECTION("a loop across queries is seen at once, not walked to the bound") {
        z.add("ping.test", RecordType::Mx, {cname_rr("ping.test", "pong.test")});
        z.add("pong.test", RecordType::Mx, {cname_rr("pong.test", "ping.test")});
        Run run = resolve("ping.test", z);
        REQUIRE(run.finished);
        CHECK(run.result.status == Status::BadAnswer);
        CHECK(run.rounds == 2);
    }
    SECTION("a loop inside one answer is a bad answer in one round") {
        z.add("loop.test", RecordType::Mx, {cname_rr("loop.test", "l2.test"), cname_rr("l2.test", "loop.test")});
        Run run = resolve("loop.test", z);
        CHECK(run.result.status == Status::BadAnswer);
        CHECK(run.rounds == 1);
    }
    SECTION("a chain inside one answer, with the records, needs no second question") {
        z.add("alias.test", RecordType::Mx, {cname_rr("alias.test", "real.test"), mx_rr("real.test", 1, "mx.real.test")});
        z.add("mx.real.test", RecordType::A, {a_rr("mx.real.test", "192.0.2.4")});
        Run run = resolve("alias.test", z);
        CHECK(run.result.status == Status::Found);
        CHECK(run.rounds == 2);
        REQUIRE(run.result.hosts.size() == 1);
        CHECK(run.result.hosts[0].name == "mx.real.test");
    }
    SECTION("a CNAME to a name that cannot be asked is a bad answer") {
        z.add("odd.test", RecordType::Mx, {cname_rr("odd.test", "bad name.test")});
        Run run = resolve("odd.test", z);
        CHECK(run.result.status == Status::BadAnswer);
        CHECK(run.rounds == 1);
    }
}

TEST_CASE("MX resolution: equal preferences are shuffled, the same way under the same seed",
          "[resolver][mx][unit]") {
    auto zone_in = [](bool reversed) {
        Zone z;
        std::vector<Rr> rrs;
        for (int i = 1; i <= 5; ++i) rrs.push_back(mx_rr("eq.test", 10, "m" + std::to_string(i) + ".eq.test"));
        rrs.push_back(mx_rr("eq.test", 5, "first.eq.test"));
        if (reversed) std::reverse(rrs.begin(), rrs.end());
        z.add("eq.test", RecordType::Mx, rrs);
        return z;
    };
    auto order = [&](bool reversed, std::uint64_t seed) {
        std::vector<std::string> names;
        for (const auto& h : resolve("eq.test", zone_in(reversed), {}, seed).result.hosts) names.push_back(h.name);
        return names;
    };
    std::set<std::vector<std::string>> seen;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        auto o = order(false, seed);
        REQUIRE(o.size() == 6);
        CHECK(o[0] == "first.eq.test");       // lower preference always first
        CHECK(o == order(false, seed));       // the same seed, the same order
        CHECK(o == order(true, seed));        // whatever the wire order
        seen.insert(o);
    }
    CHECK(seen.size() > 5);  // and different seeds do shuffle
}

TEST_CASE("MX resolution: a bad name, a short answer list, and use after the end", "[resolver][mx][unit]") {
    Rng rng(1);
    SECTION("a name that cannot be asked is BadName without a question") {
        MxResolution r("bad domain.test", rng);
        CHECK(r.start().kind == DnsAction::Kind::Done);
        CHECK(r.result().status == Status::BadName);
    }
    SECTION("a driver that answers nothing: every question is a resolver error") {
        MxResolution r("example.test", rng);
        REQUIRE(r.start().kind == DnsAction::Kind::Ask);
        CHECK(r.resume({}).kind == DnsAction::Kind::Done);
        CHECK(r.result().status == Status::Error);
        CHECK(is_temporary(r.result().status));
        CHECK(r.resume({}).kind == DnsAction::Kind::Done);  // done stays done
    }
    SECTION("resume before start asks nothing") {
        MxResolution r("example.test", rng);
        CHECK(r.resume({}).kind == DnsAction::Kind::Done);
        CHECK_FALSE(r.done());
        CHECK(r.start().kind == DnsAction::Kind::Ask);
    }
}

TEST_CASE("address resolution: A and AAAA at once, CNAMEs followed, faults typed", "[resolver][mx][unit]") {
    const Zone zone = full_zone();
    SECTION("through an alias") {
        AddressResolution r("MX2.example.test");
        Run run = drive(r, zone, {}, kMaxAddressRounds);
        REQUIRE(run.finished);
        CHECK(run.rounds == 2);
        CHECK(r.result().host == "mx2.example.test");
        CHECK(r.result().status == Status::Found);
        CHECK(r.result().addresses == std::vector<std::string>{"192.0.2.2"});
    }
    SECTION("a fault at either question") {
        for (std::size_t step = 0; step < 2; ++step)
            for (Fault fault : kFaults) {
                INFO("step " << step << ", fault " << name_of(fault));
                AddressResolution r("mx1.example.test");
                Run run = drive(r, zone, [&](std::size_t i, const Question& q) -> std::optional<RawAnswer> {
                    if (i == step) return fault_answer(fault, q);
                    return std::nullopt;
                }, kMaxAddressRounds);
                REQUIRE(run.finished);
                CHECK(run.rounds == 1);
                CHECK(r.result().status == Status::Found);
                CHECK(r.result().addresses == std::vector<std::string>{step == 0 ? "2001:db8::1" : "192.0.2.1"});
            }
    }
    SECTION("a name that cannot be asked") {
        AddressResolution r("");
        CHECK(r.start().kind == DnsAction::Kind::Done);
        CHECK(r.result().status == Status::BadName);
    }
}

TEST_CASE("MX resolution: inet_protocols decides which families are asked and kept", "[resolver][mx][unit][ipv6]") {
    // mx1 has A and AAAA; mx2 is an alias to an IPv4-only host.
    const Zone zone = full_zone();
    auto run_with = [&](const std::string& domain, InetProtocols p, const Zone& z) {
        Rng rng(1);
        MxResolution r(domain, rng, p);
        Run run = drive(r, z);
        run.result = r.result();
        return run;
    };
    auto asked_types = [](const Run& run) {
        std::set<RecordType> types;
        for (const auto& q : run.asked) types.insert(q.type);
        return types;
    };
    SECTION("ipv4: no AAAA question at all, only IPv4 addresses") {
        Run run = run_with("example.test", InetProtocols::Ipv4, zone);
        REQUIRE(run.finished);
        CHECK(asked_types(run) == std::set<RecordType>{RecordType::Mx, RecordType::A});
        CHECK(run.asked.size() == 4);  // MX, mx1 A, mx2 A, real2 A
        REQUIRE(run.result.hosts.size() == 2);
        CHECK(run.result.hosts[0].addresses == std::vector<std::string>{"192.0.2.1"});
        CHECK(run.result.hosts[1].addresses == std::vector<std::string>{"192.0.2.2"});
    }
    SECTION("ipv6: no A question at all; an IPv4-only host has no address and says why") {
        Run run = run_with("example.test", InetProtocols::Ipv6, zone);
        REQUIRE(run.finished);
        CHECK(asked_types(run) == std::set<RecordType>{RecordType::Mx, RecordType::Aaaa});
        REQUIRE(run.result.hosts.size() == 2);
        CHECK(run.result.hosts[0].addresses == std::vector<std::string>{"2001:db8::1"});
        CHECK(run.result.hosts[1].addresses.empty());
        CHECK(run.result.hosts[1].address_status == Status::NoData);
    }
    SECTION("ipv6: a failure of the one family asked is that host's status, not combined with an unasked one") {
        Rng rng(1);
        MxResolution r("example.test", rng, InetProtocols::Ipv6);
        Run run = drive(r, zone, [](std::size_t, const Question& q) -> std::optional<RawAnswer> {
            if (q.name == "mx1.example.test") return RawAnswer{ARES_ESERVFAIL, {}};
            return std::nullopt;
        });
        REQUIRE(r.result().hosts.size() == 2);
        CHECK(r.result().hosts[0].addresses.empty());
        CHECK(r.result().hosts[0].address_status == Status::ServFail);
    }
    SECTION("all: IPv6 first, then the families alternate") {
        Zone z;
        z.add("both.test", RecordType::Mx, {mx_rr("both.test", 10, "mx.both.test")});
        z.add("mx.both.test", RecordType::A, {a_rr("mx.both.test", "192.0.2.1"), a_rr("mx.both.test", "192.0.2.2"),
                                              a_rr("mx.both.test", "192.0.2.3")});
        z.add("mx.both.test", RecordType::Aaaa, {aaaa_rr("mx.both.test", "2001:db8::1"), aaaa_rr("mx.both.test", "2001:db8::2")});
        Run run = run_with("both.test", InetProtocols::All, z);
        REQUIRE(run.result.hosts.size() == 1);
        CHECK(run.result.hosts[0].addresses ==
              std::vector<std::string>{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"});
    }
    SECTION("implicit MX under ipv4 and ipv6") {
        Zone z;
        z.add("plain.test", RecordType::A, {a_rr("plain.test", "192.0.2.7")});
        z.add("plain.test", RecordType::Aaaa, {aaaa_rr("plain.test", "2001:db8::7")});
        Run v4 = run_with("plain.test", InetProtocols::Ipv4, z);
        REQUIRE(v4.result.hosts.size() == 1);
        CHECK(v4.result.hosts[0].addresses == std::vector<std::string>{"192.0.2.7"});
        CHECK(asked_types(v4) == std::set<RecordType>{RecordType::Mx, RecordType::A});
        Run v6 = run_with("plain.test", InetProtocols::Ipv6, z);
        REQUIRE(v6.result.hosts.size() == 1);
        CHECK(v6.result.hosts[0].addresses == std::vector<std::string>{"2001:db8::7"});
        CHECK(asked_types(v6) == std::set<RecordType>{RecordType::Mx, RecordType::Aaaa});
    }
    SECTION("one host's addresses under each setting") {
        for (auto [p, want, questions] : {std::tuple{InetProtocols::Ipv4, std::vector<std::string>{"192.0.2.1"}, 1u},
                                          std::tuple{InetProtocols::Ipv6, std::vector<std::string>{"2001:db8::1"}, 1u},
                                          std::tuple{InetProtocols::All, std::vector<std::string>{"2001:db8::1", "192.0.2.1"}, 2u}}) {
            INFO(to_string(p));
            AddressResolution r("mx1.example.test", p);
            Run run = drive(r, zone, {}, kMaxAddressRounds);
            REQUIRE(run.finished);
            CHECK(run.asked.size() == questions);
            CHECK(r.result().addresses == want);
        }
    }
    SECTION("the config words") {
        CHECK(inet_protocols_from_string("ipv4") == InetProtocols::Ipv4);
        CHECK(inet_protocols_from_string("ipv6") == InetProtocols::Ipv6);
        CHECK(inet_protocols_from_string("all") == InetProtocols::All);
        CHECK_FALSE(inet_protocols_from_string("IPv4"));
        CHECK(to_string(InetProtocols::All) == "all");
    }
}
