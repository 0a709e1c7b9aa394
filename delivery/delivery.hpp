// One delivery attempt for one job (one message, one destination domain): resolve the MX hosts,
// walk them in order, run the SMTP transaction, and return the truth per recipient. The walk's
// rules live in the sans-I/O delivery/mx_walk.hpp; Delivery is its Asio driver.
// RFC 5321 §5.1: try the hosts in preference order; Postfix's rules for when to move on: a
// connection failure, a 4xx/5xx greeting, refused EHLO/HELO or a 4xx at MAIL tries the next host;
// a 5xx at MAIL/RCPT/DATA, or any answer once the transaction is under way, is final for this attempt.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "address/address.hpp"
#include "log/events.hpp"
#include "taxonomy/outcome.hpp"
#include "queue/queue.hpp"
#include "delivery/agent.hpp"
#include "delivery/mx_walk.hpp"
#include "delivery/session_cache.hpp"
#include "resolver/resolver.hpp"
#include "smtpclient/client.hpp"
#include "tls/context.hpp"


#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace relaylab::gw {

// Outbound STARTTLS, as Postfix's smtp_tls_security_level and smtp_tls_policy_maps (docs/tls.md).
struct TlsPolicy {
    smtp::TlsLevel outbound = smtp::TlsLevel::None;
    std::map<std::string, smtp::TlsLevel> destinations;  // recipient domain (lower case) → level
    // The authorities peers are checked against (config "ca_file", else the system's). Needed
    // whenever some level is not none.
    std::shared_ptr<boost::asio::ssl::context> context;
    smtp::TlsLevel level_for(const std::string& domain) const;
};

struct DeliveryConfig {
    unsigned short mx_port = 25;
    std::size_t max_mx_addresses = 5;  // Postfix smtp_mx_address_limit
    LocalPartMode local_part = LocalPartMode::Pass;
    // How long a session stays open for the next message to the same destination; 0 turns reuse off.
    Duration session_idle_limit = default_session_idle_limit;
    smtp::ClientConfig client;
    TlsPolicy tls;
    // Per destination shape: here its max_messages_per_session (the relay copies its queue limits).
    QueueLimits shape;
};

class Delivery final : public DeliveryAgent {
public:
    Delivery(boost::asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, DeliveryConfig config,
             std::mt19937_64& rng, EventSink* events = nullptr);

    // Outcomes in the order of job.recipients. `attempt` is 1 for the first try.
    boost::asio::awaitable<std::vector<DeliveryOutcome>> attempt(const QueuedMessage& message,
                                                                 const DeliveryJob& job, unsigned attempt) override;
    const DeliveryConfig& config() const { return config_; }
    std::size_t parked_sessions(const std::string& domain) const override { return sessions_.parked(domain); }

private:
    // Reports the session's new transcript lines, then parks it for reuse or closes it.
    boost::asio::awaitable<void> release(std::string domain, MessageId id, std::shared_ptr<CachedSession> s);
    void report(MessageId id, CachedSession& s);
    // One outcome per recipient from the walk's result.
    std::vector<DeliveryOutcome> outcomes_of(delivery::WalkResult walked, const std::string& sender,
                                             const std::vector<std::string>& rcpts, const std::string& domain,
                                             unsigned attempt_no) const;

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    dns::Resolver& resolver_;
    DeliveryConfig config_;
    std::mt19937_64& rng_;
    EventSink* events_;
    SessionCache sessions_;
};

// The form an address is sent in under `mode` (the raw address when the mode would refuse it:
// refusals happen at intake, never here).
std::string envelope_address(const std::string& address, LocalPartMode mode, AddressRole role);

}  // namespace relaylab::gw
