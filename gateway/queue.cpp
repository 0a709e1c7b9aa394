#include "gateway/queue.hpp"

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

bool QueuedMessage::finished() const {
    return std::all_of(recipients.begin(), recipients.end(), [](const QueuedRecipient& r) {
        return r.state != RecipientState::Waiting && r.state != RecipientState::InFlight;
    });
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
    for (std::size_t i = 0; i < m.recipients.size(); ++i) due_.emplace(now, id, i);
    messages_.emplace(id, std::move(m));
    return id;
}

std::vector<DeliveryJob> Queue::take_ready(TimePoint now, std::size_t max_jobs) {
    std::vector<DeliveryJob> jobs;
    for (auto it = due_.begin(); it != due_.end() && jobs.size() < max_jobs;) {
        auto [when, id, idx] = *it;
        if (when > now) break;
        auto& msg = messages_.at(id);
        const std::string& domain = msg.recipients[idx].domain;
        if (busy_[domain] >= limits_.destination_concurrency) {
            ++it;
            continue;
        }
        // Gather this message's other due recipients for the same destination into one job.
        DeliveryJob job{id, domain, {}};
        for (std::size_t j = 0; j < msg.recipients.size() && job.recipients.size() < limits_.recipients_per_job; ++j) {
            auto& r = msg.recipients[j];
            if (r.state != RecipientState::Waiting || r.domain != domain || r.due > now) continue;
            due_.erase({r.due, id, j});
            r.state = RecipientState::InFlight;
            job.recipients.push_back(j);
        }
        ++busy_[domain];
        jobs.push_back(std::move(job));
        it = due_.lower_bound({when, id, 0});
    }
    return jobs;
}

std::optional<TimePoint> Queue::next_due() const {
    if (due_.empty()) return std::nullopt;
    return std::get<0>(*due_.begin());
}

void Queue::finish_job(const DeliveryJob& job) {
    auto it = busy_.find(job.domain);
    if (it != busy_.end() && it->second > 0 && --it->second == 0) busy_.erase(it);
}

Disposition Queue::record(MessageId id, std::size_t rcpt, bool delivered, bool permanent, TimePoint now) {
    auto& msg = messages_.at(id);
    auto& r = msg.recipients.at(rcpt);
    ++r.attempts;
    if (delivered) {
        r.state = RecipientState::Delivered;
        return Disposition::Delivered;
    }
    if (permanent) {
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
    due_.emplace(r.due, id, rcpt);
    return Disposition::Deferred;
}

std::vector<std::pair<MessageId, std::size_t>> Queue::take_delay_warnings(TimePoint now) {
    std::vector<std::pair<MessageId, std::size_t>> out;
    if (!schedule_.delay_warning) return out;
    for (auto& [id, msg] : messages_) {
        if (now - msg.arrival < *schedule_.delay_warning) continue;
        for (std::size_t i = 0; i < msg.recipients.size(); ++i) {
            auto& r = msg.recipients[i];
            if (r.warned || r.state != RecipientState::Waiting || r.attempts == 0) continue;
            r.warned = true;
            out.emplace_back(id, i);
        }
    }
    return out;
}

std::optional<TimePoint> Queue::next_warning() const {
    if (!schedule_.delay_warning) return std::nullopt;
    std::optional<TimePoint> best;
    for (const auto& [id, msg] : messages_) {
        for (const auto& r : msg.recipients) {
            if (r.warned || r.state != RecipientState::Waiting || r.attempts == 0) continue;
            TimePoint at = msg.arrival + *schedule_.delay_warning;
            if (!best || at < *best) best = at;
        }
    }
    return best;
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
        if (r.state == RecipientState::Waiting) due_.emplace(r.due, id, i);
    }
    messages_.insert_or_assign(id, std::move(message));
}

bool Queue::remove(MessageId id) {
    auto it = messages_.find(id);
    if (it == messages_.end()) return false;
    for (const auto& r : it->second.recipients)
        if (r.state == RecipientState::InFlight) return false;
    for (std::size_t i = 0; i < it->second.recipients.size(); ++i) due_.erase({it->second.recipients[i].due, id, i});
    messages_.erase(it);
    return true;
}

std::size_t Queue::in_flight(const std::string& domain) const {
    auto it = busy_.find(domain);
    return it == busy_.end() ? 0 : it->second;
}

}  // namespace relaylab::gw
