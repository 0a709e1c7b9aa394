#include "bounce/notice_writer.hpp"

#include "bounce/maildir.hpp"
#include "bounce/notice.hpp"

#include <algorithm>
#include <cstring>

namespace relaylab::gw {

std::string header_section(std::string_view message) {
    for (std::string_view sep : {"\r\n\r\n", "\n\n"}) {
        auto p = message.find(sep);
        if (p != std::string_view::npos) return std::string(message.substr(0, p + sep.size() / 2));
    }
    return std::string(message);
}

NoticeWriter::NoticeWriter(Clock& clock, NoticeSettings settings, Policy policy, EventSink* events, Recorder recorder,
                           Keeper keeper)
    : clock_(clock),
      settings_(std::move(settings)),
      policy_(std::move(policy)),
      events_(events),
      recorder_(std::move(recorder)),
      keeper_(std::move(keeper)) {}

void NoticeWriter::write(const QueuedMessage& msg, const std::vector<ClassifiedOutcome>& failed,
                         const std::vector<std::size_t>& indices, NoticeKind kind,
                         std::optional<TimePoint> retry_until, std::vector<SpoolEvent>* later) {
    const std::string& handset = msg.envelope.sender;
    if (handset.empty() || failed.empty()) return;  // the null sender gets no notice (RFC 5321 §4.5.5)
    TimePoint now = clock_.now();
    const SpoolEventKind record_kind = kind == NoticeKind::Failure ? SpoolEventKind::FailureNotice
                                                                   : SpoolEventKind::DelayNotice;
    // One notice per failed recipient: the human part speaks of one failure, as a phone shows it.
    for (std::size_t i = 0; i < failed.size(); ++i) {
        const auto& f = failed[i];
        auto words = render(policy_, f, settings_.language);
        HandsetNotice n;
        n.from_address = "MAILER-DAEMON@" + settings_.hostname;
        n.to_address = handset;
        n.date = now;
        n.sequence = ++made_;
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
        if (f.outcome.kind == OutcomeKind::Smtp ||
            (f.outcome.last_temporary && f.outcome.last_temporary->kind == OutcomeKind::Smtp)) {
            const auto& o = f.outcome.kind == OutcomeKind::Smtp ? f.outcome : *f.outcome.last_temporary;
            r.remote_mta = o.remote.host;
            r.remote_mta_ip = o.remote.ip;
        }
        r.diagnostic_code = f.classification.diagnostic_code;
        r.last_attempt = f.outcome.at;
        r.will_retry_until = retry_until;
        n.recipients.push_back(std::move(r));
        Pending p;
        p.id = msg.id;
        p.handset = handset;
        p.kind = kind;
        p.bytes = render_notice(n).bytes;
        p.sequence = made_;
        p.subject = words.subject;
        p.body = words.body;
        p.claims = words.claims;
        if (i < indices.size() && indices[i] < msg.recipients.size()) {
            std::size_t idx = indices[i];
            unsigned attempts = kind == NoticeKind::Failure ? msg.recipients[idx].attempts : 0;
            p.records.push_back(SpoolEvent{record_kind, now, idx, attempts, {}});
        }
        p.backoff = settings_.min_backoff;
        if (try_write(p, later)) continue;
        // Kept on disk before the caller records the failure, so that a restart finds it.
        if (keeper_ && p.records.size() == 1) {
            const SpoolEvent& r = p.records.front();
            keeper_(SpooledNotice{p.id, r.recipient, r.kind, r.attempts, now, p.sequence, p.handset, p.subject,
                                  p.body, std::string(to_string(p.claims)), p.bytes});
        }
        pending_.push_back(std::move(p));
    }
}

void NoticeWriter::restore(const SpooledNotice& notice) {
    Pending p;
    p.id = notice.id;
    p.handset = notice.handset;
    p.kind = notice.written == SpoolEventKind::DelayNotice ? NoticeKind::Delay : NoticeKind::Failure;
    p.bytes = notice.bytes;
    p.sequence = notice.sequence;
    p.subject = notice.subject;
    p.body = notice.body;
    p.claims = claim_from_string(notice.claims).value_or(Claim::Undeliverable);
    p.records.push_back(SpoolEvent{notice.written, notice.at, notice.recipient, notice.attempts, {}});
    p.backoff = settings_.min_backoff;
    p.due = clock_.now();
    pending_.push_back(std::move(p));
}

bool NoticeWriter::try_write(Pending& n, std::vector<SpoolEvent>* later) {
    TimePoint now = clock_.now();
    // The time in the name is this try's: a retry never meets the name of an earlier try's leftovers.
    MaildirFileName name{now, n.sequence, settings_.process_id, settings_.hostname};
    auto written = deliver_to_maildir(settings_.mailboxes, n.handset, n.bytes, name);
    if (written) {
        if (events_)
            events_->on_event(now, NoticeWritten{n.id, n.handset, n.kind, written->string(), n.subject, n.body, n.claims});
        for (auto e : n.records) {
            e.at = now;
            if (later) later->push_back(e);
            else if (recorder_) recorder_(n.id, e);
        }
        return true;
    }
    ++errors_;
    ++n.tries;
    n.due = now + n.backoff;
    if (events_) {
        const MaildirFailure& failure = written.error();
        std::string error(to_string(failure.kind));
        if (failure.system_error) error += std::string(": ") + std::strerror(failure.system_error);
        events_->on_event(now, NoticeFailed{n.id, n.handset, n.kind, std::move(error), n.tries, n.due});
    }
    n.backoff = std::min(n.backoff * 2, settings_.max_backoff);
    return false;
}

void NoticeWriter::retry_due(TimePoint now) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->due <= now && try_write(*it, nullptr)) it = pending_.erase(it);
        else ++it;
    }
}

std::optional<TimePoint> NoticeWriter::next_due() const {
    std::optional<TimePoint> next;
    for (const auto& n : pending_)
        if (!next || n.due < *next) next = n.due;
    return next;
}

}  // namespace relaylab::gw
