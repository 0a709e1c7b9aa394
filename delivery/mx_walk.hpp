// The walk over a destination's mail exchangers for one message, as a sans-I/O algorithm (like
// smtpclient's ClientSession): start() and resume(event) return the next action — take a parked
// session, send on it, resolve MX, open a session to one address, release the session — and the
// walk ends with a typed result. No socket, no timer, no clock, no session cache: the driver
// (delivery/delivery.cpp) owns those and only does what the walk asks.
//
// The rules (RFC 5321 §5.1, and Postfix's for when to move on):
//  - a parked session to the destination is tried first; one that went stale while parked (every
//    recipient failed at MAIL with no reply) is released and the walk starts afresh with DNS;
//  - the hosts in the order the resolver gave, each address in turn, at most `max_addresses`;
//  - a connection failure or a refused greeting/EHLO/HELO (open fails), or a transaction whose every
//    recipient failed at MAIL with a 4xx or no reply, tries the next address;
//  - anything else (delivered, a 5xx at MAIL, any answer at RCPT/DATA/dot) is final;
//  - at TLS level "may", a TLS handshake that failed is retried once on the same address in plain
//    text, on a new connection (as Postfix does), before the walk moves on;
//  - when every address failed: the last failed session; a host without addresses counts only when
//    no session was tried before it; no address tried at all is a local error.
#pragma once

#include "resolver/result.hpp"
#include "smtpclient/client_session.hpp"
#include "smtpclient/outcome.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace relaylab::delivery {

struct WalkLimits {
    unsigned short mx_port = 25;
    std::size_t max_addresses = 5;  // Postfix smtp_mx_address_limit
    smtp::TlsLevel tls = smtp::TlsLevel::None;  // the destination's STARTTLS level
};

struct WalkAction {
    enum class Kind {
        TakeParked,  // take a parked session to the destination, if any → ParkedTaken
        Send,        // run the transaction on the session in hand → Sent
        Release,     // hand the session in hand back (park it if usable, else QUIT) → Released
        ResolveMx,   // resolve the destination's MX hosts → MxResolved
        Open,        // open a new session to `remote` (connect, greeting, EHLO) → Opened
        Done,        // result() is final
    };
    Kind kind = Kind::Done;
    smtp::Remote remote;  // Open
    smtp::TlsLevel tls = smtp::TlsLevel::None;  // Open: the level for this connection
};

// What the driver saw, one per action.
struct ParkedTaken {
    std::optional<smtp::Remote> remote;  // the parked session's remote; nullopt when none was parked
};
struct Sent {
    std::vector<smtp::RecipientOutcome> outcomes;
};
struct Released {};
struct MxResolved {
    dns::MxResult mx;
};
struct Opened {
    smtp::SessionStatus status;
};
using WalkEvent = std::variant<ParkedTaken, Sent, Released, MxResolved, Opened>;

struct WalkResult {
    enum class Kind {
        Transaction,  // one host's truth: `outcomes` (one per recipient, in order) from `remote`
        DomainDns,    // the destination's MX resolution failed: `dns`
        HostDns,      // the only failure was a host whose addresses could not be found: `host`, `dns`
        NoAddressTried,  // nothing was tried (address limit 0, or no host at all)
        DriverError,     // the driver answered an action with the wrong event
    };
    Kind kind = Kind::NoAddressTried;
    std::vector<smtp::RecipientOutcome> outcomes;
    smtp::Remote remote;
    bool reused = false;  // Transaction on a parked session
    dns::Status dns = dns::Status::Error;
    std::string host;
};

// The most actions one walk can ask for, Done included: a parked session (take, send, release),
// MX, then open, send and release per address tried.
std::size_t max_walk_actions(const WalkLimits& limits);

class MxWalk {
public:
    // `recipients` in the form sent (one outcome per recipient comes back, in this order).
    MxWalk(std::vector<std::string> recipients, WalkLimits limits);

    WalkAction start();
    // The event for the last action. Once Done, further calls change nothing.
    WalkAction resume(WalkEvent event);

    bool done() const { return phase_ == Phase::Done; }
    const WalkResult& result() const { return result_; }
    WalkResult take_result() { return std::move(result_); }

private:
    enum class Phase { Start, Taking, SendingParked, ReleasingParked, Resolving, Opening, Sending, Releasing, Done };

    WalkAction on_taken(ParkedTaken e);
    WalkAction on_sent(Sent e);
    WalkAction on_released();
    WalkAction on_resolved(MxResolved e);
    WalkAction on_opened(Opened e);
    WalkAction next_address();
    WalkAction finish(WalkResult r);
    WalkResult transaction(std::vector<smtp::RecipientOutcome> outs, const smtp::SessionStatus& st) const;

    std::vector<std::string> recipients_;
    WalkLimits limits_;
    Phase phase_ = Phase::Start;
    dns::MxResult mx_;
    std::size_t host_ = 0;     // index into mx_.hosts
    std::size_t address_ = 0;  // index into the host's addresses
    std::size_t tried_ = 0;    // addresses counted against the limit
    smtp::Remote remote_;      // of the session in hand
    smtp::SessionStatus opened_;
    bool move_on_ = false;     // after releasing: try the next address (or, parked, start afresh)
    bool plain_next_ = false;  // after releasing: the same address again in plain text ("may")
    bool plain_tried_ = false; // the current address has had its plain-text retry
    WalkResult current_;       // the session in hand's result, kept until it is released
    std::optional<WalkResult> last_;  // the failure reported if every address fails
    WalkResult result_;
};

}  // namespace relaylab::delivery
