// What the relay did, as typed events: the scenario timeline and the live log are two readers.
#pragma once

#include "clock/clock.hpp"
#include "taxonomy/claim.hpp"
#include "taxonomy/classify.hpp"
#include "queue/queue.hpp"
#include "resolver/result.hpp"
#include "smtpclient/outcome.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace relaylab::gw {

struct MessageAccepted {
    MessageId id;
    std::string sender;
    std::vector<std::string> recipients;
    std::size_t size = 0;
};

struct MxLookup {
    MessageId id;
    dns::MxResult result;
};

struct SmtpSession {
    MessageId id;
    smtp::Remote remote;
    std::vector<smtp::TranscriptLine> transcript;
    // Set when the TCP connect itself failed (refused, timed out, unreachable): Postfix logs each
    // such address, so that an IPv6 address refused before IPv4 delivers is seen.
    std::optional<smtp::NetError> connect_failure;
};

struct AttemptResult {
    MessageId id;
    ClassifiedOutcome outcome;
    Disposition disposition;
    std::optional<TimePoint> next_attempt;  // when Deferred
    Duration delay{};                       // since the message arrived
};

struct NoticeWritten {
    MessageId id;
    std::string handset;  // the address the notice went to
    NoticeKind kind = NoticeKind::Failure;
    std::string path;     // the Maildir file
    std::string subject;
    std::string body;
    Claim claims = Claim::Undeliverable;  // the cause the policy's words claim
};

// A notice that could not be written to the handset's Maildir: it stays pending and is tried again.
struct NoticeFailed {
    MessageId id;
    std::string handset;
    NoticeKind kind = NoticeKind::Failure;
    std::string error;      // the Maildir step and errno text, e.g. "create_directory: Not a directory"
    unsigned tries = 0;     // failed tries so far, this one included
    TimePoint next_try{};
};

// A destination's concurrency window moved (the scheduler's concurrency feedback, docs/shaping.md):
// lowered or held by a refused session, raised back by deliveries.
struct DestinationWindow {
    WindowChange change;
    std::string refused_by;  // "host[ip]" of the refusing session; empty when raised
    std::string reply;       // the refusing reply, one line; empty when raised
};

using GatewayEvent =
    std::variant<MessageAccepted, MxLookup, SmtpSession, AttemptResult, NoticeWritten, NoticeFailed, DestinationWindow>;

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_event(TimePoint at, const GatewayEvent& event) = 0;
};

}  // namespace relaylab::gw
