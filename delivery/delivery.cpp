#include "delivery/delivery.hpp"

namespace relaylab::gw {

namespace asio = boost::asio;

std::string envelope_address(const std::string& address, LocalPartMode mode, AddressRole role) {
    auto decision = envelope_form(check_address(address), mode, role);
    return decision.send_as.value_or(address);
}

smtp::TlsLevel TlsPolicy::level_for(const std::string& domain) const {
    if (destinations.empty()) return outbound;
    std::string key = domain;
    for (auto& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    auto it = destinations.find(key);
    return it == destinations.end() ? outbound : it->second;
}

Delivery::Delivery(asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, DeliveryConfig config,
                   std::mt19937_64& rng, EventSink* events)
    : ex_(ex), clock_(clock), resolver_(resolver), config_(std::move(config)), rng_(rng), events_(events),
      sessions_(ex, clock, config_.session_idle_limit) {}

void Delivery::report(MessageId id, CachedSession& s) {
    // Taken, not copied: each transaction's lines are handed on once, and a session reused for
    // thousands of messages keeps no history (nor reaches the transcript's line limit).
    auto lines = s.client->take_transcript();
    if (!events_) return;
    SmtpSession session{id, s.remote, std::move(lines), std::nullopt};
    if (const auto& st = s.client->status(); !st.ok && st.stage == smtp::Stage::Connect) session.connect_failure = st.net;
    events_->on_event(clock_.now(), std::move(session));
}

asio::awaitable<void> Delivery::release(std::string domain, MessageId id, std::shared_ptr<CachedSession> s) {
    report(id, *s);
    if (s->client->usable())
        sessions_.put(domain, std::move(s), config_.shape.for_destination(domain).messages_per_session);
    else
        co_await s->client->quit();
}

// The driver of the MX walk (delivery/mx_walk.hpp): it owns the sessions, the cache and the
// resolver, does what the walk asks, and turns the walk's typed result into outcomes.
asio::awaitable<std::vector<DeliveryOutcome>> Delivery::attempt(const QueuedMessage& message, const DeliveryJob& job,
                                                                unsigned attempt_no) {
    const std::string& sender = message.envelope.sender;
    std::vector<std::string> rcpts;
    for (auto i : job.recipients) rcpts.push_back(message.recipients.at(i).address);

    smtp::Message msg;
    msg.mail_from = envelope_address(sender, config_.local_part, AddressRole::Sender);
    for (const auto& r : rcpts) msg.recipients.push_back(envelope_address(r, config_.local_part, AddressRole::Recipient));
    msg.body = message.content;

    delivery::MxWalk walk(msg.recipients, delivery::WalkLimits{config_.mx_port, config_.max_mx_addresses,
                                                               config_.tls.level_for(job.domain)});
    std::shared_ptr<CachedSession> session;  // the session in hand
    using Kind = delivery::WalkAction::Kind;
    for (delivery::WalkAction action = walk.start(); action.kind != Kind::Done;) {
        if (action.kind == Kind::TakeParked) {
            session = sessions_.take(job.domain);
            delivery::ParkedTaken taken;
            if (session) taken.remote = session->remote;
            action = walk.resume(std::move(taken));
        } else if (action.kind == Kind::Send) {
            delivery::Sent sent;
            ++session->transactions;
            sent.outcomes = co_await session->client->send(msg);
            action = walk.resume(std::move(sent));
        } else if (action.kind == Kind::Release) {
            co_await release(job.domain, message.id, std::move(session));
            action = walk.resume(delivery::Released{});
        } else if (action.kind == Kind::ResolveMx) {
            delivery::MxResolved resolved;
            resolved.mx = co_await resolver_.resolve_mx(job.domain, rng_);
            if (events_) events_->on_event(clock_.now(), MxLookup{message.id, resolved.mx});
            action = walk.resume(std::move(resolved));
        } else {  // Open
            smtp::ClientConfig client = config_.client;
            client.tls = action.tls;
            session = std::make_shared<CachedSession>(
                ex_, clock_, std::make_unique<smtp::Client>(ex_, clock_, std::move(client), config_.tls.context),
                action.remote);
            delivery::Opened opened;
            opened.status = co_await session->client->open(action.remote);
            action = walk.resume(std::move(opened));
        }
    }
    co_return outcomes_of(walk.take_result(), sender, rcpts, job.domain, attempt_no);
}

std::vector<DeliveryOutcome> Delivery::outcomes_of(delivery::WalkResult walked, const std::string& sender,
                                                   const std::vector<std::string>& rcpts, const std::string& domain,
                                                   unsigned attempt_no) const {
    std::vector<DeliveryOutcome> out;
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
        const auto now = clock_.now();
        switch (walked.kind) {
            case delivery::WalkResult::Kind::Transaction:
                out.push_back(DeliveryOutcome::smtp_result(sender, walked.outcomes.at(i), walked.remote, attempt_no, now));
                out.back().recipient = rcpts[i];
                break;
            case delivery::WalkResult::Kind::DomainDns:
                out.push_back(DeliveryOutcome::domain_dns(sender, rcpts[i], domain, walked.dns, attempt_no, now));
                break;
            case delivery::WalkResult::Kind::HostDns:
                out.push_back(DeliveryOutcome::mx_host_dns(sender, rcpts[i], walked.host, walked.dns, attempt_no, now));
                break;
            case delivery::WalkResult::Kind::NoAddressTried:
            case delivery::WalkResult::Kind::DriverError:
                out.push_back(DeliveryOutcome::local_error(sender, rcpts[i], LocalError::Internal, attempt_no, now));
                break;
        }
    }
    return out;
}

}  // namespace relaylab::gw
