// The sans-I/O MX walk (delivery/mx_walk.hpp) driven by hand. Every action of a walk is a step; at
// each step every outcome the driver could report is tried (none/a parked session, every DNS
// status, every way an open can fail, every way a transaction can end), along every path, and the
// walk's typed result is checked against rules written out here by hand, at every STARTTLS level.
// Then focused cases: session reuse, the stale-session retry, the address limit, a driver that
// answers wrongly, "may"'s plain-text retry after a failed handshake.
#include "delivery/mx_walk.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace relaylab;
namespace d = relaylab::delivery;
using smtp::NetError;
using smtp::Stage;

namespace {

const std::vector<std::string> kRecipients{"a@isp.test", "b@isp.test"};
const smtp::Remote kParked{"mx-parked.isp.test", "192.0.2.200", 25};

smtp::Reply reply(int code) {
    smtp::Reply r;
    r.code = code;
    r.lines = {"text"};
    return r;
}

// How one transaction ends, for every recipient, and what the rules say it means.
struct SendKind {
    const char* name;
    Stage stage;
    int code;  // 0: no reply
    NetError net;
    bool next_host;  // the next address is tried (a 4xx or no reply at MAIL)
    bool stale;      // on a parked session: it had gone stale, start afresh
};
const SendKind kSends[] = {
    {"delivered", Stage::Done, 250, NetError::None, false, false},
    {"421 at MAIL", Stage::Mail, 421, NetError::None, true, false},
    {"451 at MAIL", Stage::Mail, 451, NetError::None, true, false},
    {"connection closed at MAIL", Stage::Mail, 0, NetError::Closed, true, true},
    {"timeout at MAIL", Stage::Mail, 0, NetError::Timeout, true, true},
    {"553 at MAIL", Stage::Mail, 553, NetError::None, false, false},
    {"450 at RCPT", Stage::Rcpt, 450, NetError::None, false, false},
    {"550 at RCPT", Stage::Rcpt, 550, NetError::None, false, false},
    {"554 at DATA", Stage::Data, 554, NetError::None, false, false},
    {"451 at the dot", Stage::Dot, 451, NetError::None, false, false},
    {"timeout at the dot", Stage::Dot, 0, NetError::Timeout, false, false},
    {"reset at RCPT", Stage::Rcpt, 0, NetError::Reset, false, false},
    // RFC 6531 §3.2: the sender needs SMTPUTF8 and the host did not offer it. Refused before MAIL
    // is sent, with no reply: final (5.6.7), neither a stale session nor a reason for the next MX.
    {"SMTPUTF8 not offered", Stage::Mail, 0, NetError::Smtputf8NotOffered, false, false},
};

std::vector<smtp::RecipientOutcome> outcomes_of(const SendKind& k, const smtp::Remote& remote) {
    std::vector<smtp::RecipientOutcome> outs;
    for (const auto& r : kRecipients) {
        smtp::RecipientOutcome o;
        o.address = r;
        o.stage = k.stage;
        if (k.code) o.reply = reply(k.code);
        o.net = k.net;
        o.remote = remote;
        outs.push_back(o);
    }
    return outs;
}

// How opening a session ends; every failure tries the next address (a failed TLS handshake at
// "may" first tries the same address once more in plain text).
struct OpenKind {
    const char* name;
    bool ok;
    Stage stage;
    int code;
    NetError net;
};
const OpenKind kOpens[] = {
    {"ok", true, Stage::Connect, 0, NetError::None},
    {"connection refused", false, Stage::Connect, 0, NetError::ConnectRefused},
    {"connect timeout", false, Stage::Connect, 0, NetError::ConnectTimeout},
    {"unreachable", false, Stage::Connect, 0, NetError::Unreachable},
    {"421 greeting", false, Stage::Greeting, 421, NetError::None},
    {"554 greeting", false, Stage::Greeting, 554, NetError::None},
    {"closed at greeting", false, Stage::Greeting, 0, NetError::Closed},
    {"EHLO and HELO refused", false, Stage::Helo, 550, NetError::None},
    {"garbage at EHLO", false, Stage::Ehlo, 0, NetError::Protocol},
    {"TLS handshake failed", false, Stage::StartTls, 0, NetError::TlsHandshake},
    {"TLS required, STARTTLS not offered", false, Stage::StartTls, 0, NetError::TlsNotOffered},
    {"STARTTLS refused with 454", false, Stage::StartTls, 454, NetError::None},
    {"certificate not trusted", false, Stage::StartTls, 0, NetError::TlsUntrusted},
    {"timeout in the TLS handshake", false, Stage::StartTls, 0, NetError::Timeout},
};
constexpr std::size_t kTlsHandshakeFailed = 9;  // kOpens[9]

const smtp::TlsLevel kLevels[] = {smtp::TlsLevel::None, smtp::TlsLevel::May, smtp::TlsLevel::Encrypt,
                                  smtp::TlsLevel::Verify};

// The rule: only a failed handshake at "may", and only on the first connection to an address.
bool plain_retry_after(const OpenKind& k, smtp::TlsLevel level, bool was_retry) {
    return level == smtp::TlsLevel::May && !was_retry && k.stage == Stage::StartTls && k.net == NetError::TlsHandshake;
}

smtp::SessionStatus status_of(const OpenKind& k) {
    smtp::SessionStatus st;
    st.ok = k.ok;
    st.stage = k.stage;
    if (k.code) st.reply = reply(k.code);
    st.net = k.net;
    return st;
}

const dns::Status kDnsFailures[] = {dns::Status::NullMx,  dns::Status::NxDomain,  dns::Status::NoData,
                                    dns::Status::ServFail, dns::Status::Refused,  dns::Status::Timeout,
                                    dns::Status::BadName,  dns::Status::BadAnswer, dns::Status::ConnRefused,
                                    dns::Status::Error};

dns::MxHost host(std::string name, std::vector<std::string> addresses, dns::Status status = dns::Status::Found) {
    dns::MxHost h;
    h.name = std::move(name);
    h.addresses = std::move(addresses);
    h.address_status = status;
    return h;
}

struct Topology {
    const char* name;
    std::vector<dns::MxHost> hosts;
    d::WalkLimits limits;
};

std::vector<Topology> topologies() {
    return {
        {"two addresses, a host without, one more",
         {host("mx1.isp.test", {"192.0.2.1", "2001:db8::1"}), host("mx2.isp.test", {}, dns::Status::ServFail),
          host("mx3.isp.test", {"192.0.2.3"})},
         {2525, 5}},
        {"the address limit stops the walk after the first host",
         {host("mx1.isp.test", {"192.0.2.1", "192.0.2.11"}), host("mx2.isp.test", {}, dns::Status::NxDomain),
          host("mx3.isp.test", {"192.0.2.3"})},
         {25, 2}},
        {"a host without addresses first", {host("mx0.isp.test", {}, dns::Status::Timeout), host("mx1.isp.test", {"192.0.2.1"})}, {25, 5}},
        {"no host has an address",
         {host("mx0.isp.test", {}, dns::Status::NxDomain), host("mx1.isp.test", {}, dns::Status::ServFail)},
         {25, 5}},
        {"address limit 0", {host("mx1.isp.test", {"192.0.2.1"})}, {25, 0}},
        {"address limit 0, a host without addresses first",
         {host("mx0.isp.test", {}, dns::Status::NoData), host("mx1.isp.test", {"192.0.2.1"})},
         {25, 0}},
        {"no hosts", {}, {25, 5}},
    };
}

// The addresses the walk must open, in order: every host's addresses, up to the limit.
std::vector<smtp::Remote> expected_opens(const Topology& t) {
    std::vector<smtp::Remote> out;
    for (const auto& h : t.hosts)
        for (const auto& ip : h.addresses)
            if (out.size() < t.limits.max_addresses) out.push_back({h.name, ip, t.limits.mx_port});
    return out;
}

struct Attempt {
    smtp::Remote remote;
    smtp::TlsLevel tls = smtp::TlsLevel::None;  // the level the walk asked for
    bool plain_retry = false;                  // the same address again after a failed handshake
    const OpenKind* open = nullptr;
    const SendKind* send = nullptr;  // when the open succeeded
};

std::size_t first_tries(const std::vector<Attempt>& attempts) {
    return static_cast<std::size_t>(
        std::count_if(attempts.begin(), attempts.end(), [](const Attempt& a) { return !a.plain_retry; }));
}

// One walk, the driver's answers chosen by `path` (index per choice, 0 after it ends).
struct Walk {
    std::vector<std::size_t> path;
    std::vector<std::size_t> choices;  // how many answers each choice step had
    std::size_t actions = 0;
    bool parked = false;
    const SendKind* parked_send = nullptr;
    std::optional<dns::Status> dns_failure;
    bool resolved = false;
    std::vector<Attempt> attempts;
    d::WalkResult result;

