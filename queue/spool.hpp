// The durable queue: one append-only log of records under the spool directory (docs/spool.md).
// A message record is written before intake answers 250 and made durable by commit(); every
// recipient's state change follows as a record of its own. On open the log is replayed (a torn last
// record is dropped, never a crash) and rewritten without the records of finished messages.
// Pure file I/O: no clock (time is passed in), failures are typed values.
#pragma once

#include "clock/clock.hpp"
#include "queue/queue.hpp"
#include "result/result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace relaylab::gw {

inline constexpr std::string_view kSpoolLogName = "queue.log";
inline constexpr std::string_view kSpoolMagic = "relaylab-spool 1\n";

struct SpoolLimits {
    // A record larger than this is corrupt (a message record holds the whole message).
    std::size_t max_record_bytes = 64u << 20;
    // Compact while running once this many bytes belong to finished messages and they outweigh
    // the live ones.
    std::uint64_t compact_min_dead_bytes = 16u << 20;
    // How long intake holds a 250 so that concurrent submissions share one fdatasync (group commit).
    Duration commit_window = std::chrono::milliseconds(2);
};

enum class SpoolErrorKind {
    None,
    CreateDirectory,
    Open,
    Locked,     // another process holds the spool (a running `relaylab serve`)
    Read,
    BadHeader,  // not a relaylab spool log (or another version)
    Write,
    Sync,      // fsync of a file being replaced or of the directory
    DataSync,  // fdatasync of the log (a commit)
    Rename,
    NoSuchMessage,
};
std::string_view to_string(SpoolErrorKind k);

struct SpoolError {
    SpoolErrorKind kind = SpoolErrorKind::None;
    int system_error = 0;  // errno of the failing call
    std::string path;
    std::string str() const;  // for the edge
    // The failing call, its file and errno's words, as Postfix words a queue file error:
    // "fdatasync spool/queue.log: No space left on device".
    std::string cause() const;
};

// One line of a message's history, as recorded.
enum class SpoolEventKind : char {
    Accepted = 'M',
    AttemptStarted = 'T',
    Deferred = 'D',
    Delivered = 'O',
    Bounced = 'B',
    Expired = 'E',
    DelayNotice = 'W',
    FailureNotice = 'N',
    RetryForced = 'R',
    Deleted = 'X',
    Finished = 'F',
    IdFloor = 'I',  // written by compaction: ids up to this one were used (never reuse a queue id)
    NoticePending = 'P',  // a handset notice not yet written: its rendered bytes (SpooledNotice)
};
std::string_view to_string(SpoolEventKind k);

struct SpoolEvent {
    SpoolEventKind kind = SpoolEventKind::Accepted;
    TimePoint at{};
    std::size_t recipient = 0;   // index, where the kind names one
    unsigned attempts = 0;       // after this event (Deferred, Delivered, Bounced, Expired)
    TimePoint due{};             // Deferred: next attempt
};

// A handset notice whose Maildir write failed (bounce/notice_writer), kept so that a restart tries
// it again: the rendered message, and what its log line and its "written" record need. Recorded
// before the recipient's B/E (or on a delay warning), and pending until the N or W record of the
// same message, recipient and kind follows, which is appended only once the file is in new/. It
// outlives its message's F record: compaction keeps it while it is pending.
struct SpooledNotice {
    MessageId id = 0;
    std::size_t recipient = 0;
    SpoolEventKind written = SpoolEventKind::FailureNotice;  // the record that will say it was written: N or W
    unsigned attempts = 0;                                   // that record's attempts
    TimePoint at{};                                          // when it was made
    std::uint64_t sequence = 0;                              // its Maildir file name's sequence
    std::string handset, subject, body;
    std::string claims;  // the cause the words claim, as bounce names it
    std::string bytes;   // the complete RFC 5322 notice
};
using SpooledNoticeKey = std::tuple<MessageId, std::size_t, SpoolEventKind>;  // id, recipient, N or W
inline SpooledNoticeKey key_of(const SpooledNotice& n) { return {n.id, n.recipient, n.written}; }

struct SpooledMessage {
    QueuedMessage message;            // state as replayed; InFlight never appears (see interrupted)
    std::vector<SpoolEvent> history;  // oldest first
    // Attempts that started and left no result: the crash came mid-delivery, so the recipient may
    // have received the message already. They are retried (at-least-once) and counted here.
    unsigned interrupted = 0;
    std::uint64_t bytes = 0;          // log bytes of this message's records
};

struct SpoolReplay {
    std::map<MessageId, SpooledMessage> live;  // not finished, not deleted
    std::map<SpooledNoticeKey, SpooledNotice> notices;  // pending: P without its N or W
    MessageId max_id = 0;                      // highest id ever seen, live or not
    std::uint64_t records = 0;
    std::uint64_t dropped_tail_bytes = 0;      // a torn or corrupt tail, ignored
    std::uint64_t file_bytes = 0;
};

struct SpoolRead {
    std::optional<SpoolError> error;
    SpoolReplay replay;
};

// Reads a spool without locking or changing it (for listing). A missing log is an empty spool.
SpoolRead read_spool(const std::filesystem::path& dir, const SpoolLimits& limits = {});

class Spool;
// The spool, open and locked, or why not.
using SpoolOpen = Result<std::unique_ptr<Spool>, SpoolError>;

class Spool {
public:
    // Creates the directory if needed, takes the lock (flock), replays the log, rewrites it without
    // finished messages and the torn tail, and opens it for appending.
    static SpoolOpen open(const std::filesystem::path& dir, SpoolLimits limits = {});
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    // What the log held when opened.
    const SpoolReplay& recovered() const { return recovered_; }
    const SpoolLimits& limits() const { return limits_; }
    const std::filesystem::path& directory() const { return dir_; }

