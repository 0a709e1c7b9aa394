#include "diagnosis/bounce_reader.hpp"

#include "diagnosis/formats/human_text.hpp"
#include "diagnosis/formats/reporters.hpp"
#include "diagnosis/formats/ses_json.hpp"
#include "diagnosis/log_reader.hpp"
#include "diagnosis/mime_dsn.hpp"
#include "diagnosis/mime_message.hpp"
#include "diagnosis/text.hpp"
#include "address/address.hpp"

#include <algorithm>
#include <cctype>

namespace relaylab::diag {

namespace {

std::string address_in(std::string_view header) {
    const auto open = header.rfind('<');
    const auto close = header.rfind('>');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open)
        return std::string(header.substr(open + 1, close - open - 1));
    return trim(header);
}

// A bounce goes to the envelope sender. Its To: field must quote a local part such as "q."
// (RFC 5322 §3.4.1); the address's value is the local part without the quotes.
std::string unquoted_address(std::string_view header) {
    auto a = address_in(header);
    const auto check = gw::check_address(a);
    if (check.was_quoted && !check.local_value.empty()) a = check.local_value + "@" + check.domain;
    return a;
}

// RFC 3463 codes that name a stage on their own (the DSN of a relaylab notice carries no stage).
std::optional<smtp::Stage> stage_from_status(std::string_view s) {
    if (s.size() < 5) return std::nullopt;
    const auto rest = s.substr(2);
    if (rest == "1.7" || rest == "1.8") return smtp::Stage::Mail;
    if (rest == "1.1" || rest == "1.3" || rest == "1.6" || rest == "2.2" || rest == "2.1") return smtp::Stage::Rcpt;
    if (rest == "3.4" || rest.compare(0, 2, "6.") == 0) return smtp::Stage::Dot;
    return std::nullopt;
}

// Without a remote reply, a DSN's status alone says what DNS or the network did (RFC 3463 §3.4, §3.5).
void infer_from_status(Finding& f, bool has_remote) {
    const auto& s = f.reported_status;
    const auto at = f.recipient.rfind('@');
    const auto domain = at == std::string::npos ? std::string() : lower(f.recipient.substr(at + 1));
    auto dns = [&](dns::Status st) {
        f.dns_status = st;
        f.dns_name = domain;
        f.found.push_back("DNS result inferred from Status " + s);
    };
    if (s == "5.1.2") dns(dns::Status::NxDomain);
    else if (s == "5.1.10") dns(dns::Status::NullMx);
    else if (s == "5.4.4" && !has_remote) dns(dns::Status::NoData);
    else if (s == "4.4.3") dns(dns::Status::ServFail);
    else if ((s == "4.4.1" || s == "4.4.2") && has_remote) {
        f.stage = smtp::Stage::Connect;
        f.stage_inferred = true;
        f.net = s == "4.4.1" ? smtp::NetError::ConnectRefused : smtp::NetError::ConnectTimeout;
        f.found.push_back("connection failure inferred from Status " + s);
    }
}

// RFC 3464 §2.3.3 Action, and a Status without one.
ReportKind report_of(std::string_view action, std::string_view status) {
    if (action == "delayed") return ReportKind::Delayed;
    if (action == "delivered" || action == "relayed" || action == "expanded") return ReportKind::Delivered;
    if (action.empty() && !status.empty() && status[0] == '2') return ReportKind::Delivered;
    return ReportKind::Failure;
}

Finding from_dsn_block(const std::vector<HeaderField>& b) {
    Finding f;
    auto rcpt = typed_value(field_value(b, "final-recipient"));
    if (rcpt.empty()) rcpt = typed_value(field_value(b, "original-recipient"));
    f.recipient = address_in(rcpt);
    if (const auto status = field_value(b, "status"); !status.empty()) {
        f.reported_status = trim(status.substr(0, status.find_first_of(" (")));
        f.found.push_back("Status: " + f.reported_status);
    }
    if (const auto action = field_value(b, "action"); !action.empty()) {
        f.action = lower(trim(action.substr(0, action.find_first_of(" ("))));
        f.found.push_back("Action: " + f.action);
    }
    f.report = report_of(f.action, f.reported_status);
    if (const auto remote = field_value(b, "remote-mta"); !remote.empty()) {
        split_peer(typed_value(remote), f.remote_host, f.remote_ip);
        f.found.push_back("Remote-MTA: " + f.remote_host + (f.remote_ip.empty() ? "" : " [" + f.remote_ip + "]"));
    }
    if (const auto ip = field_value(b, "x-remote-mta-ip"); !ip.empty()) f.remote_ip = std::string(ip);
    if (const auto d = field_value(b, "diagnostic-code"); !d.empty()) {
        f.found.push_back("Diagnostic-Code: " + std::string(d));
        const auto text = typed_value(d);
        if (value_type(d) == "smtp" || value_type(d).empty()) f.reply = parse_reply_text(text);
        // X-Postfix / X-Unix / a provider's words are the reporter's own text; a reply's tail may
        // still name the stage ("[RCPT_TO]").
        formats::read_words(text, f);
    }
    for (const auto* name : {"last-attempt-date", "will-retry-until"})
        if (const auto v = field_value(b, name); !v.empty()) f.found.push_back(std::string(name) + ": " + std::string(v));
    if (!field_value(b, "will-retry-until").empty() && f.action.empty()) f.report = ReportKind::Delayed;
    return f;
}

bool same_address(std::string_view a, std::string_view b) { return !a.empty() && lower(a) == lower(b); }

// What the human-readable words add to a DSN recipient's finding.
void merge_words(Finding& f, const Finding& w) {
    if (!w.stage.has_value() && !w.reply && !w.dns_status && !w.net && w.remote_host.empty() && w.remote_ip.empty() &&
        !w.expired && w.diagnostic_text.empty())
        return;
    if (!f.reply && w.reply && !f.dns_status && !f.net) f.reply = w.reply;
    // A DSN's one-line Diagnostic-Code loses the reply's lines; the words may have kept them.
    if (f.reply && w.reply && f.reply->code == w.reply->code && w.reply->lines.size() > f.reply->lines.size())
        f.reply = w.reply;
    // "400 4.4.7 Message delayed" is the reporter's word for its queue; the words may quote the
    // last attempt's own answer.
    if (f.reply && w.reply && f.reply->enhanced && f.reply->enhanced->subject == 4 && f.reply->enhanced->detail == 7 &&
        w.reply->code != f.reply->code)
        f.reply = w.reply;
    if (!f.stage && w.stage && (!f.reply || !w.reply || f.reply->code == w.reply->code)) f.stage = w.stage;
    if (f.remote_host.empty() && f.remote_ip.empty()) {
        f.remote_host = w.remote_host;
        f.remote_ip = w.remote_ip;
    } else if (f.remote_ip.empty() && same_address(f.remote_host, w.remote_host)) {
        f.remote_ip = w.remote_ip;
    }
    if (!f.reply && !f.dns_status && !f.net) {
        f.dns_status = w.dns_status;
        f.dns_name = w.dns_name;
        f.mx_host_lookup = w.mx_host_lookup;
        f.net = w.net;
        if (!f.stage) f.stage = w.stage;
    }
    f.expired = f.expired || w.expired;
    if (f.diagnostic_text.empty() && !f.reply) f.diagnostic_text = w.diagnostic_text;
    if (f.reported_status.empty()) f.reported_status = w.reported_status;
    f.found.insert(f.found.end(), w.found.begin(), w.found.end());
}

// The last steps every bounce finding takes: expiry from Action/Status, stage and DNS from Status.
void finish(Finding& f) {
    // RFC 3464 §2.3.3: "failed" with a transient status is a message that gave up retrying.
    if (f.action == "failed" && !f.reported_status.empty() && f.reported_status[0] == '4') f.expired = true;
    if (f.expired && f.report == ReportKind::Delayed) f.report = ReportKind::Failure;
    if (f.reply && !f.stage) {
        const auto status = !f.reported_status.empty() || !f.reply->enhanced ? f.reported_status : f.reply->enhanced->str();
        if (auto s = stage_from_status(status)) {
            f.stage = s;
            f.stage_inferred = true;
        }
    }
    if (!f.reply && !f.net && !f.dns_status) infer_from_status(f, !f.remote_host.empty() || !f.remote_ip.empty());
    // A status alone still names a stage (5.1.7: the sender, at MAIL FROM); marked as inferred.
    if (!f.stage && !f.dns_status && !f.net && f.report == ReportKind::Failure) {
        if (auto s = stage_from_status(f.reported_status)) {
            f.stage = s;
            f.stage_inferred = true;
        }
    }
    if (f.dns_status && f.dns_name.empty() && !f.mx_host_lookup) {
        const auto at = f.recipient.rfind('@');
        if (at != std::string::npos) f.dns_name = lower(f.recipient.substr(at + 1));
    }
}

bool has_evidence(const Finding& f) {
    return f.reply || f.dns_status || f.net || f.expired || f.report != ReportKind::Failure;
}

// RFC 3834 §5 Auto-Submitted, and the fields and subjects vacation programs use. Only `auto-replied`
// (§5.2) says "a reply": `auto-generated` is any machine-made message, bounces included (Sendmail's
// DSNs carry `auto-generated (failure)`), so on its own it proves nothing.
bool is_auto_reply(const std::vector<HeaderField>& h) {
    const auto auto_submitted = lower(field_value(h, "auto-submitted"));
    const auto precedence = lower(field_value(h, "precedence"));
    if (auto_submitted.starts_with("auto-replied") || !field_value(h, "x-autoreply").empty() ||
        !field_value(h, "x-autorespond").empty() || precedence == "auto_reply")
        return true;
    const auto subject = lower(field_value(h, "subject"));
    for (const std::string_view m : {"out of office", "out of the office", "automatic reply", "auto-reply", "autoreply",
                                     "auto reply", "auto:", "vacation", "自動応答", "自動返信", "不在", "休暇"})
        if (contains(subject, m)) return true;
    return false;
}

// Delay warnings whose words do not say so per recipient ("Warning: could not send message for past 4 hours").
bool subject_says_delayed(std::string_view subject) {
    const auto s = lower(subject);
    return contains(s, "(delay)") || contains(s, "delayed mail") || contains(s, "delivery delayed") ||
           s.starts_with("warning:") || contains(s, "still being retried");
}

Finding feedback_of(const MimeMessage& m) {
    Finding f;
    f.report = ReportKind::Feedback;
    std::size_t pos = 0;
    const auto fields = read_field_block(m.feedback_report, pos);
    f.recipient = address_in(field_value(fields, "original-rcpt-to"));
    if (f.recipient.empty()) f.recipient = address_in(field_value(m.returned, "to"));
    f.sender = address_in(field_value(fields, "original-mail-from"));
    if (f.sender.empty()) f.sender = address_in(field_value(m.returned, "from"));
    const auto type = field_value(fields, "feedback-type");
    f.diagnostic_text = "Feedback-Type: " + std::string(type.empty() ? "abuse" : type);
    f.found.push_back("an abuse feedback report (RFC 5965): " + f.diagnostic_text);
    const auto from = lower(address_in(field_value(m.headers, "from")));
    f.reporter = from.substr(from.rfind('@') == std::string::npos ? from.size() : from.rfind('@') + 1);
    f.source = SourceKind::Dsn;
    return f;
}

}  // namespace