    std::size_t choose(std::size_t n) {
        std::size_t i = choices.size();
        choices.push_back(n);
        return i < path.size() ? path[i] : 0;
    }
};

void run(const Topology& t, Walk& w) {
    d::MxWalk walk(kRecipients, t.limits);
    const auto opens = expected_opens(t);
    bool in_hand = false;         // a session the driver holds for the walk
    bool parked_in_hand = false;  // ... and it is the parked one
    d::WalkAction a = walk.start();
    while (a.kind != d::WalkAction::Kind::Done) {
        REQUIRE(++w.actions <= d::max_walk_actions(t.limits));
        switch (a.kind) {
            case d::WalkAction::Kind::TakeParked: {
                REQUIRE(w.actions == 1);
                w.parked = w.choose(2) == 1;
                in_hand = w.parked;
                parked_in_hand = w.parked;
                a = walk.resume(d::ParkedTaken{w.parked ? std::optional(kParked) : std::nullopt});
                break;
            }
            case d::WalkAction::Kind::Send: {
                REQUIRE(in_hand);
                const SendKind& k = kSends[w.choose(std::size(kSends))];
                smtp::Remote remote = kParked;
                if (parked_in_hand) {
                    w.parked_send = &k;
                } else {
                    REQUIRE_FALSE(w.attempts.empty());
                    REQUIRE(w.attempts.back().open->ok);  // never a send on a session that did not open
                    REQUIRE(w.attempts.back().send == nullptr);  // one transaction per session
                    w.attempts.back().send = &k;
                    remote = w.attempts.back().remote;
                }
                a = walk.resume(d::Sent{outcomes_of(k, remote)});
                break;
            }
            case d::WalkAction::Kind::Release:
                REQUIRE(in_hand);
                in_hand = false;
                parked_in_hand = false;
                a = walk.resume(d::Released{});
                break;
            case d::WalkAction::Kind::ResolveMx: {
                REQUIRE_FALSE(in_hand);
                REQUIRE_FALSE(w.resolved);  // asked once
                w.resolved = true;
                std::size_t c = w.choose(1 + std::size(kDnsFailures));
                d::MxResolved e;
                e.mx.domain = "isp.test";
                if (c == 0) {
                    e.mx.status = dns::Status::Found;
                    e.mx.hosts = t.hosts;
                } else {
                    w.dns_failure = kDnsFailures[c - 1];
                    e.mx.status = *w.dns_failure;
                }
                a = walk.resume(std::move(e));
                break;
            }
            case d::WalkAction::Kind::Open: {
                REQUIRE_FALSE(in_hand);
                // After a failed handshake at "may": the same address, in plain text. Else the next
                // address at the destination's level.
                const bool retry = !w.attempts.empty() &&
                                   plain_retry_after(*w.attempts.back().open, t.limits.tls, w.attempts.back().plain_retry);
                const std::size_t first = first_tries(w.attempts);
                REQUIRE((retry || first < opens.size()));
                const smtp::Remote& want = retry ? w.attempts.back().remote : opens[first];
                CHECK(a.remote.host == want.host);
                CHECK(a.remote.ip == want.ip);
                CHECK(a.remote.port == want.port);
                CHECK(a.tls == (retry ? smtp::TlsLevel::None : t.limits.tls));
                const OpenKind& k = kOpens[w.choose(std::size(kOpens))];
                w.attempts.push_back({a.remote, a.tls, retry, &k, nullptr});
                in_hand = true;
                a = walk.resume(d::Opened{status_of(k)});
                break;
            }
            case d::WalkAction::Kind::Done: break;
        }
    }
    REQUIRE(walk.done());
    CHECK_FALSE(in_hand);  // every session handed back
    w.result = walk.take_result();
}

void check_outcomes(const d::WalkResult& r, const SendKind& k) {
    REQUIRE(r.outcomes.size() == kRecipients.size());
    for (std::size_t i = 0; i < kRecipients.size(); ++i) {
        CHECK(r.outcomes[i].address == kRecipients[i]);
        CHECK(r.outcomes[i].stage == k.stage);
        CHECK(r.outcomes[i].net == k.net);
        CHECK(r.outcomes[i].reply.has_value() == (k.code != 0));
        if (k.code && r.outcomes[i].reply) CHECK(r.outcomes[i].reply->code == k.code);
    }
}

void check_session_failure(const d::WalkResult& r, const OpenKind& k) {
    REQUIRE(r.outcomes.size() == kRecipients.size());
    for (std::size_t i = 0; i < kRecipients.size(); ++i) {
        CHECK(r.outcomes[i].address == kRecipients[i]);
        CHECK(r.outcomes[i].stage == k.stage);
        CHECK(r.outcomes[i].net == k.net);
        CHECK(r.outcomes[i].reply.has_value() == (k.code != 0));
    }
}

// The rules of the walk, written out: what the result must be for what the driver reported.
void check_result(const Topology& t, const Walk& w) {
    const d::WalkResult& r = w.result;
    if (w.parked && w.parked_send && !w.parked_send->stale) {
        CHECK_FALSE(w.resolved);  // a parked session skips DNS
        REQUIRE(r.kind == d::WalkResult::Kind::Transaction);
        CHECK(r.reused);
        CHECK(r.remote.ip == kParked.ip);
        check_outcomes(r, *w.parked_send);
        return;
    }
    REQUIRE(w.resolved);
    if (w.dns_failure) {
        REQUIRE(r.kind == d::WalkResult::Kind::DomainDns);
        CHECK(r.dns == *w.dns_failure);
        CHECK(w.attempts.empty());
        return;
    }
    for (std::size_t i = 0; i < w.attempts.size(); ++i) {
        const Attempt& at = w.attempts[i];
        const bool final = at.open->ok && !at.send->next_host;
        if (!final) continue;
        CHECK(i + 1 == w.attempts.size());  // nothing is tried after a final answer
        REQUIRE(r.kind == d::WalkResult::Kind::Transaction);
        CHECK_FALSE(r.reused);
        CHECK(r.remote.ip == at.remote.ip);
        check_outcomes(r, *at.send);
        return;
    }
    CHECK(first_tries(w.attempts) == expected_opens(t).size());  // every allowed address was tried
    if (!w.attempts.empty())  // a failed handshake at "may" is never the end: its plain retry follows
        CHECK_FALSE(plain_retry_after(*w.attempts.back().open, t.limits.tls, w.attempts.back().plain_retry));
    if (!w.attempts.empty()) {
        const Attempt& last = w.attempts.back();
        REQUIRE(r.kind == d::WalkResult::Kind::Transaction);
        CHECK(r.remote.ip == last.remote.ip);
        CHECK(r.remote.host == last.remote.host);
        if (last.open->ok)
            check_outcomes(r, *last.send);
        else
            check_session_failure(r, *last.open);
        return;
    }
    if (!t.hosts.empty() && t.hosts[0].addresses.empty()) {
        REQUIRE(r.kind == d::WalkResult::Kind::HostDns);
        CHECK(r.host == t.hosts[0].name);
        CHECK(r.dns == t.hosts[0].address_status);
        return;
    }
    CHECK(r.kind == d::WalkResult::Kind::NoAddressTried);
}

std::string describe(const Walk& w) {
    std::string s = w.parked ? "parked session" : "no parked session";
    if (w.parked_send) s += std::string(", parked send: ") + w.parked_send->name;
    if (w.dns_failure) s += ", MX: " + std::string(dns::to_string(*w.dns_failure));
    for (const auto& a : w.attempts) {
        s += ", " + a.remote.ip + (a.plain_retry ? " (plain retry)" : "") + ": " + a.open->name;
        if (a.send) s += std::string(", ") + a.send->name;
    }
    return s;
}

}  // namespace

