#include "queue/queue.hpp"

#include <algorithm>
#include <cctype>

namespace relaylab::gw {

std::string destination_of(const std::string& address) {
    auto at = address.rfind('@');
    std::string d = at == std::string::npos ? std::string() : address.substr(at + 1);
    for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!d.empty() && d.back() == '.') d.pop_back();
    return d;
}

DestinationLimits QueueLimits::for_destination(const std::string& domain) const {
    if (auto it = destinations.find(domain); it != destinations.end()) return it->second;
    return {destination_concurrency, max_messages_per_session, max_new_sessions_per_minute};
}

bool QueuedMessage::finished() const {
    return std::all_of(recipients.begin(), recipients.end(), [](const QueuedRecipient& r) {
        return r.state != RecipientState::Waiting && r.state != RecipientState::InFlight;
    });
}

// A recipient starts or stops waiting: the indexes follow it.
void Queue::wait(MessageId id, std::size_t idx, const QueuedRecipient& r, TimePoint arrival) {
    due_.emplace(r.due, id, idx);
    destination(r.domain).due.emplace(r.due, id, idx);
    if (schedule_.delay_warning && r.attempts > 0 && !r.warned) warn_.emplace(arrival + *schedule_.delay_warning, id, idx);
    refresh(r.domain);
}

void Queue::unwait(MessageId id, std::size_t idx, const QueuedRecipient& r, TimePoint arrival) {
    due_.erase({r.due, id, idx});
    if (schedule_.delay_warning) warn_.erase({arrival + *schedule_.delay_warning, id, idx});
    auto it = destinations_.find(r.domain);
    if (it != destinations_.end()) it->second.due.erase({r.due, id, idx});
}

Queue::Destination& Queue::destination(const std::string& domain) {
    auto [it, made] = destinations_.try_emplace(domain);
    if (made) {
        it->second.limits = limits_.for_destination(domain);
        it->second.window = std::max<std::size_t>(1, it->second.limits.concurrency);
    }
    return it->second;
}

// Lists a destination in ready_ at its earliest due time when it has room, work and is not held;
// drops an entry with nothing to remember (no work, its full window, no recent sessions to count).
void Queue::refresh(const std::string& domain) {
    auto it = destinations_.find(domain);
    if (it == destinations_.end()) return;
    Destination& d = it->second;
    if (d.listed) ready_.erase(*d.listed);
    d.listed.reset();
    while (!d.opened.empty() && d.opened.front() + std::chrono::minutes(1) <= now_) d.opened.pop_front();
    if (!d.held && d.busy < d.window && !d.due.empty()) {
        d.listed = *d.due.begin();
        ready_.emplace(*d.listed, &it->first);
    } else if (d.busy == 0 && d.due.empty() && !d.held && d.opened.empty() && d.window >= d.limits.concurrency) {
        destinations_.erase(it);
    }
}

void Queue::hold(const std::string& domain, Destination& d, TimePoint until) {
    if (d.held) {
        if (*d.held >= until) return;
        held_.erase({*d.held, domain});
    }
    d.held = until;
    held_.emplace(until, domain);
    refresh(domain);
}

MessageId Queue::add(Envelope envelope, std::string content, TimePoint now) {
    MessageId id = next_id_++;
    QueuedMessage m;
    m.id = id;
    m.arrival = now;
    m.content = std::move(content);
    for (auto& r : envelope.recipients) {
        QueuedRecipient q;
        q.address = r;
        q.domain = destination_of(r);
        q.due = now;
        m.recipients.push_back(std::move(q));
    }
    m.envelope = std::move(envelope);
    auto& stored = messages_.emplace(id, std::move(m)).first->second;
    for (std::size_t i = 0; i < stored.recipients.size(); ++i) wait(id, i, stored.recipients[i], now);
    return id;
}