bool looks_like_message(std::string_view text) {
    const auto nl = text.find('\n');
    const auto first = text.substr(0, nl);
    const auto colon = first.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    return std::all_of(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
}

std::vector<Finding> read_bounces(std::string_view message) {
    message = message.substr(0, max_input_octets);
    MimeMessage m;
    if (looks_like_message(message)) m = read_mime(message);
    else m.texts.push_back(to_utf8(message, ""));
    std::string human;
    for (const auto& t : m.texts) {
        if (human.size() + t.size() > max_input_octets) break;
        human += t;
        human += '\n';
    }

    if (m.report_type == "feedback-report" || !m.feedback_report.empty()) return {feedback_of(m)};

    // The delivery-status fields: in their own part, or pasted inline with the words.
    DeliveryStatus dsn;
    for (const auto& body : m.delivery_status) {
        auto d = read_delivery_status(body);
        if (dsn.per_message.empty()) dsn.per_message = std::move(d.per_message);
        for (auto& r : d.recipients)
            if (dsn.recipients.size() < max_dsn_recipients) dsn.recipients.push_back(std::move(r));
    }
    const bool dsn_part = !m.delivery_status.empty();
    if (!dsn_part) {
        for (const std::string_view field : {"\nReporting-MTA:", "\nFinal-Recipient:", "\nOriginal-Recipient:"}) {
            const auto p = human.find(field);
            if (p == std::string::npos) continue;
            dsn = read_delivery_status(std::string_view(human).substr(p + 1));
            break;
        }
    }

    const auto from = field_value(m.headers, "from");
    const auto subject = field_value(m.headers, "subject");
    std::string sender;
    if (!field_value(m.headers, "to").empty()) sender = unquoted_address(field_value(m.headers, "to"));
    if (const auto s = field_value(dsn.per_message, "x-postfix-sender"); !s.empty()) sender = typed_value(s);
    if (sender.empty() && !field_value(m.returned, "from").empty()) sender = unquoted_address(field_value(m.returned, "from"));

    const bool relaylab = std::any_of(dsn.recipients.begin(), dsn.recipients.end(),
                                      [](const auto& b) { return !field_value(b, "x-remote-mta-ip").empty(); });
    const auto* format = relaylab ? nullptr : formats::recognise(from, subject, human);

    if (dsn.recipients.empty()) {
        if (auto ses = formats::read_ses_notification(human); !ses.empty()) return ses;
    }
    // The words of a relaylab notice are its policy's, true or not: only its DSN is evidence.
    std::vector<Finding> words;
    if (!relaylab) words = formats::read_human_text(human, sender);
    const bool words_tell = std::any_of(words.begin(), words.end(), [](const Finding& w) { return w.reply || w.dns_status || w.net; });
    if (dsn.recipients.empty() && !format && !words_tell && m.is_mime && is_auto_reply(m.headers)) {
        Finding f;
        f.report = ReportKind::AutoReply;
        f.recipient = address_in(from);
        f.sender = sender;
        f.diagnostic_text = std::string(subject);
        f.found.push_back("an auto-reply (RFC 3834): " + std::string(subject));
        f.source = SourceKind::Unknown;
        f.reporter = "autoreply";
        return {f};
    }

    std::vector<Finding> out;
    if (!dsn.recipients.empty()) {
        for (const auto& block : dsn.recipients) {
            auto f = from_dsn_block(block);
            const Finding* w = nullptr;
            for (const auto& candidate : words)
                if (same_address(candidate.recipient, f.recipient)) w = &candidate;
            if (!w && words.size() == 1 && dsn.recipients.size() == 1) w = &words.front();
            if (w) merge_words(f, *w);
            out.push_back(std::move(f));
        }
    } else {
        // Words alone (a Japanese gateway's sentence about an address) count when a mail system sent them.
        const bool mail_system = m.is_mime && formats::from_mail_system(from);
        for (auto& w : words) {
            if (!format && !has_evidence(w) && !(mail_system && !w.recipient.empty() && !w.diagnostic_text.empty())) continue;
            out.push_back(std::move(w));
        }
        // Exim names the failed recipients in a header field when its words do not.
        if (out.size() == 1 && out.front().recipient.empty()) {
            const auto failed = field_value(m.headers, "x-failed-recipients");
            out.front().recipient = trim(failed.substr(0, failed.find(',')));
        }
    }
    if (out.empty()) return out;

    const bool delayed_subject = subject_says_delayed(subject);
    const auto returned_to = address_in(field_value(m.returned, "to"));
    for (auto& f : out) {
        f.sender = f.sender.empty() ? sender : f.sender;
        if (relaylab) {
            f.source = SourceKind::RelaylabNotice;
            f.reporter = "relaylab";
        } else if (format) {
            f.source = format->source;
            f.reporter = std::string(format->name);
        } else {
            f.source = SourceKind::Dsn;
        }
        if (f.recipient.empty() && out.size() == 1) f.recipient = returned_to;
        if (f.action.empty() && delayed_subject && f.report == ReportKind::Failure && !f.expired) f.report = ReportKind::Delayed;
        if (dsn_part || !dsn.recipients.empty()) f.found.insert(f.found.begin(), "a message/delivery-status part (RFC 3464)");
        finish(f);
    }
    return out;
}

std::optional<Finding> read_bounce(std::string_view message) {
    auto all = read_bounces(message);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
}

}  // namespace relaylab::diag
