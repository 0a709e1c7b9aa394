#include "relay/relay.hpp"

#include "asio/awaitable.hpp"
#include "bounce/maildir.hpp"
#include "bounce/notice.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <exception>
#include <iostream>

namespace relaylab::gw {

namespace asio = boost::asio;

std::string header_section(std::string_view message) {
    for (std::string_view sep : {"\r\n\r\n", "\n\n"}) {
        auto p = message.find(sep);
        if (p != std::string_view::npos) return std::string(message.substr(0, p + sep.size() / 2));
    }
    return std::string(message);
}

Relay::Relay(asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, RelaySettings settings, Policy policy,
             std::mt19937_64& rng, EventSink* events)
    : ex_(ex),
      clock_(clock),
      settings_(std::move(settings)),
      policy_(std::move(policy)),
      events_(events),
      queue_(settings_.retry, settings_.limits),
      delivery_(ex, clock, resolver, settings_.delivery, rng, events),
      wake_(ex, clock) {}

void Relay::start() {
    if (running_) return;
    running_ = true;
    asio::co_spawn(ex_, schedule_loop(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);  // a bug: let the owner's run() see it
    });
}

void Relay::stop() {
    stopping_ = true;
    wake();
}

void Relay::wake() { wake_.cancel(); }

std::size_t Relay::recover(Spool& spool) {
    spool_ = &spool;
    const SpoolReplay& r = spool.recovered();
    for (const auto& [id, s] : r.live) {
        queue_.restore(s.message, r.max_id);
        interrupted_ += s.interrupted;
    }
    queue_.restore_next_id(r.max_id);
    wake();
    return r.live.size();
}

Duration Relay::commit_window() const { return spool_ ? spool_->limits().commit_window : Duration{}; }

Acceptance Relay::accept(Envelope envelope, std::string content) {
    Acceptance a;
    MessageAccepted accepted{0, envelope.sender, envelope.recipients, content.size()};
    auto id = queue_.add(std::move(envelope), std::move(content), clock_.now());
    if (spool_) {
        auto written = spool_->append_message(*queue_.find(id));
        if (written.error) {
            queue_.remove(id);
            a.error = written.error;
            return a;
        }
        a.commit = written.sequence;
    }
    a.id = accepted.id = id;
    if (events_) events_->on_event(clock_.now(), accepted);
    wake();
    return a;
}

std::optional<SpoolError> Relay::commit(std::uint64_t sequence) {
    if (!spool_ || sequence == 0) return std::nullopt;
    return spool_->commit(sequence);
}

MessageId Relay::submit(Envelope envelope, std::string content) {
    auto a = accept(std::move(envelope), std::move(content));
    if (a.ok() && a.commit) {
        if (commit(a.commit)) return 0;
    }
    return a.id;
}

void Relay::record(MessageId id, SpoolEvent e) {
    if (!spool_) return;
    if (spool_->append_event(id, e).error) ++spool_errors_;
}

// An operator's edit is acknowledged only once it is on disk: one fdatasync, as the offline edit.
std::optional<QueueEditError> Relay::record_durably(MessageId id, SpoolEvent e) {
    if (!spool_) return std::nullopt;
    auto a = spool_->append_event(id, e);
    if (a.error || spool_->commit(a.sequence)) {
        ++spool_errors_;
        return QueueEditError::SpoolWrite;
    }
    return std::nullopt;
}

namespace {

std::size_t waiting_recipients(const QueuedMessage& m) {
    return static_cast<std::size_t>(std::count_if(m.recipients.begin(), m.recipients.end(), [](const QueuedRecipient& r) {
        return r.state == RecipientState::Waiting;
    }));
}

}  // namespace

QueueEdit Relay::retry_now(MessageId id) {
    QueueEdit edit;
    const QueuedMessage* m = queue_.find(id);
    if (!m) {
        edit.error = QueueEditError::NoSuchMessage;
        return edit;
    }
    if (waiting_recipients(*m) == 0) return edit;  // all in flight: nothing to hurry
    TimePoint now = clock_.now();
    if ((edit.error = record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}}))) return edit;
    edit.affected = queue_.make_due(id, now);
    wake();
    return edit;
}

QueueEdit Relay::retry_all_now() {
    QueueEdit edit;
    TimePoint now = clock_.now();
    for (MessageId id : queue_.ids()) {
        const QueuedMessage* m = queue_.find(id);
        if (!m || waiting_recipients(*m) == 0) continue;
        if ((edit.error = record_durably(id, SpoolEvent{SpoolEventKind::RetryForced, now, 0, 0, {}}))) break;
        edit.affected += queue_.make_due(id, now);
    }
    wake();
    return edit;
}

