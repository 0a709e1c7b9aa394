#include "relay/relay.hpp"

#include "asio/awaitable.hpp"
#include "asio/spawn.hpp"
#include "relay/queue_admin.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <exception>
#include <iostream>

namespace relaylab::gw {

namespace asio = boost::asio;

namespace {

NoticeSettings notice_settings(const RelaySettings& s) {
    NoticeSettings n;
    n.hostname = s.hostname;
    n.language = s.language;
    n.charset = s.charset;
    n.mailboxes = s.mailboxes;
    n.process_id = s.process_id;
    n.min_backoff = s.retry.min_backoff;
    n.max_backoff = s.retry.max_backoff;
    return n;
}

// The delivery agent closes a session at its destination's max_messages_per_session.
DeliveryConfig shaped(DeliveryConfig d, const QueueLimits& limits) {
    d.shape = limits;
    return d;
}

// The work done on the fdatasync thread, as coroutines of their own whose arguments live in their
// frames (a lambda's captures would die with the closure before the coroutine runs).
asio::awaitable<int> sync_on_thread(Spool::SyncTicket ticket) { co_return Spool::run_sync(ticket); }

asio::awaitable<void> compact_on_thread(Spool::CompactionTicket ticket,
                                        std::optional<Result<Spool::CompactedLog, SpoolError>>* out) {
    out->emplace(Spool::compact_log(ticket));
    co_return;
}

}  // namespace

Relay::Relay(asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, RelaySettings settings, Policy policy,
             std::mt19937_64& rng, EventSink* events)
    : Relay(ex, clock,
            std::make_unique<Delivery>(ex, clock, resolver, shaped(settings.delivery, settings.limits), rng, events),
            nullptr, settings, std::move(policy), events) {}

Relay::Relay(asio::any_io_executor ex, Clock& clock, DeliveryAgent& agent, RelaySettings settings, Policy policy,
             EventSink* events)
    : Relay(ex, clock, nullptr, &agent, settings, std::move(policy), events) {}

Relay::Relay(asio::any_io_executor ex, Clock& clock, std::unique_ptr<DeliveryAgent> own, DeliveryAgent* agent,
             const RelaySettings& settings, Policy policy, EventSink* events)
    : ex_(ex),
      clock_(clock),
      settings_(settings),
      events_(events),
      queue_(settings_.retry, settings_.limits),
      own_agent_(std::move(own)),
      agent_(agent ? *agent : *own_agent_),
      notices_(clock, notice_settings(settings_), std::move(policy), events,
               [this](MessageId id, const SpoolEvent& e) { record(id, e); },
               [this](const SpooledNotice& n) {
                   if (spool_ && spool_->append_notice(n).error) ++spool_errors_;
               }),
      admin_(std::make_unique<QueueAdmin>(*this)),
      wake_(ex, clock),
      parked_([this](const std::string& domain) { return agent_.parked_sessions(domain); }) {}

Relay::~Relay() {
    if (sync_thread_) sync_thread_->join();
}

void Relay::start() {
    if (running_) return;
    running_ = true;
    relaylab::spawn(ex_, schedule_loop());
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
    // Notices a stop left pending: tried again at once, in the words they were made with.
    for (const auto& [key, n] : r.notices) notices_.restore(n);
    wake();
    return r.live.size();
}

Duration Relay::commit_window() const { return spool_ ? spool_->limits().commit_window : Duration{}; }

Acceptance Relay::accept(Envelope envelope, std::string content) {
    Accepted a;
    MessageAccepted accepted{0, envelope.sender, envelope.recipients, content.size()};
    auto id = queue_.add(std::move(envelope), std::move(content), clock_.now());
    if (spool_) {
        auto written = spool_->append_message(*queue_.find(id));
        if (written.error) {
            queue_.remove(id);
            return Failure{std::move(*written.error)};
        }
        a.commit = written.sequence;
    }
    a.id = accepted.id = id;
    if (events_) events_->on_event(clock_.now(), accepted);
    wake();
    return a;
}

std::optional<SpoolError> Relay::commit_now(std::uint64_t sequence) {
    if (!spool_ || sequence == 0) return std::nullopt;
    auto error = spool_->commit(sequence);
    if (error) ++spool_errors_;
    return error;
}

asio::awaitable<void> Relay::take_sync_slot() {
    while (syncing_) {
        // The fdatasync (or compaction) on its way may cover what the caller needs: wait for it.
        Timer waiter(ex_, clock_);
        waiter.expires_at(TimePoint::max());
        sync_waiters_.push_back(&waiter);
        boost::system::error_code ec;
        co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    syncing_ = true;
    if (!sync_thread_) sync_thread_ = std::make_unique<asio::thread_pool>(1);
}

void Relay::release_sync_slot() {
    syncing_ = false;
    for (Timer* w : std::exchange(sync_waiters_, {})) w->cancel();
}

asio::awaitable<std::optional<SpoolError>> Relay::commit(std::uint64_t sequence) {
    if (!spool_ || sequence == 0) co_return std::nullopt;
    if (clock_.is_virtual()) co_return commit_now(sequence);
    co_await take_sync_slot();
    if (sequence <= spool_->durable()) {  // the sync (or compaction) before covered it
        release_sync_slot();
        co_return std::nullopt;
    }
    if (spool_->sync_failed()) {
        release_sync_slot();
        co_return spool_->sync_failed();
    }
    const Spool::SyncTicket ticket = spool_->begin_sync();
    const int sync_errno = co_await asio::co_spawn(*sync_thread_, sync_on_thread(ticket), asio::use_awaitable);
    auto error = spool_->end_sync(ticket, sync_errno);
    if (error) ++spool_errors_;
    release_sync_slot();
    co_return error;
}

void Relay::compact_if_due() {
    if (!spool_ || compaction_queued_ || !spool_->wants_compaction()) return;
    if (clock_.is_virtual()) {  // inline, so that a scenario's order of events stays the same
        if (spool_->compact()) ++spool_errors_;
        return;
    }
    compaction_queued_ = true;
    relaylab::spawn(ex_, compact_off_loop());
}

asio::awaitable<void> Relay::compact_off_loop() {
    co_await take_sync_slot();  // after the fdatasync on its way, before the next one
    if (!spool_->wants_compaction()) {  // a failed fdatasync meanwhile stops compaction too
        release_sync_slot();
        compaction_queued_ = false;
        co_return;
    }
    const Spool::CompactionTicket ticket = spool_->begin_compaction();
    std::optional<Result<Spool::CompactedLog, SpoolError>> compacted;
    co_await asio::co_spawn(*sync_thread_, compact_on_thread(ticket, &compacted), asio::use_awaitable);
    // Back on the loop: the records appended meanwhile go to the new file, which replaces the log.
    auto sync = spool_->end_compaction(std::move(*compacted));
    if (sync) {
        const Spool::SyncTicket ticket_of_switch = *sync;
        const int sync_errno = co_await asio::co_spawn(*sync_thread_, sync_on_thread(ticket_of_switch), asio::use_awaitable);
        if (spool_->end_sync(ticket_of_switch, sync_errno)) ++spool_errors_;
    } else {
        ++spool_errors_;
    }
    release_sync_slot();
    compaction_queued_ = false;
}

MessageId Relay::submit(Envelope envelope, std::string content) {
    auto a = accept(std::move(envelope), std::move(content));
    if (!a) return 0;
    if (a->commit && commit_now(a->commit)) return 0;
    return a->id;
}

void Relay::record(MessageId id, const SpoolEvent& e) {
    if (!spool_) return;
    if (spool_->append_event(id, e).error) ++spool_errors_;
}

bool Relay::record_durably(MessageId id, const SpoolEvent& e) {
    if (!spool_) return true;
    auto a = spool_->append_event(id, e);
    if (a.error || spool_->commit(a.sequence)) {
        ++spool_errors_;
        return false;
    }
    return true;
}

void Relay::forget(MessageId id) {
    last_temporary_.erase(last_temporary_.lower_bound({id, 0}), last_temporary_.upper_bound({id, SIZE_MAX}));
}

asio::awaitable<void> Relay::schedule_loop() {
    while (!stopping_) {
        TimePoint now = clock_.now();
        std::size_t room = settings_.limits.max_sessions > in_flight_ ? settings_.limits.max_sessions - in_flight_ : 0;
        for (auto& job : queue_.take_ready(now, room, parked_)) {
            ++in_flight_;
            relaylab::spawn(ex_, run_job(std::move(job)));
        }
        for (auto [id, idx] : queue_.take_delay_warnings(now)) {
            const QueuedMessage* msg = queue_.find(id);
            auto it = last_temporary_.find({id, idx});
            if (!msg || it == last_temporary_.end()) continue;
            auto until = msg->arrival + settings_.retry.lifetime;
            notices_.write(*msg, {classified(it->second)}, {idx}, NoticeKind::Delay, until);
        }
        notices_.retry_due(now);
        std::optional<TimePoint> next = queue_.next_due();
        if (auto w = queue_.next_warning(); w && (!next || *w < *next)) next = w;
        if (auto n = notices_.next_due(); n && (!next || *n < *next)) next = n;
        if (next && *next <= now) next.reset();  // due work that could not start waits for a job's end
        // ... or for its destination's release (new sessions per minute, a suspended destination).
        if (auto r = queue_.next_release(); r && *r > now && (!next || *r < *next)) next = r;
        wake_.expires_at(next ? *next : TimePoint::max());
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
    if (msg) outcomes = co_await agent_.attempt(*msg, job, attempt);
    settle(job, std::move(outcomes));
    --in_flight_;
    queue_.finish_job(job);
    if (queue_.forget_if_finished(job.message)) {
        record(job.message, SpoolEvent{SpoolEventKind::Finished, clock_.now(), 0, 0, {}});
        compact_if_due();
    }
    wake();
}

namespace {

// A session the remote refused for load, not for this message: a 421 before the transaction
// (greeting, EHLO/HELO), or a temporary reply classified too_many_connections or rate_limited, with
// no recipient delivered. Postfix's qmgr takes such a failure as negative concurrency feedback.
bool refused_for_load(const std::vector<ClassifiedOutcome>& outcomes) {
    if (outcomes.empty()) return false;
    for (const auto& c : outcomes)
        if (c.outcome.delivered() || c.classification.permanent) return false;
    const ClassifiedOutcome& c = outcomes.front();
    if (c.outcome.kind != OutcomeKind::Smtp || !c.outcome.smtp.reply) return false;
    const auto stage = c.outcome.smtp.stage;
    if (c.outcome.smtp.reply->code == 421 &&
        (stage == smtp::Stage::Greeting || stage == smtp::Stage::Ehlo || stage == smtp::Stage::Helo))
        return true;
    return c.classification.failure == FailureClass::TooManyConnections ||
           c.classification.failure == FailureClass::RateLimited;
}

}  // namespace

void Relay::settle(const DeliveryJob& job, std::vector<DeliveryOutcome> raw) {
    const QueuedMessage* msg = queue_.find(job.message);
    if (!msg) return;
    TimePoint now = clock_.now();
    std::vector<ClassifiedOutcome> outcomes;
    outcomes.reserve(raw.size());
    for (auto& o : raw) outcomes.push_back(classified(std::move(o)));
    // Concurrency feedback: a refused session lowers the destination's window and its recipients
    // wait again at once, uncounted; refused alone, the destination is held and they defer as usual.
    bool requeue = false;
    if (refused_for_load(outcomes)) {
        // Held until the retry time, but never past the message's expiry: its last attempt stays there.
        const TimePoint expiry = msg->arrival + settings_.retry.lifetime;
        const Duration hold = std::clamp(expiry - now, Duration::zero(), settings_.retry.min_backoff);
        WindowChange change = queue_.session_refused(job.domain, now, hold);
        requeue = !change.held_until;
        const auto& o = outcomes.front().outcome;
        if (events_)
            events_->on_event(now, DestinationWindow{std::move(change), o.remote.host + "[" + o.remote.ip + "]",
                                                     o.smtp.reply->one_line()});
    } else if (std::any_of(outcomes.begin(), outcomes.end(), [](const auto& c) { return c.outcome.delivered(); })) {
        if (auto change = queue_.session_delivered(job.domain); change && events_)
            events_->on_event(now, DestinationWindow{std::move(*change), {}, {}});
    }
    std::vector<ClassifiedOutcome> failed;
    std::vector<std::size_t> failed_indices;
    std::vector<SpoolEvent> changes;  // recorded after the notices: a crash between re-sends, never loses
    for (std::size_t i = 0; i < job.recipients.size() && i < outcomes.size(); ++i) {
        std::size_t idx = job.recipients[i];
        ClassifiedOutcome c = std::move(outcomes[i]);
        const AttemptVerdict verdict = c.outcome.delivered()            ? AttemptVerdict::Delivered
                                       : c.classification.permanent ? AttemptVerdict::FailedPermanently
                                       : requeue                    ? AttemptVerdict::Refused
                                                                    : AttemptVerdict::FailedTemporarily;
        Disposition d = queue_.record(job.message, idx, verdict, now);
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
    if (!failed.empty()) notices_.write(*msg, failed, failed_indices, NoticeKind::Failure, std::nullopt, &notice_records);
    for (const auto& e : changes) record(job.message, e);
    for (const auto& e : notice_records) record(job.message, e);
}

}  // namespace relaylab::gw