TEST_CASE("MX walk: every answer at every step, along every path, ends in the result the rules give",
          "[delivery][mx_walk][unit]") {
    std::size_t walks = 0;
    std::size_t plain_retries = 0;
    std::vector<Topology> all;  // every topology at every STARTTLS level
    for (auto level : kLevels)
        for (auto t : topologies()) {
            t.limits.tls = level;
            all.push_back(std::move(t));
        }
    for (const auto& t : all) {
        INFO("topology: " << t.name << ", TLS level " << smtp::to_string(t.limits.tls));
        // Depth first over the driver's answers: each walk answers 0 past its path; each step
        // past the path then branches into every other answer.
        std::vector<std::vector<std::size_t>> todo{{}};
        while (!todo.empty()) {
            Walk w;
            w.path = std::move(todo.back());
            todo.pop_back();
            run(t, w);
            ++walks;
            INFO("walk: " << describe(w));
            check_result(t, w);
            for (const auto& a : w.attempts) {
                plain_retries += a.plain_retry;
                if (a.plain_retry) CHECK(t.limits.tls == smtp::TlsLevel::May);
            }
            for (std::size_t step = w.path.size(); step < w.choices.size(); ++step)
                for (std::size_t c = 1; c < w.choices[step]; ++c) {
                    std::vector<std::size_t> next(step, 0);
                    std::copy(w.path.begin(), w.path.end(), next.begin());
                    next.push_back(c);
                    todo.push_back(std::move(next));
                }
        }
    }
    CHECK(walks > 1000);
    CHECK(plain_retries > 100);
}

