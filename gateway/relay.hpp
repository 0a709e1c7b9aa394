// The relay's heart, after intake: the queue, the scheduler loop that hands due jobs to Delivery,
// and the edge where a final outcome becomes words (policy) and a handset notice (Maildir).
// Time comes from the caller's Clock; the same object runs live and in scenarios.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "clock/timer.hpp"
#include "gateway/charset.hpp"
#include "gateway/delivery.hpp"
#include "gateway/events.hpp"
#include "gateway/language.hpp"
#include "gateway/policy.hpp"
#include "gateway/queue.hpp"
#include "gateway/spool.hpp"


#include <filesystem>
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

// What intake gets for a message: its queue id and, with a spool, the record to commit before 250.
struct Acceptance {
    MessageId id = 0;
    std::uint64_t commit = 0;          // Spool sequence; 0 without a spool
    std::optional<SpoolError> error;   // the message is NOT queued: answer 451 4.3.0
    bool ok() const { return !error; }
};

// An operator's edit of the live queue (`relaylab queue` over the control socket), as typed values.
enum class QueueEditError {
    NoSuchMessage,
    InFlight,    // a recipient is being delivered: deleting now could not stop it
    SpoolWrite,  // the record could not be written or made durable: nothing changed
};

struct QueueEdit {
    std::size_t affected = 0;  // recipients made due (retry), messages removed (delete)
    std::optional<QueueEditError> error;
    bool ok() const { return !error; }
};

class Relay {
public:
    Relay(boost::asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, RelaySettings settings,
          Policy policy, std::mt19937_64& rng, EventSink* events = nullptr);
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    // Starts the scheduler loop. Call once.
    void start();
    // Stops taking jobs; deliveries in flight finish. The loop ends at its next wake-up.
    void stop();

    // Takes the spool's live messages into the queue (a restart resumes where it stopped); from
    // then on every accepted message and recipient state change is written to it. Call before
    // start(). Returns the number of messages recovered.
    std::size_t recover(Spool& spool);

    // A message from intake. It is due at once. With a spool it is written first; intake must
    // commit(acceptance.commit) before it answers 250.
    Acceptance accept(Envelope envelope, std::string content);
    std::optional<SpoolError> commit(std::uint64_t sequence);
    // accept() without a spool (or ignoring its failure: 0 means not queued).
    MessageId submit(Envelope envelope, std::string content);

    // Operator edits, like Postfix's live queue tools; call on the loop that runs the relay. Each is
    // recorded in the spool (and made durable) before it takes effect, so a restart sees it.
    // postqueue -i ID: every waiting recipient of the message is due now (an `R` record); the
    // scheduler is woken. Recipients in flight keep their attempt. affected: recipients made due.
    QueueEdit retry_now(MessageId id);
    // postqueue -f: the same for every queued message. affected: recipients made due.
    QueueEdit retry_all_now();
    // postsuper -d ID: the message leaves the queue (an `X` record: recovery does not bring it
    // back), without a notice to the handset. Refused while a recipient is in flight.
    QueueEdit remove(MessageId id);

    // The words of every notice made from now on (serve's SIGHUP, like `postfix reload`); notices
    // already made keep theirs. Call on the loop that runs the relay.
    void set_policy(Policy policy) { policy_ = std::move(policy); }
    const Policy& policy() const { return policy_; }

    Spool* spool() const { return spool_; }
    // Spool writes that failed after the message was accepted (state changes; at-least-once still
    // holds: an unrecorded result is retried).
    std::uint64_t spool_errors() const { return spool_errors_; }
    // Attempts a crash cut short, found at recovery: each may be delivered twice.
    std::uint64_t interrupted_attempts() const { return interrupted_; }

    // Nothing waiting, nothing in flight, no notice waiting to be written.
    bool idle() const { return queue_.messages() == 0 && in_flight_ == 0 && pending_notices_.empty(); }
    std::size_t in_flight() const { return in_flight_; }
    const Queue& queue() const { return queue_; }
    // Notices made (each written once, or still pending).
    std::uint64_t notices_written() const { return notice_seq_; }
    // Maildir writes of notices that failed (each retry counts), and notices still to be written.
    std::uint64_t notice_errors() const { return notice_errors_; }
    std::size_t notices_pending() const { return pending_notices_.size(); }

private:
    boost::asio::awaitable<void> schedule_loop();
    boost::asio::awaitable<void> run_job(DeliveryJob job);
    void settle(const DeliveryJob& job, std::vector<DeliveryOutcome> outcomes);
    // A rendered notice not yet in the handset's Maildir, and the spool records (N or W) that say it is.
    struct PendingNotice {
        MessageId id = 0;
        std::string handset;
        std::string kind;
        std::string bytes;
        std::uint64_t sequence = 0;
        std::string subject, body, claims;
        std::vector<SpoolEvent> records;
        unsigned tries = 0;
        Duration backoff{};
        TimePoint due{};
    };
    // One notice per failed recipient, each written at once or left pending; `record` is the spool
    // record kind written for a recipient once its notice is on disk.
    // `later`: where the records of notices written at once go (the caller records them after its
    // own); without it they are recorded at once.
    void write_notice(const QueuedMessage& msg, const std::vector<ClassifiedOutcome>& failed, const char* kind,
                      std::optional<TimePoint> retry_until, SpoolEventKind record, const std::vector<std::size_t>& indices,
                      std::vector<SpoolEvent>* later = nullptr);
    // One try of a notice's Maildir write: on success its event and its records (into `later`, or
    // recorded now); on failure counted, reported, and due again after the backoff (min_backoff
    // doubling up to max_backoff). True when written.
    bool try_notice(PendingNotice& n, std::vector<SpoolEvent>* later = nullptr);
    void retry_notices(TimePoint now);
    std::optional<TimePoint> next_notice_due() const;
    void wake();
    void record(MessageId id, SpoolEvent e);
    std::optional<QueueEditError> record_durably(MessageId id, SpoolEvent e);

    boost::asio::any_io_executor ex_;
    Clock& clock_;
    RelaySettings settings_;
    Policy policy_;
    EventSink* events_;
    Queue queue_;
    Delivery delivery_;
    Timer wake_;
    bool running_ = false;
    bool stopping_ = false;
    std::size_t in_flight_ = 0;
    std::uint64_t notice_seq_ = 0;
    std::uint64_t notice_errors_ = 0;
    std::vector<PendingNotice> pending_notices_;
    Spool* spool_ = nullptr;
    std::uint64_t spool_errors_ = 0;
    std::uint64_t interrupted_ = 0;
    // The last temporary outcome per (message, recipient): what an expiry reports.
    std::map<std::pair<MessageId, std::size_t>, DeliveryOutcome> last_temporary_;
};

// The header section of a message (up to the first empty line), for the notice's third part.
std::string header_section(std::string_view message);

}  // namespace relaylab::gw
