// The queue's front door (Postfix's cleanup handing a message to the incoming queue): what intake
// gives an accepted message to, without knowing who schedules it. The relay implements it; intake
// and tests depend only on this.
#pragma once

#include "asio/awaitable.hpp"
#include "clock/clock.hpp"
#include "queue/queue.hpp"
#include "queue/spool.hpp"
#include "result/result.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace relaylab::gw {

// What intake gets for a message: its queue id and, with a spool, the record to commit before 250.
struct Accepted {
    MessageId id = 0;
    std::uint64_t commit = 0;  // Spool sequence; 0 without a spool
};
// Or the spool's error: the message is NOT queued (intake answers 451 4.3.0).
using Acceptance = Result<Accepted, SpoolError>;

class Submission {
public:
    virtual ~Submission() = default;
    // A message from intake. With a spool it is written first; intake must commit(acceptance.commit)
    // before it answers 250.
    virtual Acceptance accept(Envelope envelope, std::string content) = 0;
    // Makes the records up to `sequence` durable (one fdatasync for every submission since the
    // last: group commit). The wait may be long (milliseconds); the caller's loop goes on meanwhile.
    virtual boost::asio::awaitable<std::optional<SpoolError>> commit(std::uint64_t sequence) = 0;
    // How long a 250 waits so that submissions arriving meanwhile share one commit (zero: no spool).
    virtual Duration commit_window() const = 0;
};

}  // namespace relaylab::gw