TEST_CASE("MX walk: the first full walk, step by step", "[delivery][mx_walk][unit]") {
    d::MxWalk walk(kRecipients, {2525, 5});
    CHECK(walk.start().kind == d::WalkAction::Kind::TakeParked);
    CHECK(walk.resume(d::ParkedTaken{}).kind == d::WalkAction::Kind::ResolveMx);
    d::MxResolved mx;
    mx.mx.status = dns::Status::Found;
    mx.mx.hosts = {host("mx1.isp.test", {"192.0.2.1"}), host("mx2.isp.test", {"192.0.2.2"})};
    auto a = walk.resume(mx);
    REQUIRE(a.kind == d::WalkAction::Kind::Open);
    CHECK(a.remote.host == "mx1.isp.test");
    CHECK(a.remote.port == 2525);
    // 421 at the greeting: release it, then the next host.
    CHECK(walk.resume(d::Opened{status_of(kOpens[4])}).kind == d::WalkAction::Kind::Release);
    a = walk.resume(d::Released{});
    REQUIRE(a.kind == d::WalkAction::Kind::Open);
    CHECK(a.remote.host == "mx2.isp.test");
    CHECK(walk.resume(d::Opened{}).kind == d::WalkAction::Kind::Send);
    CHECK(walk.resume(d::Sent{outcomes_of(kSends[0], a.remote)}).kind == d::WalkAction::Kind::Release);
    CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
    REQUIRE(walk.result().kind == d::WalkResult::Kind::Transaction);
    CHECK(walk.result().remote.host == "mx2.isp.test");
    CHECK(walk.result().outcomes[0].delivered());
}

