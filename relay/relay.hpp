// Postfix's qmgr for the gateway: the queue and the scheduler loop that hands due jobs to a
// delivery agent (gw::Delivery, or a test's own), settles their outcomes, and hands failures to the
// notice writer (bounce/notice_writer: Postfix's bounce). Operators' edits of the live queue are
// relay/queue_admin (postsuper). Intake reaches it as a Submission. Time comes from the caller's
// Clock; the same object runs live and in scenarios.
#pragma once

#include "asio/awaitable.hpp"
#include "address/language.hpp"
#include "bounce/charset.hpp"
#include "bounce/notice_writer.hpp"
#include "bounce/policy.hpp"
#include "clock/clock.hpp"
#include "clock/timer.hpp"
#include "delivery/agent.hpp"
#include "delivery/delivery.hpp"
#include "log/events.hpp"
#include "queue/queue.hpp"
#include "queue/spool.hpp"
#include "queue/submission.hpp"

#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <random>

namespace relaylab::gw {

struct RelaySettings {
    std::string hostname = "relay.carrier.example";
    Language language = Language::Ja;
    Charset charset = Charset::Iso2022Jp;
    std::filesystem::path mailboxes = "mailboxes";
    long process_id = 0;  // for Maildir file names; 0 in scenarios so names repeat
    RetrySchedule retry;
    QueueLimits limits;
    DeliveryConfig delivery;
};

class QueueAdmin;

class Relay final : public Submission {
public:
    // The relay with its own delivery agent (gw::Delivery on `resolver`): live mode and scenarios.
    Relay(boost::asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, RelaySettings settings,
          Policy policy, std::mt19937_64& rng, EventSink* events = nullptr);
    // The scheduler alone, with the caller's agent (which must outlive the relay): scheduler tests.
    Relay(boost::asio::any_io_executor ex, Clock& clock, DeliveryAgent& agent, RelaySettings settings, Policy policy,
          EventSink* events = nullptr);
    ~Relay() override;  // waits for an fdatasync on its way
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Starts the scheduler loop. Call once.
    void start();
    // Stops taking jobs; deliveries in flight finish. The loop ends at its next wake-up.
    void stop();

    // Takes the spool's live messages into the queue (a restart resumes where it stopped) and its
    // pending handset notices into the notice writer; from then on every accepted message,
    // recipient state change and notice that could not be written is recorded in it. Call before
    // start(). Returns the number of messages recovered.
    std::size_t recover(Spool& spool);

    // A message from intake. It is due at once. With a spool it is written first; intake must
    // commit(acceptance.commit) before it answers 250.
    Acceptance accept(Envelope envelope, std::string content) override;
    // Live (a RealClock), the fdatasync runs on a thread of its own while the loop goes on; on a
    // VirtualClock it runs inline, so that a scenario's order of events stays the same.
    boost::asio::awaitable<std::optional<SpoolError>> commit(std::uint64_t sequence) override;
    // The same at once, on the caller's thread.
    std::optional<SpoolError> commit_now(std::uint64_t sequence);
    // Compactions of the spool that are queued or running (live: on the fdatasync thread).
    bool compacting() const { return compaction_queued_; }
    Duration commit_window() const override;
    // accept() without a spool (or ignoring its failure: 0 means not queued).
    MessageId submit(Envelope envelope, std::string content);

    // Operators' edits of the live queue (relay/queue_admin.hpp).
    QueueAdmin& admin() { return *admin_; }

    Spool* spool() const { return spool_; }
    // Spool writes that failed after the message was accepted (state changes; at-least-once still
    // holds: an unrecorded result is retried).
    std::uint64_t spool_errors() const { return spool_errors_; }
    // Attempts a crash cut short, found at recovery: each may be delivered twice.
    std::uint64_t interrupted_attempts() const { return interrupted_; }

    // Nothing waiting, nothing in flight, no notice waiting to be written.
    bool idle() const { return queue_.messages() == 0 && in_flight_ == 0 && notices_.pending() == 0; }
    std::size_t in_flight() const { return in_flight_; }
    const Queue& queue() const { return queue_; }
    // Notices made (each written once, or still pending).
    std::uint64_t notices_written() const { return notices_.made(); }
    // Maildir writes of notices that failed (each retry counts), and notices still to be written.
    std::uint64_t notice_errors() const { return notices_.errors(); }
    std::size_t notices_pending() const { return notices_.pending(); }
    // The policy notices are worded by; set_policy() applies to notices made from now on.
    const Policy& policy() const { return notices_.policy(); }
    void set_policy(Policy policy) { notices_.set_policy(std::move(policy)); }

private:
    // `agent`, or (null) the owned one.
    Relay(boost::asio::any_io_executor ex, Clock& clock, std::unique_ptr<DeliveryAgent> own, DeliveryAgent* agent,
          const RelaySettings& settings, Policy policy, EventSink* events);

    friend class QueueAdmin;  // postsuper edits qmgr's queue: through the same records and wake-up

    boost::asio::awaitable<void> schedule_loop();
    // Compacts the spool when finished messages weigh enough: inline on a VirtualClock, else on
    // the fdatasync thread, in turn with the commits' fdatasyncs (compact_off_loop).
    void compact_if_due();
    boost::asio::awaitable<void> compact_off_loop();
    // The one fdatasync-or-compaction slot: waits until it is free, then holds it; release frees
    // it and wakes the waiters.
    boost::asio::awaitable<void> take_sync_slot();
    void release_sync_slot();
    boost::asio::awaitable<void> run_job(DeliveryJob job);
    void settle(const DeliveryJob& job, std::vector<DeliveryOutcome> outcomes);
    void wake();
    void record(MessageId id, const SpoolEvent& e);
    // Forgets what an expiry of the message would report (the message left the queue).
    void forget(MessageId id);
    // An operator's edit is acknowledged only once on disk: append and one fdatasync. False when
    // the record could not be written or made durable (nothing changed then).
    bool record_durably(MessageId id, const SpoolEvent& e);

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    RelaySettings settings_;
    EventSink* events_;
    Queue queue_;
    std::unique_ptr<DeliveryAgent> own_agent_;  // the first constructor's gw::Delivery
    DeliveryAgent& agent_;
    NoticeWriter notices_;
    std::unique_ptr<QueueAdmin> admin_;
    Timer wake_;
    bool running_ = false;
    bool stopping_ = false;
    std::size_t in_flight_ = 0;
    Spool* spool_ = nullptr;
    // Group commit off the loop: one fdatasync at a time on sync_thread_; commits that arrive while
    // one runs wait for it (it may cover them) and start the next one if it did not. A compaction
    // takes the same slot from its start to its own sync's end, so that no fdatasync runs on a
    // descriptor it replaces.
    std::unique_ptr<boost::asio::thread_pool> sync_thread_;
    bool syncing_ = false;
    bool compaction_queued_ = false;
    std::vector<Timer*> sync_waiters_;
    std::uint64_t spool_errors_ = 0;
    std::uint64_t interrupted_ = 0;
    // The last temporary outcome per (message, recipient): what an expiry reports.
    std::map<std::pair<MessageId, std::size_t>, DeliveryOutcome> last_temporary_;
    Queue::ParkedSessions parked_;  // the agent's parked sessions per destination
};

}  // namespace relaylab::gw