std::vector<DeliveryJob> Queue::take_ready(TimePoint now, std::size_t max_jobs, const ParkedSessions& parked) {
    now_ = std::max(now_, now);
    while (!held_.empty() && held_.begin()->first <= now) {
        const std::string domain = held_.begin()->second;
        held_.erase(held_.begin());
        if (auto it = destinations_.find(domain); it != destinations_.end()) {
            it->second.held.reset();
            refresh(domain);
        }
    }
    std::vector<DeliveryJob> jobs;
    std::map<std::string, std::size_t> reusing;  // parked sessions this batch's jobs will take
    // Only destinations with room are listed, earliest due first: no walk over busy ones.
    while (jobs.size() < max_jobs && !ready_.empty() && std::get<0>(ready_.begin()->first) <= now) {
        std::string domain = *ready_.begin()->second;
        Destination& d = destinations_.at(domain);
        if (d.limits.new_sessions_per_minute > 0) {
            // A job that finds no parked session opens a new one: at most so many a minute.
            std::size_t& taking = reusing[domain];
            if (parked && parked(domain) > taking) {
                ++taking;
            } else {
                while (!d.opened.empty() && d.opened.front() + std::chrono::minutes(1) <= now) d.opened.pop_front();
                if (d.opened.size() >= d.limits.new_sessions_per_minute) {
                    hold(domain, d, d.opened.front() + std::chrono::minutes(1));
                    continue;
                }
                d.opened.push_back(now);
            }
        }
        MessageId id = std::get<1>(ready_.begin()->first);
        auto& msg = messages_.at(id);
        // Gather this message's other due recipients for the same destination into one job.
        DeliveryJob job{id, domain, {}};
        for (std::size_t j = 0; j < msg.recipients.size() && job.recipients.size() < limits_.recipients_per_job; ++j) {
            auto& r = msg.recipients[j];
            if (r.state != RecipientState::Waiting || r.domain != domain || r.due > now) continue;
            unwait(id, j, r, msg.arrival);
            r.state = RecipientState::InFlight;
            job.recipients.push_back(j);
        }
        ++d.busy;
        refresh(domain);
        jobs.push_back(std::move(job));
    }
    return jobs;
}

std::optional<TimePoint> Queue::next_due() const {
    if (due_.empty()) return std::nullopt;
    return std::get<0>(*due_.begin());
}

std::optional<TimePoint> Queue::next_release() const {
    if (held_.empty()) return std::nullopt;
    return held_.begin()->first;
}

WindowChange Queue::session_refused(const std::string& domain, TimePoint now, Duration hold_for) {
    now_ = std::max(now_, now);
    Destination& d = destination(domain);
    WindowChange c{domain, d.window, d.window, d.limits.concurrency, std::nullopt};
    d.delivered = 0;
    if (d.busy <= 1) {
        // Refused with nothing else in flight: Postfix's dead destination, until the retry time.
        d.window = 1;
        hold(domain, d, now + hold_for);
        c.held_until = d.held;
    } else {
        d.window = std::min(d.window, d.busy - 1);
    }
    c.to = d.window;
    refresh(domain);
    return c;
}

std::optional<WindowChange> Queue::session_delivered(const std::string& domain) {
    auto it = destinations_.find(domain);
    if (it == destinations_.end()) return std::nullopt;
    Destination& d = it->second;
    if (d.window >= d.limits.concurrency || ++d.delivered < d.window) return std::nullopt;
    WindowChange c{domain, d.window, d.window + 1, d.limits.concurrency, std::nullopt};
    ++d.window;
    d.delivered = 0;
    refresh(domain);
    return c;
}

std::size_t Queue::window(const std::string& domain) const {
    auto it = destinations_.find(domain);
    return it == destinations_.end() ? std::max<std::size_t>(1, limits_.for_destination(domain).concurrency)
                                     : it->second.window;
}

void Queue::finish_job(const DeliveryJob& job) {
    auto it = destinations_.find(job.domain);
    if (it == destinations_.end() || it->second.busy == 0) return;
    --it->second.busy;
    refresh(job.domain);
}

