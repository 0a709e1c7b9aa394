// The in-memory queue: per-recipient state, due times, and the per-destination concurrency limit.
// Pure bookkeeping — no clock, no I/O; the caller passes `now` and says what each attempt achieved.
#pragma once

#include "clock/clock.hpp"
#include "queue/retry.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace relaylab::gw {

using MessageId = std::uint64_t;

struct Envelope {
    std::string sender;                   // as the handset gave it (raw local part kept)
    std::vector<std::string> recipients;  // as given
};

enum class RecipientState { Waiting, InFlight, Delivered, Bounced, Expired };

struct QueuedRecipient {
    std::string address;
    std::string domain;  // lower case, the destination
    RecipientState state = RecipientState::Waiting;
    unsigned attempts = 0;
    TimePoint due;       // next attempt when Waiting
    bool warned = false; // delay warning sent
};

struct QueuedMessage {
    MessageId id = 0;
    Envelope envelope;
    std::string content;  // the message as received (headers + body)
    TimePoint arrival;
    std::vector<QueuedRecipient> recipients;
    bool finished() const;
};

// One SMTP transaction's worth: one message's recipients for one destination domain.
struct DeliveryJob {
    MessageId message = 0;
    std::string domain;
    std::vector<std::size_t> recipients;  // indexes into QueuedMessage::recipients
};

// What became of a recipient after an attempt, as the queue decided it.
// What one attempt did for one recipient, as the scheduler tells the queue.
enum class AttemptVerdict { Delivered, FailedPermanently, FailedTemporarily };

enum class Disposition { Delivered, Bounced, Deferred, Expired };

struct QueueLimits {
    // Postfix: default_destination_concurrency_limit = 20.
    std::size_t destination_concurrency = 20;
    // Recipients per transaction (Postfix: smtp_destination_recipient_limit = 50).
    std::size_t recipients_per_job = 50;
    // Delivery jobs in flight at once, all destinations (Postfix: default_process_limit = 100).
    std::size_t max_sessions = 100;
};

class Queue {
public:
    Queue(RetrySchedule schedule, QueueLimits limits) : schedule_(schedule), limits_(limits) {}

    // Accepts a message; every recipient is due at `now`. Returns its id.
    MessageId add(Envelope envelope, std::string content, TimePoint now);

    // Jobs due by `now`, at most `max_jobs`, never exceeding a destination's concurrency limit.
    // Their recipients move to InFlight.
    std::vector<DeliveryJob> take_ready(TimePoint now, std::size_t max_jobs);
    // The earliest time a waiting recipient becomes due (whether or not its destination is busy).
    std::optional<TimePoint> next_due() const;

    // Ends a job's attempt. For each recipient: delivered, bounced (permanent), or temporary —
    // which the queue turns into Deferred (with a next attempt) or Expired.
    void finish_job(const DeliveryJob& job);
    Disposition record(MessageId id, std::size_t rcpt, AttemptVerdict verdict, TimePoint now);
    // The earliest time a delay warning falls due, if warnings are on and any recipient waits.
    std::optional<TimePoint> next_warning() const;
    // Recipients whose delay warning is due (waiting longer than schedule.delay_warning), marked warned.
    std::vector<std::pair<MessageId, std::size_t>> take_delay_warnings(TimePoint now);

    const QueuedMessage* find(MessageId id) const;
    // Drops a message whose recipients are all final; true when it was dropped.
    bool forget_if_finished(MessageId id);
    // Takes a message back from the durable spool after a restart, with its id and recipients'
    // states (none InFlight). Later ids continue after the highest id the spool has seen.
    void restore(QueuedMessage message, MessageId highest_seen);
    void restore_next_id(MessageId highest_seen) { next_id_ = std::max(next_id_, highest_seen + 1); }
    // Drops a message that is not in flight (a spool write failed after add, or an operator's
    // delete); false if it is, or if there is no such message.
    bool remove(MessageId id);
    // An operator's forced retry (postqueue -i): every waiting recipient of the message becomes due
    // at `now` (one already overdue keeps its place). Returns how many recipients wait.
    std::size_t make_due(MessageId id, TimePoint now);
    // Every queued message's id, in id order (postqueue -f walks them all).
    std::vector<MessageId> ids() const;
    std::size_t messages() const { return messages_.size(); }
    std::size_t in_flight(const std::string& domain) const;
    const RetrySchedule& schedule() const { return schedule_; }

private:
    using DueKey = std::tuple<TimePoint, MessageId, std::size_t>;
    // Per destination: its waiting recipients in due order, its jobs in flight, and where it is
    // listed in ready_ (when it has room and work). Every scheduler event is O(log n).
    struct Destination {
        std::set<DueKey> due;
        std::size_t busy = 0;
        std::optional<DueKey> listed;  // its key in ready_
    };
    void wait(MessageId id, std::size_t idx, const QueuedRecipient& r, TimePoint arrival);
    void unwait(MessageId id, std::size_t idx, const QueuedRecipient& r, TimePoint arrival);
    void refresh(const std::string& domain);

    RetrySchedule schedule_;
    QueueLimits limits_;
    MessageId next_id_ = 1;
    std::map<MessageId, QueuedMessage> messages_;
    std::set<DueKey> due_;  // every waiting recipient: next_due()
    std::unordered_map<std::string, Destination> destinations_;
    // Destinations with room, keyed by their earliest waiting recipient: (due, message, index) is
    // unique, and take_ready() serves them in the same order as one global due list would.
    std::map<DueKey, const std::string*> ready_;
    std::set<DueKey> warn_;  // (arrival + delay_warning, id, idx) of waiting, deferred, unwarned recipients
};

// The destination of an address: the domain after the last '@', lower case.
std::string destination_of(const std::string& address);

}  // namespace relaylab::gw
