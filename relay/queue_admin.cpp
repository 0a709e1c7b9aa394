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
    QueueEdit edit;
    const QueuedMessage* m = relay_.queue_.find(id);
    if (!m) {
        edit.error = QueueEditError::NoSuchMessage;
        return edit;
    }
    if (waiting_recipients(*m) == 0) return edit;  // all in flight: nothing to hurry
    TimePoint now = relay_.clock_.now();
    if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}})) {
        edit.error = QueueEditError::SpoolWrite;
        return edit;
    }
    edit.affected = relay_.queue_.make_due(id, now);
    relay_.wake();
    return edit;
}

QueueEdit QueueAdmin::retry_all_now() {
    QueueEdit edit;
    TimePoint now = relay_.clock_.now();
    for (MessageId id : relay_.queue_.ids()) {
        const QueuedMessage* m = relay_.queue_.find(id);
        if (!m || waiting_recipients(*m) == 0) continue;
        if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}})) {
            edit.error = QueueEditError::SpoolWrite;
            break;
        }
        edit.affected += relay_.queue_.make_due(id, now);
    }
    relay_.wake();
    return edit;
}

QueueEdit QueueAdmin::remove(MessageId id) {
    QueueEdit edit;
    const QueuedMessage* m = relay_.queue_.find(id);
    if (!m) {
        edit.error = QueueEditError::NoSuchMessage;
        return edit;
    }
    for (const auto& r : m->recipients)
        if (r.state == RecipientState::InFlight) {
            edit.error = QueueEditError::InFlight;
            return edit;
        }
    if (!relay_.record_durably(id, SpoolEvent{SpoolEventKind::Deleted, relay_.clock_.now(), 0, 0, {}})) {
        edit.error = QueueEditError::SpoolWrite;
        return edit;
    }
    relay_.queue_.remove(id);
    relay_.forget(id);
    edit.affected = 1;
    relay_.wake();  // the scheduler's next wake-up may have been this message's
    return edit;
}

}  // namespace relaylab::gw