QueueEdit Relay::remove(MessageId id) {
    QueueEdit edit;
    const QueuedMessage* m = queue_.find(id);
    if (!m) {
        edit.error = QueueEditError::NoSuchMessage;
        return edit;
    }
    for (const auto& r : m->recipients)
        if (r.state == RecipientState::InFlight) {
            edit.error = QueueEditError::InFlight;
            return edit;
        }
    if ((edit.error = record_durably(id, SpoolEvent{SpoolEventKind::Deleted, clock_.now(), 0, 0, {}}))) return edit;
    queue_.remove(id);
    last_temporary_.erase(last_temporary_.lower_bound({id, 0}), last_temporary_.upper_bound({id, SIZE_MAX}));
    edit.affected = 1;
    wake();  // the scheduler's next wake-up may have been this message's
    return edit;
}

asio::awaitable<void> Relay::schedule_loop() {
    while (!stopping_) {
        TimePoint now = clock_.now();
        std::size_t room = settings_.limits.max_sessions > in_flight_ ? settings_.limits.max_sessions - in_flight_ : 0;
        for (auto& job : queue_.take_ready(now, room)) {
            ++in_flight_;
            asio::co_spawn(ex_, run_job(std::move(job)), [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
        }
        for (auto [id, idx] : queue_.take_delay_warnings(now)) {
            const QueuedMessage* msg = queue_.find(id);
            auto it = last_temporary_.find({id, idx});
            if (!msg || it == last_temporary_.end()) continue;
            auto until = msg->arrival + settings_.retry.lifetime;
            write_notice(*msg, {classified(it->second)}, "delay", until, SpoolEventKind::DelayNotice, {idx});
        }
        retry_notices(now);
        std::optional<TimePoint> next = queue_.next_due();
        if (auto w = queue_.next_warning(); w && (!next || *w < *next)) next = w;
        if (auto n = next_notice_due(); n && (!next || *n < *next)) next = n;
        // Work already due that could not start waits for a running job, whose end wakes us.
        wake_.expires_at(next && *next > now ? *next : TimePoint::max());
        boost::system::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Relay::run_job(DeliveryJob job) {
    const QueuedMessage* msg = queue_.find(job.message);
    unsigned attempt = msg ? msg->recipients.at(job.recipients.front()).attempts + 1 : 1;
    // Recorded so that a crash mid-attempt is known at recovery as a possible duplicate.
    for (auto idx : job.recipients) record(job.message, SpoolEvent{SpoolEventKind::AttemptStarted, clock_.now(), idx, 0, {}});
    std::vector<DeliveryOutcome> outcomes;
    if (msg) outcomes = co_await delivery_.attempt(*msg, job, attempt);
    settle(job, std::move(outcomes));
    --in_flight_;
    queue_.finish_job(job);
    if (queue_.forget_if_finished(job.message)) {
        record(job.message, SpoolEvent{SpoolEventKind::Finished, clock_.now(), 0, 0, {}});
        if (spool_ && spool_->wants_compaction() && spool_->compact()) ++spool_errors_;
    }
    wake();
}

void Relay::settle(const DeliveryJob& job, std::vector<DeliveryOutcome> outcomes) {
    const QueuedMessage* msg = queue_.find(job.message);
    if (!msg) return;
    TimePoint now = clock_.now();
    std::vector<ClassifiedOutcome> failed;
    std::vector<std::size_t> failed_indices;
    std::vector<SpoolEvent> changes;  // recorded after the notices: a crash between re-sends, never loses
    for (std::size_t i = 0; i < job.recipients.size() && i < outcomes.size(); ++i) {
        std::size_t idx = job.recipients[i];
        ClassifiedOutcome c = classified(outcomes[i]);
        Disposition d = queue_.record(job.message, idx, c.outcome.delivered(), c.classification.permanent, now);
        std::optional<TimePoint> next;
        if (d == Disposition::Deferred) {
            next = msg->recipients[idx].due;
            last_temporary_.insert_or_assign({job.message, idx}, c.outcome);
        } else if (d == Disposition::Expired) {
            c = classified(DeliveryOutcome::expired(c.outcome, now));
        }
        if (d != Disposition::Deferred) last_temporary_.erase({job.message, idx});
        if (events_) events_->on_event(now, AttemptResult{job.message, c, d, next, now - msg->arrival});
        unsigned attempts = msg->recipients[idx].attempts;
        SpoolEventKind kind = d == Disposition::Delivered ? SpoolEventKind::Delivered
                              : d == Disposition::Bounced ? SpoolEventKind::Bounced
                              : d == Disposition::Expired ? SpoolEventKind::Expired
                                                          : SpoolEventKind::Deferred;
        changes.push_back(SpoolEvent{kind, now, idx, attempts, next.value_or(TimePoint{})});
        if (d == Disposition::Bounced || d == Disposition::Expired) {
            failed.push_back(std::move(c));
            failed_indices.push_back(idx);
        }
    }
    // The notices first: a crash before the B/E records sends them again, never zero times. Their
    // N records follow the B/E ones, once each notice is on disk.
    std::vector<SpoolEvent> notice_records;
    if (!failed.empty()) write_notice(*msg, failed, "failure", std::nullopt, SpoolEventKind::FailureNotice, failed_indices, &notice_records);
    for (const auto& e : changes) record(job.message, e);
    for (const auto& e : notice_records) record(job.message, e);
}

void Relay::write_notice(const QueuedMessage& msg, const std::vector<ClassifiedOutcome>& failed, const char* kind,
                         std::optional<TimePoint> retry_until, SpoolEventKind record_kind,
                         const std::vector<std::size_t>& indices, std::vector<SpoolEvent>* later) {
    const std::string& handset = msg.envelope.sender;
    if (handset.empty() || failed.empty()) return;  // the null sender gets no notice (RFC 5321 §4.5.5)
    TimePoint now = clock_.now();
    // One notice per failed recipient: the human part speaks of one failure, as a phone shows it.
    for (std::size_t i = 0; i < failed.size(); ++i) {
        const auto& f = failed[i];
        auto words = render(policy_, f, settings_.language);
        HandsetNotice n;
        n.from_address = "MAILER-DAEMON@" + settings_.hostname;
        n.to_address = handset;
        n.date = now;
        n.sequence = ++notice_seq_;
        n.hostname = settings_.hostname;
        n.subject = words.subject;
        n.body = words.body;
        n.charset = settings_.charset;
        n.original_headers = header_section(msg.content);
        n.reporting_mta = settings_.hostname;
        n.arrival_date = msg.arrival;
        NoticeRecipient r;
        r.final_recipient = f.outcome.recipient;
        r.action = retry_until ? DsnAction::Delayed : DsnAction::Failed;
        r.status = f.classification.status.str();
        if (f.outcome.kind == OutcomeKind::Smtp || (f.outcome.last_temporary && f.outcome.last_temporary->kind == OutcomeKind::Smtp)) {
            const auto& o = f.outcome.kind == OutcomeKind::Smtp ? f.outcome : *f.outcome.last_temporary;
            r.remote_mta = o.remote.host;
            r.remote_mta_ip = o.remote.ip;
        }
        r.diagnostic_code = f.classification.diagnostic_code;
        r.last_attempt = f.outcome.at;
        r.will_retry_until = retry_until;
        n.recipients.push_back(std::move(r));
        PendingNotice p;
        p.id = msg.id;
        p.handset = handset;
        p.kind = kind;
        p.bytes = render_notice(n).bytes;
        p.sequence = notice_seq_;
        p.subject = words.subject;
        p.body = words.body;
        p.claims = std::string(to_string(words.claims));
        if (i < indices.size() && indices[i] < msg.recipients.size()) {
            std::size_t idx = indices[i];
            unsigned attempts = record_kind == SpoolEventKind::FailureNotice ? msg.recipients[idx].attempts : 0;
            p.records.push_back(SpoolEvent{record_kind, now, idx, attempts, {}});
        }
        p.backoff = settings_.retry.min_backoff;
        if (!try_notice(p, later)) pending_notices_.push_back(std::move(p));
    }
}

bool Relay::try_notice(PendingNotice& n, std::vector<SpoolEvent>* later) {
    TimePoint now = clock_.now();
    // The time in the name is this try's: a retry never meets the name of an earlier try's leftovers.
    MaildirFileName name{now, n.sequence, settings_.process_id, settings_.hostname};
    auto written = deliver_to_maildir(settings_.mailboxes, n.handset, n.bytes, name);
    if (written.ok()) {
        if (events_) events_->on_event(now, NoticeWritten{n.id, n.handset, n.kind, written.path.string(), n.subject, n.body, n.claims});
        for (auto e : n.records) {
            e.at = now;
            if (later) later->push_back(e);
            else record(n.id, e);
        }
        return true;
    }
    ++notice_errors_;
    ++n.tries;
    n.due = now + n.backoff;
    if (events_) {
        std::string error(to_string(written.error));
        if (written.system_error) error += std::string(": ") + std::strerror(written.system_error);
        events_->on_event(now, NoticeFailed{n.id, n.handset, n.kind, std::move(error), n.tries, n.due});
    }
    n.backoff = std::min(n.backoff * 2, settings_.retry.max_backoff);
    return false;
}

void Relay::retry_notices(TimePoint now) {
    for (auto it = pending_notices_.begin(); it != pending_notices_.end();) {
        if (it->due <= now && try_notice(*it)) it = pending_notices_.erase(it);
        else ++it;
    }
}

std::optional<TimePoint> Relay::next_notice_due() const {
    std::optional<TimePoint> next;
    for (const auto& n : pending_notices_)
        if (!next || n.due < *next) next = n.due;
    return next;
}

}  // namespace relaylab::gw
