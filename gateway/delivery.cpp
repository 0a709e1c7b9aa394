#include "gateway/delivery.hpp"

namespace relaylab::gw {

namespace asio = boost::asio;

std::string envelope_address(const std::string& address, LocalPartMode mode, AddressRole role) {
    auto decision = envelope_form(check_address(address), mode, role);
    return decision.send_as.value_or(address);
}

Delivery::Delivery(asio::any_io_executor ex, Clock& clock, dns::Resolver& resolver, DeliveryConfig config,
                   std::mt19937_64& rng, EventSink* events)
    : ex_(std::move(ex)), clock_(clock), resolver_(resolver), config_(std::move(config)), rng_(rng), events_(events) {}

namespace {

// A session that ended before any transaction could start: move on to the next host.
bool try_next_host_after_open(const smtp::SessionStatus& st) { return !st.ok; }

// A transaction that the next host might accept: every recipient failed at MAIL with a 4xx or a
// network error before RCPT (Postfix: a 4xx at MAIL tries the next MX host).
bool try_next_host_after_send(const std::vector<smtp::RecipientOutcome>& outs) {
    if (outs.empty()) return false;
    for (const auto& o : outs) {
        if (o.delivered()) return false;
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

    dns::MxResult mx = co_await resolver_.resolve_mx(job.domain, rng_);
    if (events_) events_->on_event(clock_.now(), MxLookup{message.id, mx});
    if (mx.status != dns::Status::Found) {
        co_return all([&](const std::string& r) {
            return DeliveryOutcome::domain_dns(sender, r, job.domain, mx.status, attempt_no, clock_.now());
        });
    }

    smtp::Message msg;
    msg.mail_from = envelope_address(sender, config_.local_part, AddressRole::Sender);
    for (const auto& r : rcpts) msg.recipients.push_back(envelope_address(r, config_.local_part, AddressRole::Recipient));
    msg.body = message.content;

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
            smtp::Client client(ex_, clock_, config_.client);
            auto st = co_await client.open(remote);
            std::vector<smtp::RecipientOutcome> outs;
            bool next = try_next_host_after_open(st);
            if (!next) {
                outs = co_await client.send(msg);
                next = try_next_host_after_send(outs);
            } else {
                for (const auto& r : msg.recipients) outs.push_back(session_failure(st, r));
            }
            co_await client.quit();
            if (events_) events_->on_event(clock_.now(), SmtpSession{message.id, remote, client.transcript()});
            std::vector<DeliveryOutcome> result;
            for (std::size_t i = 0; i < rcpts.size(); ++i) {
                smtp::RecipientOutcome o = i < outs.size() ? outs[i] : session_failure(st, msg.recipients[i]);
                result.push_back(DeliveryOutcome::smtp_result(sender, o, remote, attempt_no, clock_.now()));
                result.back().recipient = rcpts[i];
            }
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