Disposition Queue::record(MessageId id, std::size_t rcpt, AttemptVerdict verdict, TimePoint now) {
    now_ = std::max(now_, now);
    auto& msg = messages_.at(id);
    auto& r = msg.recipients.at(rcpt);
    if (verdict == AttemptVerdict::Refused && now < msg.arrival + schedule_.lifetime) {
        // Not an attempt: waits again at once, for a place in the destination's lowered window.
        r.state = RecipientState::Waiting;
        r.due = now;
        wait(id, rcpt, r, msg.arrival);
        return Disposition::Deferred;
    }
    ++r.attempts;
    if (verdict == AttemptVerdict::Delivered) {
        r.state = RecipientState::Delivered;
        return Disposition::Delivered;
    }
    if (verdict == AttemptVerdict::FailedPermanently) {
        r.state = RecipientState::Bounced;
        return Disposition::Bounced;
    }
    auto next = schedule_.next_attempt(msg.arrival, r.attempts, now);
    if (!next) {
        r.state = RecipientState::Expired;
        return Disposition::Expired;
    }
    r.state = RecipientState::Waiting;
    r.due = *next;
    wait(id, rcpt, r, msg.arrival);
    return Disposition::Deferred;
}

std::vector<std::pair<MessageId, std::size_t>> Queue::take_delay_warnings(TimePoint now) {
    std::vector<std::pair<MessageId, std::size_t>> out;
    while (!warn_.empty() && std::get<0>(*warn_.begin()) <= now) {
        auto [at, id, idx] = *warn_.begin();
        warn_.erase(warn_.begin());
        messages_.at(id).recipients.at(idx).warned = true;
        out.emplace_back(id, idx);
    }
    return out;
}

std::optional<TimePoint> Queue::next_warning() const {
    if (warn_.empty()) return std::nullopt;
    return std::get<0>(*warn_.begin());
}

const QueuedMessage* Queue::find(MessageId id) const {
    auto it = messages_.find(id);
    return it == messages_.end() ? nullptr : &it->second;
}

bool Queue::forget_if_finished(MessageId id) {
    auto it = messages_.find(id);
    if (it == messages_.end() || !it->second.finished()) return false;
    messages_.erase(it);
    return true;
}

void Queue::restore(QueuedMessage message, MessageId highest_seen) {
    MessageId id = message.id;
    next_id_ = std::max({next_id_, highest_seen + 1, id + 1});
    for (std::size_t i = 0; i < message.recipients.size(); ++i) {
        auto& r = message.recipients[i];
        if (r.state == RecipientState::InFlight) r.state = RecipientState::Waiting;
    }
    if (auto old = messages_.find(id); old != messages_.end()) {
        for (std::size_t i = 0; i < old->second.recipients.size(); ++i)
            if (old->second.recipients[i].state == RecipientState::Waiting) unwait(id, i, old->second.recipients[i], old->second.arrival);
    }
    auto& stored = messages_.insert_or_assign(id, std::move(message)).first->second;
    for (std::size_t i = 0; i < stored.recipients.size(); ++i)
        if (stored.recipients[i].state == RecipientState::Waiting) wait(id, i, stored.recipients[i], stored.arrival);
}

bool Queue::remove(MessageId id) {
    auto it = messages_.find(id);
    if (it == messages_.end()) return false;
    for (const auto& r : it->second.recipients)
        if (r.state == RecipientState::InFlight) return false;
    std::vector<std::string> touched;
    for (std::size_t i = 0; i < it->second.recipients.size(); ++i) {
        const auto& r = it->second.recipients[i];
        if (r.state != RecipientState::Waiting) continue;
        unwait(id, i, r, it->second.arrival);
        touched.push_back(r.domain);
    }
    messages_.erase(it);
    for (const auto& d : touched) refresh(d);
    return true;
}

std::size_t Queue::make_due(MessageId id, TimePoint now) {
    auto it = messages_.find(id);
    if (it == messages_.end()) return 0;
    QueuedMessage& m = it->second;
    std::size_t waiting = 0;
    for (std::size_t i = 0; i < m.recipients.size(); ++i) {
        auto& r = m.recipients[i];
        if (r.state != RecipientState::Waiting) continue;
        ++waiting;
        if (r.due <= now) continue;
        unwait(id, i, r, m.arrival);
        r.due = now;
        wait(id, i, r, m.arrival);
    }
    return waiting;
}

std::vector<MessageId> Queue::ids() const {
    std::vector<MessageId> out;
    out.reserve(messages_.size());
    for (const auto& [id, m] : messages_) out.push_back(id);
    return out;
}

std::size_t Queue::in_flight(const std::string& domain) const {
    auto it = destinations_.find(domain);
    return it == destinations_.end() ? 0 : it->second.busy;
}

}  // namespace relaylab::gw
