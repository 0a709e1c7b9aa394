// Postfix's postsuper and postqueue for the live queue: an operator's edits (`relaylab queue` over
// the control socket), each recorded in the spool and made durable before it takes effect, so that
// a restart sees it. Call on the loop that runs the relay.
#pragma once

#include "queue/queue.hpp"
#include "result/result.hpp"

#include <cstddef>

namespace relaylab::gw {

class Relay;

// An operator's edit of the live queue (`relaylab queue` over the control socket), as typed values.
enum class QueueEditError {
    NoSuchMessage,
    InFlight,    // a recipient is being delivered: deleting now could not stop it
    SpoolWrite,  // the record could not be written or made durable: nothing changed
};

// The value: recipients made due (retry), messages removed (delete).
using QueueEdit = Result<std::size_t, QueueEditError>;

class QueueAdmin {
public:
    explicit QueueAdmin(Relay& relay) : relay_(relay) {}

    // postqueue -i ID: every waiting recipient of the message is due now (an `R` record); the
    // scheduler is woken. Recipients in flight keep their attempt. affected: recipients made due.
    QueueEdit retry_now(MessageId id);
    // postqueue -f: the same for every queued message. affected: recipients made due.
    QueueEdit retry_all_now();
    // postsuper -d ID: the message leaves the queue (an `X` record: recovery does not bring it
    // back), without a notice to the handset. Refused while a recipient is in flight.
    QueueEdit remove(MessageId id);

private:
    Relay& relay_;
};

}  // namespace relaylab::gw