TEST_CASE("MX walk: session reuse and the stale-session retry", "[delivery][mx_walk][unit]") {
    d::MxWalk walk(kRecipients, {});
    walk.start();
    SECTION("a parked session is used without DNS or a handshake") {
        CHECK(walk.resume(d::ParkedTaken{kParked}).kind == d::WalkAction::Kind::Send);
        CHECK(walk.resume(d::Sent{outcomes_of(kSends[0], kParked)}).kind == d::WalkAction::Kind::Release);
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().reused);
        CHECK(walk.result().remote.host == kParked.host);
    }
    SECTION("a stale one is released and the walk starts afresh, once") {
        walk.resume(d::ParkedTaken{kParked});
        CHECK(walk.resume(d::Sent{outcomes_of(kSends[3], kParked)}).kind == d::WalkAction::Kind::Release);
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::ResolveMx);
        d::MxResolved mx;
        mx.mx.status = dns::Status::Found;
        mx.mx.hosts = {host("mx1.isp.test", {"192.0.2.1"})};
        CHECK(walk.resume(mx).kind == d::WalkAction::Kind::Open);
        CHECK(walk.resume(d::Opened{}).kind == d::WalkAction::Kind::Send);
        // The fresh session fails at MAIL with no reply too: that is a failure now, not a retry.
        CHECK(walk.resume(d::Sent{outcomes_of(kSends[3], {})}).kind == d::WalkAction::Kind::Release);
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().kind == d::WalkResult::Kind::Transaction);
        CHECK_FALSE(walk.result().reused);
        CHECK(walk.result().outcomes[0].net == NetError::Closed);
    }
    SECTION("a 4xx at MAIL on a parked session is the remote's answer, not staleness") {
        walk.resume(d::ParkedTaken{kParked});
        walk.resume(d::Sent{outcomes_of(kSends[1], kParked)});
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().outcomes[0].reply->code == 421);
    }
    SECTION("a parked session that gives no outcome at all: each recipient gets the session's (ok) status") {
        walk.resume(d::ParkedTaken{kParked});
        walk.resume(d::Sent{});
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        REQUIRE(walk.result().outcomes.size() == 2);
        CHECK(walk.result().outcomes[1].address == kRecipients[1]);
        CHECK_FALSE(walk.result().outcomes[1].delivered());
    }
}

