#include "relay/queue_admin.hpp"

#include "relay/relay.hpp"

#include <algorithm>

namespace relaylab::gw {

namespace {

std::size_t waiting_recipients(const QueuedMessage& m) {
    return static_cast<std::size_t>(std::count_if(m.recipients.begin(), m.recipients.end(), [](const QueuedRecipient& r) {
        return r.state == RecipientState::Waiting;
    }));
}

}  // namespace

QueueEdit QueueAdmin::retry_now(MessageId id) {
    const QueuedMessage* m = relay_.queue_.find(id);
    if (!m) return Failure{QueueEditError::NoSuchMessage};
    if (waiting_recipients(*m) == 0) return std::size_t{0};  // all in flight: nothing to hurry
    TimePoint now = relay_.clock_.now();
    if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}}))
        return Failure{QueueEditError::SpoolWrite};
    std::size_t affected = relay_.queue_.make_due(id, now);
    relay_.wake();
    return affected;
}

QueueEdit QueueAdmin::retry_all_now() {
    TimePoint now = relay_.clock_.now();
    std::size_t affected = 0;
    for (MessageId id : relay_.queue_.ids()) {
        const QueuedMessage* m = relay_.queue_.find(id);
        if (!m || waiting_recipients(*m) == 0) continue;
        if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}})) {
            relay_.wake();  // the messages made due before the failure stay due
            return Failure{QueueEditError::SpoolWrite};
        }
        affected += relay_.queue_.make_due(id, now);
    }
    relay_.wake();
    return affected;
}

QueueEdit QueueAdmin::remove(MessageId id) {
    const QueuedMessage* m = relay_.queue_.find(id);
    if (!m) return Failure{QueueEditError::NoSuchMessage};
    for (const auto& r : m->recipients)
        if (r.state == RecipientState::InFlight) return Failure{QueueEditError::InFlight};
    if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::Deleted, relay_.clock_.now(), 0, 0, {}}))
        return Failure{QueueEditError::SpoolWrite};
    relay_.queue_.remove(id);
    relay_.forget(id);
    relay_.wake();  // the scheduler's next wake-up may have been this message's
    return std::size_t{1};
}

}  // namespace relaylab::gw
