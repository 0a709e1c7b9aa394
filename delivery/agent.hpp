// What the scheduler hands a due job to (Postfix's qmgr → the smtp delivery agent). The relay
// uses gw::Delivery (DNS, MX walk, SMTP); a test can give the scheduler an agent of its own and
// drive it on a VirtualClock, with no sockets and no DNS.
#pragma once

#include "asio/awaitable.hpp"
#include "queue/queue.hpp"
#include "taxonomy/outcome.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace relaylab::gw {

class DeliveryAgent {
public:
    virtual ~DeliveryAgent() = default;
    // One attempt of `job` (one message, one destination domain); `attempt` is 1 for the first.
    // Outcomes in the order of job.recipients, one each.
    virtual boost::asio::awaitable<std::vector<DeliveryOutcome>> attempt(const QueuedMessage& message,
                                                                         const DeliveryJob& job, unsigned attempt) = 0;
    // Sessions parked for `domain` that the next job there would take instead of opening one: the
    // scheduler counts the others against the destination's new sessions per minute.
    virtual std::size_t parked_sessions(const std::string& domain) const {
        (void)domain;
        return 0;
    }
};

}  // namespace relaylab::gw