TEST_CASE("MX walk: a driver that answers with the wrong event ends the walk, typed", "[delivery][mx_walk][unit]") {
    d::MxWalk walk(kRecipients, {});
    SECTION("before start") {
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().kind == d::WalkResult::Kind::DriverError);
    }
    SECTION("an answer to another question") {
        walk.start();
        CHECK(walk.resume(d::Opened{}).kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().kind == d::WalkResult::Kind::DriverError);
        CHECK(walk.resume(d::ParkedTaken{}).kind == d::WalkAction::Kind::Done);  // done stays done
    }
    SECTION("start twice") {
        walk.start();
        CHECK(walk.start().kind == d::WalkAction::Kind::Done);
        CHECK(walk.result().kind == d::WalkResult::Kind::DriverError);
    }
}

namespace {

d::MxResolved two_hosts() {
    d::MxResolved mx;
    mx.mx.status = dns::Status::Found;
    mx.mx.hosts = {host("mx1.isp.test", {"192.0.2.1"}), host("mx2.isp.test", {"192.0.2.2"})};
    return mx;
}

// Start a walk with no parked session and two hosts: the first Open.
d::WalkAction first_open(d::MxWalk& walk) {
    walk.start();
    walk.resume(d::ParkedTaken{});
    return walk.resume(two_hosts());
}

}  // namespace

