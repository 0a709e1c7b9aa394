#include "resolver/resolver.hpp"

#include "resolver/ares_channel.hpp"
#include "resolver/mx_resolution.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <ares.h>

namespace relaylab::dns {

namespace {

std::vector<RawAnswer> timed_out(std::size_t n) { return std::vector<RawAnswer>(n, RawAnswer{ARES_ETIMEOUT, {}}); }

// The c-ares driver of a sans-I/O resolution (mx_resolution.hpp): asks what it asks, feeds the
// answers back, until it is done. One deadline on the caller's Clock bounds every round; a round
// that would start after it is answered ARES_ETIMEOUT without asking.
template <typename Resolution>
boost::asio::awaitable<void> drive(std::shared_ptr<AresChannel> channel, Resolution& resolution, TimePoint deadline) {
    DnsAction action = resolution.start();
    while (action.kind == DnsAction::Kind::Ask) {
        std::vector<RawAnswer> answers;
        if (channel->clock().now() >= deadline)
            answers = timed_out(action.questions.size());
        else
            answers = co_await channel->async_ask(std::move(action.questions), deadline, boost::asio::use_awaitable);
        action = resolution.resume(answers);
    }
}

boost::asio::awaitable<AddressResult> resolve_addresses_on(std::shared_ptr<AresChannel> channel, Duration budget,
                                                           InetProtocols protocols, std::string host) {
    const TimePoint deadline = channel->clock().now() + budget;
    AddressResolution resolution(host, protocols);
    co_await drive(channel, resolution, deadline);
    co_return resolution.take_result();
}

boost::asio::awaitable<MxResult> resolve_mx_on(std::shared_ptr<AresChannel> channel, Duration budget,
                                               InetProtocols protocols, std::string domain, Rng& rng) {
    const TimePoint deadline = channel->clock().now() + budget;
    MxResolution resolution(domain, rng, protocols);
    co_await drive(channel, resolution, deadline);
    co_return resolution.take_result();
}

}  // namespace

Resolver::Resolver(boost::asio::any_io_executor ex, Clock& clock, ResolverConfig cfg)
    : cfg_(std::move(cfg)), channel_(AresChannel::open(std::move(ex), clock, cfg_)) {}

Resolver::~Resolver() { channel_->close(); }

boost::asio::awaitable<MxResult> Resolver::resolve_mx(std::string domain, Rng& rng) {
    // The coroutine holds the channel, not `this`: destroying the Resolver mid-lookup is safe.
    return resolve_mx_on(channel_, cfg_.deadline, cfg_.inet_protocols, std::move(domain), rng);
}

boost::asio::awaitable<AddressResult> Resolver::resolve_addresses(std::string host) {
    return resolve_addresses_on(channel_, cfg_.deadline, cfg_.inet_protocols, std::move(host));
}

}  // namespace relaylab::dns