    // Each append returns the record's sequence number (for commit), or an error. Appends are
    // write(2)s: they survive a crash of the process at once, and a crash of the machine after
    // commit().
    struct Appended {
        std::uint64_t sequence = 0;
        std::optional<SpoolError> error;
    };
    Appended append_message(const QueuedMessage& m);
    Appended append_event(MessageId id, const SpoolEvent& e);
    Appended append_notice(const SpooledNotice& n);

    // Makes every record up to `sequence` durable; one fdatasync covers all records appended so far
    // (group commit). No-op when already durable.
    std::optional<SpoolError> commit(std::uint64_t sequence);
    // The same in two halves, so that the fdatasync can run on another thread while the owner's
    // loop goes on appending: begin_sync() on the loop, run_sync(ticket) anywhere, then
    // end_sync(ticket, its errno or 0) on the loop. The log must not be compacted in between.
    struct SyncTicket {
        int fd = -1;
        std::uint64_t upto = 0;            // every record appended before begin_sync()
        std::filesystem::path directory;  // also fsync this directory (after a compaction's rename)
    };
    SyncTicket begin_sync() const { return {fd_, appended_, directory_unsynced_ ? dir_ : std::filesystem::path()}; }
    // fdatasync(ticket.fd), then fsync of ticket.directory if set; errno of the first failure or 0.
    // Touches no Spool: call it on any thread.
    static int run_sync(const SyncTicket& ticket);
    std::optional<SpoolError> end_sync(const SyncTicket& ticket, int sync_errno);
    std::uint64_t appended() const { return appended_; }
    std::uint64_t durable() const { return durable_; }
    std::uint64_t syncs() const { return syncs_; }
    // The fdatasync failure that stopped the spool taking records (until a restart), if any.
    const std::optional<SpoolError>& sync_failed() const { return sync_failed_; }

    // Rewrites the log with the live messages' records only, when finished ones weigh enough (and
    // no compaction has begun).
    bool wants_compaction() const;
    // The whole compaction at once, on the caller's thread (open(), virtual time, tests).
    std::optional<SpoolError> compact();
    std::uint64_t compactions() const { return compactions_; }

    // The same in three steps, so that the rewrite runs off the owner's loop while it goes on
    // appending: begin_compaction() on the loop; compact_log(ticket) on any thread (it reads the
    // log up to ticket.bytes and writes and fsyncs queue.log.tmp, touching no Spool); then
    // end_compaction() on the loop, which copies the records appended meanwhile into the new file,
    // renames it over the log and appends to it from then on. The sync it returns makes the rename
    // durable (the directory) and the copied records; run it like a commit's. From begin to that
    // sync's end no other sync may run (the relay runs them all on one thread, in order).
    struct CompactionTicket {
        std::filesystem::path dir;
        std::uint64_t bytes = 0;  // the log's size when the compaction began
        SpoolLimits limits;
    };
    class CompactedLog {  // queue.log.tmp, written and fsynced; move-only (owns the descriptor)
    public:
        CompactedLog() = default;
        CompactedLog(CompactedLog&& o) noexcept;
        CompactedLog& operator=(CompactedLog&& o) noexcept;
        ~CompactedLog();
        int fd = -1;
        SpoolReplay replay;  // what the log up to ticket.bytes held
        std::uint64_t bytes = 0;
    };
    CompactionTicket begin_compaction();
    static Result<CompactedLog, SpoolError> compact_log(const CompactionTicket& ticket);
    Result<SyncTicket, SpoolError> end_compaction(Result<CompactedLog, SpoolError> compacted);

private:
    Spool(std::filesystem::path dir, SpoolLimits limits, int lock_fd);
    Appended append(MessageId id, std::string_view payload, bool finishes);
    void account(MessageId id, std::uint64_t bytes, bool finishes);

    std::filesystem::path dir_;
    SpoolLimits limits_;
    int lock_fd_ = -1;
    int fd_ = -1;
    bool opened_ = false;
    SpoolReplay recovered_;
    std::uint64_t appended_ = 0;
    std::uint64_t durable_ = 0;
    std::uint64_t syncs_ = 0;
    std::optional<SpoolError> sync_failed_;
    std::map<MessageId, std::uint64_t> live_bytes_;
    std::uint64_t live_total_ = 0;
    std::uint64_t dead_bytes_ = 0;
    std::uint64_t compactions_ = 0;
    // Between begin_compaction() and end_compaction(): the records appended meanwhile (id, bytes,
    // finishes), to be counted again against the new file.
    bool compacting_ = false;
    std::uint64_t compaction_upto_ = 0;  // the records appended before begin_compaction()
    bool directory_unsynced_ = false;    // a compaction's rename is not yet durable
    struct Tail {
        MessageId id;
        std::uint64_t bytes;
        bool finishes;
    };
    std::vector<Tail> tail_;
};

// Offline edits of a spool no daemon holds (`relaylab queue --retry/--delete`): they take the lock,
// so they refuse (Locked) while `relaylab serve` runs on the same spool.
std::optional<SpoolError> force_retry(const std::filesystem::path& dir, MessageId id, TimePoint now);
std::optional<SpoolError> delete_message(const std::filesystem::path& dir, MessageId id, TimePoint now);
// Offline `--retry all` (postqueue -f): an `R` record for every message with a waiting recipient.
// The value: how many recipients were made due.
using SpoolEdit = Result<std::size_t, SpoolError>;
SpoolEdit force_retry_all(const std::filesystem::path& dir, TimePoint now);

// The record framing, exposed for tests: "<length> <crc32 hex>\n<payload>\n".
std::string frame_record(std::string_view payload);
std::uint32_t crc32_of(std::string_view bytes);

}  // namespace relaylab::gw
