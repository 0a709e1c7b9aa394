// Postfix's bounce daemon for the handset: one notice per failed (or delayed) recipient, in the
// policy's words, written to the handset's Maildir; a notice that cannot be written stays pending
// and is tried again with backoff, and is never recorded as written before it is.
#pragma once

#include "address/language.hpp"
#include "bounce/charset.hpp"
#include "bounce/policy.hpp"
#include "clock/clock.hpp"
#include "log/events.hpp"
#include "queue/queue.hpp"
#include "queue/spool.hpp"
#include "taxonomy/claim.hpp"
#include "taxonomy/classify.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::gw {

struct NoticeSettings {
    std::string hostname = "relay.carrier.example";  // From: MAILER-DAEMON@hostname, Reporting-MTA
    Language language = Language::Ja;
    Charset charset = Charset::Iso2022Jp;
    std::filesystem::path mailboxes = "mailboxes";
    long process_id = 0;  // for Maildir file names; 0 in scenarios so that names repeat
    // A notice that could not be written is tried again after min_backoff, doubling up to max_backoff.
    Duration min_backoff = std::chrono::minutes(5);
    Duration max_backoff = std::chrono::minutes(70);
};

class NoticeWriter {
public:
    // Where the spool records of a written notice go (the relay's spool), when the caller of
    // write() does not collect them itself.
    using Recorder = std::function<void(MessageId, const SpoolEvent&)>;
    // Where a notice goes that could not be written at its first try (the relay's spool, as a P
    // record), so that a restart tries it again; called before write() returns, so before the
    // caller records the recipient's failure.
    using Keeper = std::function<void(const SpooledNotice&)>;

    NoticeWriter(Clock& clock, NoticeSettings settings, Policy policy, EventSink* events, Recorder recorder,
                 Keeper keeper = {});

    // One notice per failed recipient: failed[i] is recipient indices[i] of `msg`. Each is written
    // at once or left pending. Once a notice is on disk its spool record (N for a failure, with the
    // recipient's attempts; W for a delay) goes to `later` when given — the caller records it after
    // its own records — or to the recorder. `retry_until`: a delay warning's "Will-Retry-Until".
    // The null sender gets no notice (RFC 5321 §4.5.5).
    void write(const QueuedMessage& msg, const std::vector<ClassifiedOutcome>& failed,
               const std::vector<std::size_t>& indices, NoticeKind kind, std::optional<TimePoint> retry_until,
               std::vector<SpoolEvent>* later = nullptr);
    // Tries again every pending notice whose backoff has passed.
    void retry_due(TimePoint now);
    // A notice a previous run kept pending (the spool's P record): due at once, as it was worded
    // then; its N or W record goes to the recorder once it is written. Not kept again.
    void restore(const SpooledNotice& notice);
    // When the next pending notice is due (none pending: nullopt).
    std::optional<TimePoint> next_due() const;

    // Notices made (each written once, or still pending); failed Maildir writes (each retry
    // counts); notices still to be written.
    std::uint64_t made() const { return made_; }
    std::uint64_t errors() const { return errors_; }
    std::size_t pending() const { return pending_.size(); }

    const Policy& policy() const { return policy_; }
    // Notices rendered from now on use `policy` (a reload); pending ones keep their words.
    void set_policy(Policy policy) { policy_ = std::move(policy); }

private:
    struct Pending {
        MessageId id = 0;
        std::string handset;
        NoticeKind kind = NoticeKind::Failure;
        std::string bytes;
        std::uint64_t sequence = 0;
        std::string subject, body;
        Claim claims = Claim::Undeliverable;
        std::vector<SpoolEvent> records;
        unsigned tries = 0;
        Duration backoff{};
        TimePoint due{};
    };
    // One try of a notice's Maildir write: on success its event and its records (into `later`, or
    // to the recorder); on failure counted, reported, and due again after the backoff. True when
    // written.
    bool try_write(Pending& n, std::vector<SpoolEvent>* later);

    Clock& clock_;
    NoticeSettings settings_;
    Policy policy_;
    EventSink* events_;
    Recorder recorder_;
    Keeper keeper_;
    std::vector<Pending> pending_;
    std::uint64_t made_ = 0;
    std::uint64_t errors_ = 0;
};

// The header section of a message (up to the first empty line), for the notice's third part.
std::string header_section(std::string_view message);

}  // namespace relaylab::gw
