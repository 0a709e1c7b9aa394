#include "log/journal.hpp"

#include "clock/duration.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

namespace relaylab::gw {

namespace {

DeliveryStatus status_of(Disposition d) {
    switch (d) {
        case Disposition::Delivered: return DeliveryStatus::Sent;
        case Disposition::Deferred: return DeliveryStatus::Deferred;
        case Disposition::Bounced: return DeliveryStatus::Bounced;
        case Disposition::Expired: return DeliveryStatus::Expired;
    }
    return DeliveryStatus::Bounced;
}

bool is_connect_error(smtp::NetError e) {
    return e == smtp::NetError::ConnectRefused || e == smtp::NetError::ConnectTimeout ||
           e == smtp::NetError::Unreachable;
}

// The reason words for one outcome (for an expiry, the last temporary failure's).
DeliveryReason reason_of(const DeliveryOutcome& o) {
    switch (o.kind) {
        case OutcomeKind::DomainDns:
            return DnsReason{o.dns_name, "MX", o.dns_status};
        case OutcomeKind::MxHostDns:
            return DnsReason{o.dns_name, "A", o.dns_status};
        case OutcomeKind::Expired:
            if (o.last_temporary) return reason_of(*o.last_temporary);
            return SessionReason{"", "", smtp::Stage::Connect, smtp::NetError::Timeout};
        case OutcomeKind::Local:
            return SessionReason{"", "", smtp::Stage::Connect, smtp::NetError::Local};
        case OutcomeKind::Smtp:
            break;
    }
    const auto& s = o.smtp;
    if (s.delivered()) return AcceptedReason{s.reply ? s.reply->one_line() : std::string("250 Ok")};
    if (s.reply) return RemoteReplyReason{s.stage, o.remote.host, o.remote.ip, s.reply->one_line()};
    if (s.stage == smtp::Stage::Connect && is_connect_error(s.net))
        return ConnectReason{o.remote.host, o.remote.ip, o.remote.port, s.net};
    return SessionReason{o.remote.host, o.remote.ip, s.stage, s.net};
}

}  // namespace

std::string destination_window_line(const DestinationWindow& w) {
    // Postfix's qmgr says "delivery temporarily suspended" of a dead destination; the window itself
    // it logs only verbosely, so the words for it are ours.
    std::string line = w.change.domain + ": concurrency " + std::to_string(w.change.from) + " -> " +
                       std::to_string(w.change.to) + " (limit " + std::to_string(w.change.limit) + ")";
    if (w.change.held_until) line += ", delivery temporarily suspended until " + format_time(*w.change.held_until);
    if (!w.reply.empty()) line += ": refused by " + w.refused_by + ": " + w.reply;
    else line += ": deliveries succeed";
    return line;
}

DeliveryEvent delivery_event(const AttemptResult& r) {
    const DeliveryOutcome& o = r.outcome.outcome;
    DeliveryEvent e;
    e.time = o.at;
    e.queue_id = std::to_string(r.id);
    e.recipient = o.recipient;
    const DeliveryOutcome& where = o.kind == OutcomeKind::Expired && o.last_temporary ? *o.last_temporary : o;
    if (where.kind == OutcomeKind::Smtp && !where.remote.ip.empty())
        e.relay = LogRelay{where.remote.host, where.remote.ip, where.remote.port};
    e.delay = std::chrono::duration<double>(r.delay).count();
    e.dsn = r.outcome.classification.status.str();
    e.status = status_of(r.disposition);
    e.reason = reason_of(o);
    return e;
}

void Journal::on_event(TimePoint at, const GatewayEvent& event) {
    if (const auto* r = std::get_if<AttemptResult>(&event)) {
        auto e = delivery_event(*r);
        std::string line = json_ ? format_json_line(e) : format_time(at) + " relaylab/smtp: " + format_log_line(e);
        line += '\n';
        out_.write(line.data(), static_cast<std::streamsize>(line.size()));
    } else if (const auto* m = std::get_if<MessageAccepted>(&event)) {
        if (json_)
            out_ << json_text({{"time", format_time(at)}, {"event", "accepted"}, {"queue_id", std::to_string(m->id)},
                               {"from", m->sender}, {"nrcpt", m->recipients.size()}, {"size", m->size}})
                 << "\n";
        else {
            // Built as one string: stream insertion of numbers goes through the locale per field.
            std::string line = format_time(at);
            line += " relaylab/qmgr: ";
            line += std::to_string(m->id);
            line += ": from=<";
            line += m->sender;
            line += ">, size=";
            line += std::to_string(m->size);
            line += ", nrcpt=";
            line += std::to_string(m->recipients.size());
            line += " (queue active)\n";
            out_.write(line.data(), static_cast<std::streamsize>(line.size()));
        }
    } else if (const auto* s = std::get_if<SmtpSession>(&event)) {
        // Each address whose connect failed, as Postfix's smtp logs it before moving on to the next
        // one: "connect to mx[2001:db8::1]:25: Connection refused".
        if (s->connect_failure) {
            auto text = reason_text(ConnectReason{s->remote.host, s->remote.ip, s->remote.port, *s->connect_failure});
            if (json_)
                out_ << json_text({{"time", format_time(at)}, {"event", "connect_failed"}, {"queue_id", std::to_string(s->id)},
                                   {"host", s->remote.host}, {"ip", s->remote.ip}, {"port", s->remote.port}, {"text", text}})
                     << "\n";
            else
                out_ << format_time(at) << " relaylab/smtp: " << text << "\n";
        }
        // The session's TLS events, as Postfix's smtp logs them ("Untrusted TLS connection established
        // to mx[ip]:25: TLSv1.3 with cipher ...", "TLS is required, but was not offered by host ...").
        for (const auto& l : s->transcript) {
            if (l.dir != '*' || l.text.find("TLS") == std::string::npos) continue;
            if (json_)
                out_ << json_text({{"time", format_time(l.at)}, {"event", "tls"}, {"queue_id", std::to_string(s->id)},
                                   {"host", s->remote.host}, {"ip", s->remote.ip}, {"text", l.text}})
                     << "\n";
            else
                out_ << format_time(l.at) << " relaylab/smtp: " << l.text << "\n";
        }
    } else if (const auto* n = std::get_if<NoticeWritten>(&event)) {
        if (json_)
            out_ << json_text({{"time", format_time(at)}, {"event", "notice"}, {"queue_id", std::to_string(n->id)},
                               {"to", n->handset}, {"kind", to_string(n->kind)}, {"path", n->path}, {"claims", to_string(n->claims)}})
                 << "\n";
        else
            out_ << format_time(at) << " relaylab/bounce: " << n->id << ": sender " << to_string(n->kind) << " notice to <"
                 << n->handset << "> (claims " << to_string(n->claims) << "): " << (n->path.empty() ? "NOT WRITTEN" : n->path)
                 << "\n";
    } else if (const auto* w = std::get_if<DestinationWindow>(&event)) {
        if (json_) {
            nlohmann::json j{{"time", format_time(at)}, {"event", "concurrency"}, {"destination", w->change.domain},
                             {"from", w->change.from}, {"to", w->change.to}, {"limit", w->change.limit}};
            if (w->change.held_until) j["suspended_until"] = format_time(*w->change.held_until);
            if (!w->reply.empty()) {
                j["refused_by"] = w->refused_by;
                j["reply"] = w->reply;
            }
            out_ << json_text(j) << "\n";
        } else {
            out_ << format_time(at) << " relaylab/qmgr: " << destination_window_line(*w) << "\n";
        }
    } else if (const auto* f = std::get_if<NoticeFailed>(&event)) {
        if (json_)
            out_ << json_text({{"time", format_time(at)}, {"event", "notice_failed"}, {"queue_id", std::to_string(f->id)},
                               {"to", f->handset}, {"kind", to_string(f->kind)}, {"error", f->error}, {"tries", f->tries},
                               {"next_try", format_time(f->next_try)}})
                 << "\n";
        else
            out_ << format_time(at) << " relaylab/bounce: " << f->id << ": sender " << to_string(f->kind) << " notice to <"
                 << f->handset << "> NOT WRITTEN (maildir " << f->error << "), try " << f->tries << ", next try at "
                 << format_time(f->next_try) << "\n";
    }
    flush_soon();
}

void Journal::flush_soon() {
    if (!ex_) {
        out_.flush();
        return;
    }
    if (flush_posted_) return;
    flush_posted_ = true;
    boost::asio::post(*ex_, [this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired()) return;
        flush_posted_ = false;
        out_.flush();
    });
}

Journal::~Journal() { out_.flush(); }

}  // namespace relaylab::gw
