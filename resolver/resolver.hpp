// MX and address resolution for mail (RFC 5321 §5.1) on c-ares, as coroutines on the caller's
// executor, every lookup bounded by a deadline on the caller's Clock.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "resolver/config.hpp"
#include "resolver/mx_order.hpp"
#include "resolver/result.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace relaylab::dns {

class AresChannel;

class Resolver {
public:
    // Throws std::invalid_argument for a bad config (the message names the bad value).
    Resolver(boost::asio::any_io_executor ex, Clock& clock, ResolverConfig cfg);
    // Safe with lookups in flight: they complete with Status::Error.
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // The domain's mail exchangers in the order to try them, each with its addresses. `rng` orders
    // equal preferences and must outlive the lookup. Never throws for DNS trouble: see MxResult.
    boost::asio::awaitable<MxResult> resolve_mx(std::string domain, Rng& rng);
    // A then AAAA of one host (asked in parallel), CNAMEs followed.
    boost::asio::awaitable<AddressResult> resolve_addresses(std::string host);

    const ResolverConfig& config() const { return cfg_; }

private:
    ResolverConfig cfg_;
    std::shared_ptr<AresChannel> channel_;
};

}  // namespace relaylab::dns
