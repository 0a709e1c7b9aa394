#include "delivery/mx_walk.hpp"

#include <algorithm>

namespace relaylab::delivery {

namespace {

// RFC 6531 §3.2: the address needs SMTPUTF8 and this host did not offer it. Final for the attempt,
// as Postfix treats it (dsn=5.6.7, bounced): not a stale session, not a reason to walk the MX list.
bool refused_for_smtputf8(const smtp::RecipientOutcome& o) { return o.net == smtp::NetError::Smtputf8NotOffered; }

// A transaction that the next host might accept: every recipient failed at MAIL with a 4xx or a
// network error before RCPT (Postfix: a 4xx at MAIL tries the next MX host).
bool try_next_after_send(const std::vector<smtp::RecipientOutcome>& outs) {
    if (outs.empty()) return false;
    return std::all_of(outs.begin(), outs.end(), [](const smtp::RecipientOutcome& o) {
        return !o.delivered() && o.stage == smtp::Stage::Mail && !o.permanent() && !refused_for_smtputf8(o);
    });
}

// A parked session the remote closed meanwhile fails at MAIL before any reply.
bool stale(const std::vector<smtp::RecipientOutcome>& outs) {
    return !outs.empty() && std::all_of(outs.begin(), outs.end(), [](const smtp::RecipientOutcome& o) {
        return o.stage == smtp::Stage::Mail && !o.reply && !refused_for_smtputf8(o);
    });
}

smtp::RecipientOutcome session_failure(const smtp::SessionStatus& st, const std::string& rcpt) {
    smtp::RecipientOutcome o;
    o.address = rcpt;
    o.stage = st.stage;
    o.reply = st.reply;
    o.net = st.net;
    o.protocol = st.protocol;
    return o;
}

WalkResult ended(WalkResult::Kind kind, dns::Status status = dns::Status::Error, std::string host = {}) {
    WalkResult r;
    r.kind = kind;
    r.dns = status;
    r.host = std::move(host);
    return r;
}

}  // namespace

// Per address: open, send, release, and at "may" a plain-text open and release after a failed handshake.
std::size_t max_walk_actions(const WalkLimits& limits) { return 3 + 1 + 5 * limits.max_addresses + 1; }

MxWalk::MxWalk(std::vector<std::string> recipients, WalkLimits limits)
    : recipients_(std::move(recipients)), limits_(limits) {}

WalkAction MxWalk::start() {
    if (phase_ != Phase::Start) return finish(ended(WalkResult::Kind::DriverError));
    phase_ = Phase::Taking;
    return {WalkAction::Kind::TakeParked, {}};
}

WalkAction MxWalk::resume(WalkEvent event) {
    if (done()) return {};
    // Each phase waits for exactly one kind of event; anything else is the driver's mistake.
    switch (phase_) {
        case Phase::Taking:
            if (auto* e = std::get_if<ParkedTaken>(&event)) return on_taken(std::move(*e));
            break;
        case Phase::SendingParked:
        case Phase::Sending:
            if (auto* e = std::get_if<Sent>(&event)) return on_sent(std::move(*e));
            break;
        case Phase::ReleasingParked:
        case Phase::Releasing:
            if (std::holds_alternative<Released>(event)) return on_released();
            break;
        case Phase::Resolving:
            if (auto* e = std::get_if<MxResolved>(&event)) return on_resolved(std::move(*e));
            break;
        case Phase::Opening:
            if (auto* e = std::get_if<Opened>(&event)) return on_opened(std::move(*e));
            break;
        case Phase::Start:
        case Phase::Done:
            break;
    }
    return finish(ended(WalkResult::Kind::DriverError));
}

WalkAction MxWalk::on_taken(ParkedTaken e) {
    if (!e.remote) {
        phase_ = Phase::Resolving;
        return {WalkAction::Kind::ResolveMx, {}};
    }
    // A parked session skips DNS and the handshake.
    remote_ = std::move(*e.remote);
    opened_ = smtp::SessionStatus{};
    phase_ = Phase::SendingParked;
    return {WalkAction::Kind::Send, {}};
}

WalkAction MxWalk::on_sent(Sent e) {
    if (phase_ == Phase::SendingParked) {
        move_on_ = stale(e.outcomes);
        current_ = transaction(std::move(e.outcomes), opened_);
        current_.reused = true;
        phase_ = Phase::ReleasingParked;
    } else {
        move_on_ = try_next_after_send(e.outcomes);
        current_ = transaction(std::move(e.outcomes), opened_);
        phase_ = Phase::Releasing;
    }
    return {WalkAction::Kind::Release, {}};
}

WalkAction MxWalk::on_released() {
    if (!move_on_) return finish(std::move(current_));
    if (plain_next_) {
        plain_next_ = false;
        plain_tried_ = true;
        last_ = std::move(current_);
        phase_ = Phase::Opening;
        return {WalkAction::Kind::Open, remote_, smtp::TlsLevel::None};
    }
    if (phase_ == Phase::ReleasingParked) {  // stale: start afresh
        phase_ = Phase::Resolving;
        return {WalkAction::Kind::ResolveMx, {}};
    }
    last_ = std::move(current_);
    return next_address();
}

WalkAction MxWalk::on_resolved(MxResolved e) {
    mx_ = std::move(e.mx);
    if (mx_.status != dns::Status::Found)
        return finish(ended(WalkResult::Kind::DomainDns, mx_.status));
    return next_address();
}

WalkAction MxWalk::on_opened(Opened e) {
    opened_ = std::move(e.status);
    if (opened_.ok) {
        phase_ = Phase::Sending;
        return {WalkAction::Kind::Send, {}};
    }
    // Ended before any transaction could start: release it, then the next address (or, after a failed
    // handshake at "may", the same address in plain text).
    plain_next_ = limits_.tls == smtp::TlsLevel::May && !plain_tried_ && opened_.stage == smtp::Stage::StartTls &&
                  opened_.net == smtp::NetError::TlsHandshake;
    move_on_ = true;
    current_ = transaction({}, opened_);
    phase_ = Phase::Releasing;
    return {WalkAction::Kind::Release, {}};
}

WalkAction MxWalk::next_address() {
    while (host_ < mx_.hosts.size()) {
        const dns::MxHost& host = mx_.hosts[host_];
        if (host.addresses.empty()) {
            if (!last_) last_ = ended(WalkResult::Kind::HostDns, host.address_status, host.name);
            ++host_;
            address_ = 0;
            continue;
        }
        if (address_ < host.addresses.size()) {
            if (tried_++ >= limits_.max_addresses) break;
            remote_ = smtp::Remote{host.name, host.addresses[address_++], limits_.mx_port};
            plain_tried_ = false;
            phase_ = Phase::Opening;
            return {WalkAction::Kind::Open, remote_, limits_.tls};
        }
        ++host_;
        address_ = 0;
        if (tried_ >= limits_.max_addresses) break;
    }
    if (last_) return finish(std::move(*last_));
    return finish(ended(WalkResult::Kind::NoAddressTried));
}

WalkAction MxWalk::finish(WalkResult r) {
    result_ = std::move(r);
    phase_ = Phase::Done;
    return {};
}

WalkResult MxWalk::transaction(std::vector<smtp::RecipientOutcome> outs, const smtp::SessionStatus& st) const {
    WalkResult r;
    r.kind = WalkResult::Kind::Transaction;
    r.remote = remote_;
    for (std::size_t i = 0; i < recipients_.size(); ++i)
        r.outcomes.push_back(i < outs.size() ? std::move(outs[i]) : session_failure(st, recipients_[i]));
    return r;
}

}  // namespace relaylab::delivery
