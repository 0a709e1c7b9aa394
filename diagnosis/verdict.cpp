#include "diagnosis/verdict.hpp"

#include "taxonomy/reply_rules.hpp"

namespace relaylab::diag {

namespace {

using gw::DsnStatus;
using gw::FailureClass;
using FC = FailureClass;

// RFC 3463: X.0.0 says nothing; X.1.0 only "something about an address".
bool generic(const DsnStatus& s) { return (s.subject == 0 && s.detail == 0) || (s.subject == 1 && s.detail == 0); }

std::string_view domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::optional<DsnStatus> reported_status(const Finding& f) {
    auto s = std::string_view(f.reported_status);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return gw::parse_dsn_status(s);
}

// The remote's enhanced code when there is a reply, else the status the report gave.
std::optional<DsnStatus> evidence_status(const Finding& f) {
    if (f.reply && f.reply->enhanced) return DsnStatus{f.reply->enhanced->klass, f.reply->enhanced->subject, f.reply->enhanced->detail};
    return reported_status(f);
}

// Evidence without an SMTP stage: a reply whose command is unknown, a reported Status:, the
// reporting MTA's own words. Read through the same reply rules as the gateway's replies (the rules
// with "stage": "none" or no stage apply), then the status alone.
std::optional<gw::Classification> classify_without_stage(const Finding& f) {
    const auto status = evidence_status(f);
    std::string text;
    if (f.reply) text = gw::reply_words(*f.reply);
    if (!f.diagnostic_text.empty()) text += (text.empty() ? "" : " ") + f.diagnostic_text;
    if (!status && text.empty()) return std::nullopt;
    // The class of the failure: the reply code's, else the status's; 5 when only words are known
    // (a reporter writes its own words for a bounce, not for a delay).
    int klass = f.reply ? f.reply->code / 100 : status ? status->klass : 5;
    if (klass != 4 && klass != 5) klass = 5;

    gw::ReplyFacts facts;
    facts.stage = std::nullopt;
    facts.code = f.reply ? f.reply->code : 0;
    facts.status = status;
    facts.text = text;
    facts.remote_host = f.remote_host;
    facts.recipient_domain = domain_of(f.recipient);
    const auto m = gw::match_reply(facts);
    if (!m) {
        if (f.reply && f.reply->code / 100 == 4 && status && !generic(*status))
            return gw::classification_of(FC::TemporaryFailure, DsnStatus{4, status->subject, status->detail});
        return std::nullopt;
    }
    auto c = gw::classification_of(m->failure, gw::verdict_status(*m, status, klass));
    c.rule = m->rule->id;
    if (f.reply) {
        c.reply = f.reply;
        c.diagnostic_code = "smtp; " + f.reply->one_line();
    }
    return c;
}

// A report that is not a failure: a success DSN, a delay warning, an auto-reply, an abuse report.
gw::Classification classify_report(const Finding& f) {
    const auto status = evidence_status(f);
    switch (f.report) {
    case ReportKind::Delivered:
        return gw::classification_of(FC::Delivered, status && status->klass == 2 ? *status : DsnStatus{2, 0, 0});
    case ReportKind::AutoReply: return gw::classification_of(FC::AutoReply, {});
    case ReportKind::Feedback: return gw::classification_of(FC::AbuseFeedback, {});
    case ReportKind::Delayed:
    case ReportKind::Failure: break;
    }
    // A delay warning: the class says "delayed"; the cause, when the evidence names one, is kept as
    // the last temporary class, as for an expiry.
    auto c = gw::classification_of(FC::Delayed, status && status->klass == 4 ? *status : DsnStatus{4, 0, 0});
    std::optional<gw::Classification> cause;
    if (const auto outcome = to_outcome(f); outcome && outcome->kind != gw::OutcomeKind::Expired) cause = gw::classify(*outcome);
    else cause = classify_without_stage(f);
    if (cause && cause->failure != FC::TemporaryFailure && cause->failure != FC::Delivered) {
        c.last_temporary = cause->failure;
        // As for an expiry, the reason is the cause's: a delay is named after why it is delayed.
        c.reason = cause->reason;
        if (!(cause->status.subject == 0 && cause->status.detail == 0))
            c.status = DsnStatus{4, cause->status.subject, cause->status.detail};
    }
    if (cause) {
        c.stage = cause->stage;
        c.reply = cause->reply;
        c.diagnostic_code = cause->diagnostic_code;
        c.rule = cause->rule;
    }
    return c;
}

}  // namespace

gw::Reason untold_reason(const Finding& f) {
    const bool evidence = f.reply || !f.reported_status.empty() || !f.diagnostic_text.empty() || f.net || f.dns_status;
    return evidence ? gw::Reason::OnHold : gw::Reason::Undefined;
}

std::optional<gw::Classification> classify_finding(const Finding& f) {
    if (f.report != ReportKind::Failure) return classify_report(f);
    const auto outcome = to_outcome(f);
    if (outcome && !(f.expired && !outcome->last_temporary)) {
        auto c = gw::classify(*outcome);
        // A DNS failure read from a report: the reporter's own specific status is what it said
        // (Postfix reports "Host or domain name not found" as 5.4.4, where the gateway says 5.1.2).
        if (f.dns_status && !f.expired)
            if (const auto s = reported_status(f); s && !generic(*s) && s->klass == c.status.klass) c.status = *s;
        return c;
    }
    auto found = classify_without_stage(f);
    if (!f.expired) return found;
    // An expiry whose last attempt has no stage: the cause, when the words or status name one.
    auto c = gw::classification_of(FC::Expired, DsnStatus{4, 4, 7});
    c.expired = true;
    if (found && found->failure != FC::Expired) {
        c.last_temporary = found->failure;
        c.reason = found->reason == gw::Reason::OnHold || found->reason == gw::Reason::NetworkError ? gw::Reason::Expired
                                                                                                   : found->reason;
        c.reply = found->reply;
        c.diagnostic_code = found->diagnostic_code;
        c.rule = found->rule;
        if (found->status.klass == 4 && !generic(found->status)) c.status = found->status;
    } else if (const auto s = reported_status(f); s && !generic(*s)) {
        c.status = *s;
    }
    return c;
}

}  // namespace relaylab::diag
