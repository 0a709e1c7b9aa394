// The in-memory queue: per-recipient state, due times, and the per-destination concurrency limit.
// Pure bookkeeping — no clock, no I/O; the caller passes `now` and says what each attempt achieved.
#pragma once

#include "clock/clock.hpp"
#include "queue/retry.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
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
// What one attempt did for one recipient, as the scheduler tells the queue. Refused: the session
// was refused for load (docs/shaping.md): the recipient waits again at once, the attempt uncounted.
enum class AttemptVerdict { Delivered, FailedPermanently, FailedTemporarily, Refused };

enum class Disposition { Delivered, Bounced, Deferred, Expired };

// One destination's shape (docs/shaping.md). 0 means no limit for the last two.
struct DestinationLimits {
    // Sessions (jobs) in flight at once: Postfix's default_destination_concurrency_limit = 20. The
    // concurrency feedback moves the destination's window between 1 and this.
    std::size_t concurrency = 20;
    // Messages (transactions) one session carries before it is closed: Postfix's
    // smtp_connection_reuse_count_limit (0: no limit, as Postfix's default).
    std::size_t messages_per_session = 0;
    // New sessions started in any minute: ours (Postfix's default_destination_rate_delay is a delay
    // between deliveries, not a count of connections).
    std::size_t new_sessions_per_minute = 0;
};

struct QueueLimits {
    // Postfix: default_destination_concurrency_limit = 20.
    std::size_t destination_concurrency = 20;
    // Recipients per transaction (Postfix: smtp_destination_recipient_limit = 50).
    std::size_t recipients_per_job = 50;
    // Delivery jobs in flight at once, all destinations (Postfix: default_process_limit = 100).
    std::size_t max_sessions = 100;
    // The defaults of every destination's shape, besides destination_concurrency.
    std::size_t max_messages_per_session = 0;
    std::size_t max_new_sessions_per_minute = 0;
    // Per destination domain (lower case): its own shape, over the defaults above.
    std::map<std::string, DestinationLimits> destinations;

    DestinationLimits for_destination(const std::string& domain) const;
};

// A destination's concurrency window moved (Postfix qmgr's concurrency feedback): lowered by a
// refused session, raised by deliveries, or held (Postfix's "dead" destination) until `held_until`.
struct WindowChange {
    std::string domain;
    std::size_t from = 0;
    std::size_t to = 0;
    std::size_t limit = 0;                  // the destination's configured concurrency
    std::optional<TimePoint> held_until;    // no session starts before this (refused at window 1)
};

class Queue {
public:
    Queue(RetrySchedule schedule, QueueLimits limits) : schedule_(schedule), limits_(limits) {}

    // Accepts a message; every recipient is due at `now`. Returns its id.
    MessageId add(Envelope envelope, std::string content, TimePoint now);

    // How many sessions the delivery agent has parked for a domain: a job that can take one starts
    // no new session (only asked of destinations with a new-sessions-per-minute limit).
    using ParkedSessions = std::function<std::size_t(const std::string& domain)>;
    // Jobs due by `now`, at most `max_jobs`, never exceeding a destination's concurrency window nor
    // its new sessions per minute, none for a held destination. Their recipients move to InFlight.
    std::vector<DeliveryJob> take_ready(TimePoint now, std::size_t max_jobs, const ParkedSessions& parked = {});
    // The earliest time a waiting recipient becomes due (whether or not its destination is busy).
    std::optional<TimePoint> next_due() const;
    // The earliest time a destination held back (rate or hold) may start a session again.
    std::optional<TimePoint> next_release() const;

    // Concurrency feedback (Postfix's qmgr, SCHEDULER_README): a session of `domain` was refused
    // for load (421 at greeting/EHLO, too many connections, rate limited). With other sessions in
    // flight the window drops to one less than the sessions in flight (this one included); refused
    // with none other in flight, the window is 1 and the destination is held until `now + hold`.
    WindowChange session_refused(const std::string& domain, TimePoint now, Duration hold);
    // A session of `domain` delivered: after `window` of them the window grows by one, up to its
    // configured concurrency. A change when it grew.
    std::optional<WindowChange> session_delivered(const std::string& domain);
    // The destination's concurrency window now (its configured concurrency when it has no state).
    std::size_t window(const std::string& domain) const;

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
        DestinationLimits limits;
        std::size_t window = 0;        // the concurrency window (feedback), 1..limits.concurrency
        std::size_t delivered = 0;     // sessions delivered since the window last moved
        std::deque<TimePoint> opened;  // new sessions started in the last minute (when rate-limited)
        std::optional<TimePoint> held; // no session starts before this (rate or hold); in held_
    };
    Destination& destination(const std::string& domain);
    void hold(const std::string& domain, Destination& d, TimePoint until);
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
    std::set<std::pair<TimePoint, std::string>> held_;  // destinations held back, until when
    TimePoint now_{};  // the latest time the caller gave: a destination's minute of sessions ends by it
};

// The destination of an address: the domain after the last '@', lower case.
std::string destination_of(const std::string& address);

}  // namespace relaylab::gw
