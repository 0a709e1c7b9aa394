#include "delivery/delivery.hpp"

#include <algorithm>

namespace relaylab::gw {

namespace asio = boost::asio;

std::string envelope_address(const std::string& address, LocalPartMode mode, AddressRole role) {
    auto decision = envelope_form(check_address(address), mode, role);
    return decision.send_as.value_or(address);
}

Delivery::Delivery(asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, DeliveryConfig config,
                   std::mt19937_64& rng, EventSink* events)
    : ex_(ex), clock_(clock), resolver_(resolver), config_(std::move(config)), rng_(rng), events_(events),
      sessions_(ex, clock, config_.session_idle_limit) {}

namespace {

// A session that ended before any transaction could start: move on to the next host.
bool try_next_host_after_open(const smtp::SessionStatus& st) { return !st.ok; }

// RFC 6531 §3.2: the address needs SMTPUTF8 and this host did not offer it. Final for the attempt,
// as Postfix treats it (dsn=5.6.7, bounced): not a stale session, not a reason to walk the MX list.
bool refused_for_smtputf8(const smtp::RecipientOutcome& o) { return o.net == smtp::NetError::Smtputf8NotOffered; }

// A transaction that the next host might accept: every recipient failed at MAIL with a 4xx or a
// network error before RCPT (Postfix: a 4xx at MAIL tries the next MX host).
bool try_next_host_after_send(const std::vector<smtp::RecipientOutcome>& outs) {
    if (outs.empty()) return false;
    for (const auto& o : outs) {
        if (o.delivered()) return false;
        if (refused_for_smtputf8(o)) return false;
        if (o.stage != smtp::Stage::Mail) return false;
        if (o.reply && o.reply->permanent()) return false;
    }
    return true;
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

}  // namespace

void Delivery::report(MessageId id, CachedSession& s) {
    // Taken, not copied: each transaction's lines are handed on once, and a session reused for
    // thousands of messages keeps no history (nor reaches the transcript's line limit).
    auto lines = s.client->take_transcript();
    if (!events_) return;
    events_->on_event(clock_.now(), SmtpSession{id, s.remote, std::move(lines)});
}

asio::awaitable<void> Delivery::release(std::string domain, MessageId id, std::shared_ptr<CachedSession> s) {
    report(id, *s);
    if (s->client->usable())
        sessions_.put(domain, std::move(s));
    else
        co_await s->client->quit();
}

asio::awaitable<std::vector<DeliveryOutcome>> Delivery::attempt(const QueuedMessage& message, const DeliveryJob& job,
                                                                unsigned attempt_no) {
    const std::string& sender = message.envelope.sender;
    std::vector<std::string> rcpts;
    for (auto i : job.recipients) rcpts.push_back(message.recipients.at(i).address);

    auto all = [&](auto make) {
        std::vector<DeliveryOutcome> out;
        for (const auto& r : rcpts) out.push_back(make(r));
        return out;
    };

    smtp::Message msg;
    msg.mail_from = envelope_address(sender, config_.local_part, AddressRole::Sender);
    for (const auto& r : rcpts) msg.recipients.push_back(envelope_address(r, config_.local_part, AddressRole::Recipient));
    msg.body = message.content;

    auto results_of = [&](const std::vector<smtp::RecipientOutcome>& outs, const smtp::Remote& remote,
                          const smtp::SessionStatus& st) {
        std::vector<DeliveryOutcome> result;
        for (std::size_t i = 0; i < rcpts.size(); ++i) {
            smtp::RecipientOutcome o = i < outs.size() ? outs[i] : session_failure(st, msg.recipients[i]);
            result.push_back(DeliveryOutcome::smtp_result(sender, o, remote, attempt_no, clock_.now()));
            result.back().recipient = rcpts[i];
        }
        return result;
    };
    // A parked session to this destination skips DNS and the handshake. One that went stale (the
    // remote closed it while parked) fails before any reply at MAIL: then start afresh.
    if (auto s = sessions_.take(job.domain)) {
        auto outs = co_await s->client->send(msg);
        bool stale = !outs.empty() && std::all_of(outs.begin(), outs.end(), [](const smtp::RecipientOutcome& o) {
            return o.stage == smtp::Stage::Mail && !o.reply && !refused_for_smtputf8(o);
        });
        smtp::SessionStatus ok;
        auto remote = s->remote;
        co_await release(job.domain, message.id, std::move(s));
        if (!stale) co_return results_of(outs, remote, ok);
    }

    dns::MxResult mx = co_await resolver_.resolve_mx(job.domain, rng_);
    if (events_) events_->on_event(clock_.now(), MxLookup{message.id, mx});
    if (mx.status != dns::Status::Found) {
        co_return all([&](const std::string& r) {
            return DeliveryOutcome::domain_dns(sender, r, job.domain, mx.status, attempt_no, clock_.now());
        });
    }

    std::optional<std::vector<DeliveryOutcome>> last;  // the last host's failure, reported if all fail
    std::size_t tried = 0;
    for (const auto& host : mx.hosts) {
        if (host.addresses.empty()) {
            if (!last)
                last = all([&](const std::string& r) {
                    return DeliveryOutcome::mx_host_dns(sender, r, host.name, host.address_status, attempt_no,
                                                        clock_.now());
                });
            continue;
        }
        for (const auto& ip : host.addresses) {
            if (tried++ >= config_.max_mx_addresses) break;
            smtp::Remote remote{host.name, ip, config_.mx_port};
            auto s = std::make_shared<CachedSession>(ex_, clock_, std::make_unique<smtp::Client>(ex_, clock_, config_.client),
                                                     remote);
            auto st = co_await s->client->open(remote);
            std::vector<smtp::RecipientOutcome> outs;
            bool next = try_next_host_after_open(st);
            if (!next) {
                outs = co_await s->client->send(msg);
                next = try_next_host_after_send(outs);
            }
            co_await release(job.domain, message.id, std::move(s));
            auto result = results_of(outs, remote, st);
            if (!next) co_return result;
            last = std::move(result);
        }
        if (tried >= config_.max_mx_addresses) break;
    }
    if (!last)
        co_return all([&](const std::string& r) {
            return DeliveryOutcome::local_error(sender, r, LocalError::Internal, attempt_no, clock_.now());
        });
    co_return std::move(*last);
}

}  // namespace relaylab::gw