TEST_CASE("MX walk, STARTTLS may: a failed handshake is retried once on the same address in plain text",
          "[delivery][mx_walk][tls][unit]") {
    const d::WalkLimits limits{25, 5, smtp::TlsLevel::May};
    d::MxWalk walk(kRecipients, limits);
    std::size_t actions = 3;  // TakeParked, ResolveMx, the first Open
    auto a = first_open(walk);
    REQUIRE(a.kind == d::WalkAction::Kind::Open);
    CHECK(a.remote.host == "mx1.isp.test");
    CHECK(a.tls == smtp::TlsLevel::May);
    // The handshake fails: the session is released, then the same remote opened again without TLS.
    ++actions;
    REQUIRE(walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])}).kind == d::WalkAction::Kind::Release);
    ++actions;
    auto retry = walk.resume(d::Released{});
    REQUIRE(retry.kind == d::WalkAction::Kind::Open);
    CHECK(retry.remote.host == a.remote.host);
    CHECK(retry.remote.ip == a.remote.ip);
    CHECK(retry.remote.port == a.remote.port);
    CHECK(retry.tls == smtp::TlsLevel::None);

    SECTION("the plain retry delivers: that is the walk's result") {
        ++actions;
        REQUIRE(walk.resume(d::Opened{}).kind == d::WalkAction::Kind::Send);
        ++actions;
        REQUIRE(walk.resume(d::Sent{outcomes_of(kSends[0], retry.remote)}).kind == d::WalkAction::Kind::Release);
        ++actions;
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        REQUIRE(walk.result().kind == d::WalkResult::Kind::Transaction);
        CHECK(walk.result().remote.ip == "192.0.2.1");
        CHECK_FALSE(walk.result().reused);
        REQUIRE(walk.result().outcomes.size() == 2);
        CHECK(walk.result().outcomes[0].delivered());
        CHECK(walk.result().outcomes[1].delivered());
    }
    SECTION("once only: the plain retry failing moves on to the next address, which is asked at may again") {
        REQUIRE(walk.resume(d::Opened{status_of(kOpens[4])}).kind == d::WalkAction::Kind::Release);  // 421 greeting
        auto next = walk.resume(d::Released{});
        REQUIRE(next.kind == d::WalkAction::Kind::Open);
        CHECK(next.remote.host == "mx2.isp.test");
        CHECK(next.tls == smtp::TlsLevel::May);
        // mx2's handshake fails too: mx2 has its own plain retry.
        walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])});
        auto retry2 = walk.resume(d::Released{});
        REQUIRE(retry2.kind == d::WalkAction::Kind::Open);
        CHECK(retry2.remote.host == "mx2.isp.test");
        CHECK(retry2.tls == smtp::TlsLevel::None);
        walk.resume(d::Opened{status_of(kOpens[1])});  // refused
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        // Every address failed: the last failure, the plain retry's.
        REQUIRE(walk.result().kind == d::WalkResult::Kind::Transaction);
        CHECK(walk.result().remote.host == "mx2.isp.test");
        CHECK(walk.result().outcomes[0].net == NetError::ConnectRefused);
    }
    SECTION("a driver that reports a failed handshake on the plain retry too does not get a third connection") {
        walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])});
        auto next = walk.resume(d::Released{});
        REQUIRE(next.kind == d::WalkAction::Kind::Open);
        CHECK(next.remote.host == "mx2.isp.test");
        CHECK(next.tls == smtp::TlsLevel::May);
    }
    CHECK(actions <= d::max_walk_actions(limits));
}

TEST_CASE("MX walk, STARTTLS may: only a failed handshake is retried in plain text", "[delivery][mx_walk][tls][unit]") {
    // A session at "may" fails at StartTls only by a failed handshake or a timeout in it (a refused
    // STARTTLS goes on in plain text inside the session); neither the timeout nor any other failure
    // gets a plain retry.
    for (std::size_t i : {std::size_t{1}, std::size_t{4}, std::size_t{10}, std::size_t{11}, std::size_t{12},
                          std::size_t{13}}) {
        INFO(kOpens[i].name);
        d::MxWalk walk(kRecipients, {25, 5, smtp::TlsLevel::May});
        first_open(walk);
        REQUIRE(walk.resume(d::Opened{status_of(kOpens[i])}).kind == d::WalkAction::Kind::Release);
        auto next = walk.resume(d::Released{});
        REQUIRE(next.kind == d::WalkAction::Kind::Open);
        CHECK(next.remote.host == "mx2.isp.test");
        CHECK(next.tls == smtp::TlsLevel::May);
    }
}

