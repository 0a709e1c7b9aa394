// What a scenario run produced: the timeline and the facts expectations are checked against.
// Holds no ephemeral ports, temp paths, real times or pids, so that two runs compare byte for byte.
#pragma once

#include "clock/clock.hpp"
#include "taxonomy/claim.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::scn {

struct TimelineEntry {
    TimePoint at;
    std::string text;  // one line; a notice's body lines come as further entries
};

// One recipient of one submission, from intake to its final state.
struct RecipientRecord {
    std::size_t submission = 0;  // index in the scenario's (time-sorted) submissions
    std::string address;
    std::string status = "pending";  // delivered | bounced | expired | refused | pending
    unsigned attempts = 0;
    std::optional<std::string> stage;          // the last attempt's stage ("mail", "rcpt", ..., "done")
    std::optional<std::string> reply;          // the last reply, one line ("553 malformed address")
    std::optional<std::string> failure_class;  // "sender_rejected", ...
    std::optional<std::string> dsn;            // "5.1.7"
    std::optional<std::string> remote;         // the host of the last SMTP session
    std::optional<TimePoint> final_at;
};

struct NoticeRecord {
    TimePoint at;
    std::string handset;
    gw::NoticeKind kind = gw::NoticeKind::Failure;
    gw::Claim claims = gw::Claim::Undeliverable;
    std::string subject, body;
    std::string file;  // relative to the mailbox root
    std::string final_recipient;
    // The delivery-status part: message fields, then this recipient's fields (RFC 3464 §2.2, §2.3).
    std::map<std::string, std::string> delivery_status;
};

struct RemoteTransaction {
    std::string mail_from;
    std::vector<std::string> rcpt_to;
    bool message = false;  // whether DATA reached the end
};

struct RemoteRecord {
    std::string host;
    std::string ip;
    bool external = false;
    std::size_t connections = 0;
    std::vector<RemoteTransaction> transactions;
};

// A destination whose concurrency window the relay's feedback moved (docs/shaping.md).
struct DestinationRecord {
    std::size_t lowest_window = 0;  // the lowest window the feedback set
    std::size_t lowered = 0;        // times a refused session lowered (or held) it
    std::size_t raised = 0;         // times deliveries raised it
    bool suspended = false;         // refused with nothing else in flight: held until the retry time
};

struct RunRecord {
    std::uint64_t seed = 1;
    bool seed_pinned = false;  // the scenario's own "seed", not the command line's
    bool deterministic = true;  // false when a real external MTA took part (real time)
    TimePoint start{};
    TimePoint end{};
    bool finished = false;  // the relay went idle before the limit
    std::vector<TimelineEntry> timeline;
    std::vector<RecipientRecord> recipients;
    std::vector<NoticeRecord> notices;
    std::vector<RemoteRecord> remotes;  // by host
    std::map<std::string, DestinationRecord> destinations;  // only those whose window moved
};

}  // namespace relaylab::scn
