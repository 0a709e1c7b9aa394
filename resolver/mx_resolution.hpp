// MX resolution for mail (RFC 5321 §5.1) as a sans-I/O algorithm, like smtpclient's ClientSession:
// start() and resume(answers) return the next action, "ask these questions" or "done". No socket,
// no timer, no clock: the driver (resolver.cpp on c-ares, or a test) asks, and feeds the answers
// back; an answer that did not come by the deadline is fed as ARES_ETIMEOUT.
//
// The steps: MX of the domain (CNAMEs followed); no MX → A/AAAA of the domain itself as the one
// host (implicit MX); "MX 0 ." → NullMx (RFC 7505); otherwise the hosts in preference order
// (mx_order.hpp) and A/AAAA of every host, asked at once. Only the families that inet_protocols
// allows are asked (inet_protocols.hpp).
#pragma once

#include "resolver/inet_protocols.hpp"
#include "resolver/lookup.hpp"
#include "resolver/mx_order.hpp"
#include "resolver/result.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace relaylab::dns {

struct DnsAction {
    enum class Kind {
        Ask,   // ask every question at once; resume() with one RawAnswer per question, in order
        Done,  // result() is final
    };
    Kind kind = Kind::Done;
    std::vector<Question> questions;
};

// The most Ask actions one resolution can take: two batches (MX, then addresses), each bounded.
inline constexpr std::size_t kMaxMxRounds = 2 * kMaxLookupRounds;
// The same for one host's addresses: one batch.
inline constexpr std::size_t kMaxAddressRounds = kMaxLookupRounds;

class MxResolution {
public:
    // `rng` orders hosts of equal preference and must outlive the resolution.
    MxResolution(std::string_view domain, Rng& rng, InetProtocols protocols = kDefaultInetProtocols);

    DnsAction start();
    // The answers to the last Ask. Once Done, further calls change nothing.
    DnsAction resume(const std::vector<RawAnswer>& answers);

    bool done() const { return phase_ == Phase::Done; }
    const MxResult& result() const { return result_; }
    MxResult take_result() { return std::move(result_); }

private:
    enum class Phase { Start, Mx, Implicit, Hosts, Done };
    DnsAction ask_or_finish();
    void after_mx();
    void after_implicit();
    void after_hosts();

    Rng& rng_;
    InetProtocols protocols_;
    Phase phase_ = Phase::Start;
    MxResult result_;
    std::optional<LookupBatch> batch_;
};

// A then AAAA of one host (asked at once, each only if `protocols` allows), CNAMEs followed: the
// same shape, one batch.
class AddressResolution {
public:
    explicit AddressResolution(std::string_view host, InetProtocols protocols = kDefaultInetProtocols);

    DnsAction start();
    DnsAction resume(const std::vector<RawAnswer>& answers);

    bool done() const { return done_; }
    const AddressResult& result() const { return result_; }
    AddressResult take_result() { return std::move(result_); }

private:
    DnsAction ask_or_finish();

    InetProtocols protocols_;
    AddressResult result_;
    std::optional<LookupBatch> batch_;
    bool done_ = false;
};

// A host's addresses from its A and AAAA lookups (nullptr: that family was not asked): IPv6 first,
// then the families alternating (RFC 8305 §4, on RFC 6724 §6's default precedence; docs/ipv6.md),
// no repeats, at most kMaxAddressesPerHost; when there is none, the status of the one family asked,
// or both combined (combine_address_status).
AddressResult addresses_of(std::string host, const Lookup* a, const Lookup* aaaa);

}  // namespace relaylab::dns