TEST_CASE("MX walk, STARTTLS encrypt and verify: a failed handshake is never retried in plain text",
          "[delivery][mx_walk][tls][unit]") {
    for (auto level : {smtp::TlsLevel::Encrypt, smtp::TlsLevel::Verify}) {
        INFO(smtp::to_string(level));
        d::MxWalk walk(kRecipients, {25, 5, level});
        auto a = first_open(walk);
        REQUIRE(a.kind == d::WalkAction::Kind::Open);
        CHECK(a.tls == level);
        walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])});
        // The next address instead, at the same level.
        auto next = walk.resume(d::Released{});
        REQUIRE(next.kind == d::WalkAction::Kind::Open);
        CHECK(next.remote.host == "mx2.isp.test");
        CHECK(next.tls == level);
        walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])});
        CHECK(walk.resume(d::Released{}).kind == d::WalkAction::Kind::Done);
        // Every address failed the handshake: that is the result, never a plain-text delivery.
        REQUIRE(walk.result().kind == d::WalkResult::Kind::Transaction);
        CHECK(walk.result().remote.host == "mx2.isp.test");
        CHECK(walk.result().outcomes[0].stage == Stage::StartTls);
        CHECK(walk.result().outcomes[0].net == NetError::TlsHandshake);
        CHECK_FALSE(walk.result().outcomes[0].delivered());
    }
}

TEST_CASE("MX walk, STARTTLS may: the longest walk stays within max_walk_actions", "[delivery][mx_walk][tls][unit]") {
    // A stale parked session, then at every address a failed handshake, a plain retry that opens,
    // and a 451 at MAIL (try the next address): the most actions the rules allow.
    const d::WalkLimits limits{25, 5, smtp::TlsLevel::May};
    d::MxWalk walk(kRecipients, limits);
    d::MxResolved mx;
    mx.mx.status = dns::Status::Found;
    for (int i = 1; i <= 6; ++i)
        mx.mx.hosts.push_back(host("mx" + std::to_string(i) + ".isp.test", {"192.0.2." + std::to_string(i)}));
    std::size_t actions = 0;
    std::size_t opens = 0, plain = 0;
    d::WalkAction a = walk.start();
    while (a.kind != d::WalkAction::Kind::Done) {
        REQUIRE(++actions <= d::max_walk_actions(limits));
        switch (a.kind) {
            case d::WalkAction::Kind::TakeParked: a = walk.resume(d::ParkedTaken{kParked}); break;
            case d::WalkAction::Kind::Send: a = walk.resume(d::Sent{outcomes_of(opens == 0 ? kSends[3] : kSends[2], {})}); break;
            case d::WalkAction::Kind::Release: a = walk.resume(d::Released{}); break;
            case d::WalkAction::Kind::ResolveMx: a = walk.resume(mx); break;
            case d::WalkAction::Kind::Open:
                ++opens;
                if (a.tls == smtp::TlsLevel::None) {
                    ++plain;
                    a = walk.resume(d::Opened{});
                } else {
                    a = walk.resume(d::Opened{status_of(kOpens[kTlsHandshakeFailed])});
                }
                break;
            case d::WalkAction::Kind::Done: break;
        }
    }
    CHECK(opens == 10);  // five addresses (the limit), each twice
    CHECK(plain == 5);
    CHECK(actions == 4 + 5 * 5);
    REQUIRE(walk.result().kind == d::WalkResult::Kind::Transaction);
    CHECK(walk.result().remote.host == "mx5.isp.test");
    CHECK(walk.result().outcomes[0].reply->code == 451);
}
