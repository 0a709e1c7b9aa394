#include "app/metrics_glue.hpp"

#include "app/endpoint.hpp"

#include "taxonomy/classify.hpp"
#include "resolver/result.hpp"

namespace relaylab::app {

namespace {

std::string disposition_name(gw::Disposition d) {
    switch (d) {
    case gw::Disposition::Delivered: return "delivered";
    case gw::Disposition::Bounced: return "bounced";
    case gw::Disposition::Deferred: return "deferred";
    case gw::Disposition::Expired: return "expired";
    }
    return "unknown";
}

}  // namespace

GatewayMetrics::GatewayMetrics(metrics::Registry& r)
    : registry_(r),
      accepted_messages_(r.counter("relaylab_messages_accepted_total", "Messages accepted from handsets (answered 250)")),
      accepted_recipients_(r.counter("relaylab_recipients_accepted_total", "Recipients of the messages accepted")),
      attempts_(r.counter("relaylab_deliveries_total",
                          "Delivery attempts' results per recipient, by disposition (delivered, bounced, deferred, "
                          "expired) and failure class (docs/taxonomy.md; delivered for a delivery)",
                          {"disposition", "class"})),
      notices_(r.counter("relaylab_notices_total",
                         "Notices written to handsets' Maildirs, by kind (failure, delay) and the cause their words claim",
                         {"kind", "claim"})),
      notice_errors_(r.counter("relaylab_notice_write_errors_total",
                               "Failed Maildir writes of notices (each is tried again)")),
      mx_lookups_(r.counter("relaylab_dns_mx_lookups_total", "MX lookups of recipient domains, by result", {"status"})),
      host_lookups_(r.counter("relaylab_dns_host_lookups_total",
                              "Address (A/AAAA) lookups of MX hosts, by result (found: the host has an address)",
                              {"status"})),
      smtp_sessions_(r.counter("relaylab_smtp_sessions_total", "Outbound SMTP sessions to remote MX hosts")) {}

void GatewayMetrics::on_event(TimePoint at, const gw::GatewayEvent& event) {
    std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, gw::MessageAccepted>) {
                accepted_messages_.add({});
                accepted_recipients_.add({}, static_cast<double>(e.recipients.size()));
            } else if constexpr (std::is_same_v<E, gw::MxLookup>) {
                mx_lookups_.add({std::string(dns::to_string(e.result.status))});
                for (const auto& host : e.result.hosts)
                    host_lookups_.add({std::string(dns::to_string(host.address_status))});
            } else if constexpr (std::is_same_v<E, gw::SmtpSession>) {
                smtp_sessions_.add({});
            } else if constexpr (std::is_same_v<E, gw::AttemptResult>) {
                attempts_.add({disposition_name(e.disposition),
                               std::string(gw::to_string(e.outcome.classification.failure))});
            } else if constexpr (std::is_same_v<E, gw::NoticeWritten>) {
                notices_.add({std::string(gw::to_string(e.kind)), std::string(gw::to_string(e.claims))});
            } else if constexpr (std::is_same_v<E, gw::NoticeFailed>) {
                notice_errors_.add({});
            }
        },
        event);
    if (next_) next_->on_event(at, event);
}

void GatewayMetrics::watch(const gw::Relay& relay, const gw::Intake& intake, const gw::Spool* spool) {
    registry_.gauge("relaylab_queue_messages", "Messages in the queue (not every recipient final)")
        .on_collect([&relay](metrics::Family& f) { f.set({}, static_cast<double>(relay.queue().messages())); });
    registry_.gauge("relaylab_queue_recipients", "Recipients in the queue by state: waiting for an attempt, or in flight",
                    {"state"})
        .on_collect([&relay](metrics::Family& f) {
            std::size_t waiting = 0, in_flight = 0;
            for (auto id : relay.queue().ids())
                if (const auto* m = relay.queue().find(id))
                    for (const auto& r : m->recipients) {
                        if (r.state == gw::RecipientState::Waiting) ++waiting;
                        if (r.state == gw::RecipientState::InFlight) ++in_flight;
                    }
            f.set({"waiting"}, static_cast<double>(waiting));
            f.set({"in_flight"}, static_cast<double>(in_flight));
        });
    registry_.gauge("relaylab_deliveries_in_flight", "Delivery jobs (SMTP transactions) in flight")
        .on_collect([&relay](metrics::Family& f) { f.set({}, static_cast<double>(relay.in_flight())); });
    registry_.gauge("relaylab_notices_pending", "Notices not yet written to the handset's Maildir")
        .on_collect([&relay](metrics::Family& f) { f.set({}, static_cast<double>(relay.notices_pending())); });
    registry_.gauge("relaylab_intake_open_sessions", "Handset SMTP sessions open now")
        .on_collect([&intake](metrics::Family& f) { f.set({}, static_cast<double>(intake.open_sessions())); });
    registry_.counter("relaylab_intake_sessions_total", "Handset SMTP sessions opened")
        .on_collect([&intake](metrics::Family& f) { f.set({}, static_cast<double>(intake.counts().sessions)); });
    registry_.counter("relaylab_intake_refusals_total",
                      "Intake refusals: network (554, not an allowed network), address (MAIL FROM or RCPT TO refused), "
                      "queue_write (451, the spool write failed), protocol (the SMTP core's own: syntax, order, size, "
                      "STARTTLS first, timeouts)",
                      {"reason"})
        .on_collect([&intake](metrics::Family& f) {
            const auto& c = intake.counts();
            f.set({"network"}, static_cast<double>(c.refused_network));
            // What the SMTP core refused on its own (syntax, order, size, STARTTLS first, ...): every
            // negative reply less the policy's own refusals counted above.
            std::uint64_t negative = 0;
            for (const auto& [code, n] : c.negative_replies) negative += n;
            const std::uint64_t policy = c.refused_network + c.refused_address + c.refused_queue;
            f.set({"protocol"}, static_cast<double>(negative > policy ? negative - policy : 0));
            f.set({"address"}, static_cast<double>(c.refused_address));
            f.set({"queue_write"}, static_cast<double>(c.refused_queue));
        });
    registry_.counter("relaylab_intake_negative_replies_total", "Intake's 4xx and 5xx replies, by reply code", {"code"})
        .on_collect([&intake](metrics::Family& f) {
            for (const auto& [code, n] : intake.counts().negative_replies) f.set({std::to_string(code)}, static_cast<double>(n));
        });
    registry_.counter("relaylab_spool_records_total", "Records appended to the spool log (write(2) each)")
        .on_collect([spool](metrics::Family& f) { f.set({}, spool ? static_cast<double>(spool->appended()) : 0.0); });
    registry_.counter("relaylab_spool_syncs_total", "fdatasync calls on the spool log (group commits)")
        .on_collect([spool](metrics::Family& f) { f.set({}, spool ? static_cast<double>(spool->syncs()) : 0.0); });
    registry_.counter("relaylab_spool_errors_total",
                      "Spool write errors: accept (a message refused with 451), state_change (a recipient's new state "
                      "unrecorded; it is retried)",
                      {"when"})
        .on_collect([&relay, &intake](metrics::Family& f) {
            f.set({"accept"}, static_cast<double>(intake.counts().refused_queue));
            f.set({"state_change"}, static_cast<double>(relay.spool_errors()));
        });
}

ServeMetrics::ServeMetrics(const gw::GatewayConfig& cfg) {
    if (!cfg.metrics_listen) return;
    auto ep = parse_endpoint(*cfg.metrics_listen);
    if (!ep) throw std::invalid_argument("metrics_listen: \"" + *cfg.metrics_listen + "\" is not a numeric address:port");
    if (!is_loopback(ep->host) && !cfg.metrics_allow_remote)
        throw std::invalid_argument("metrics_listen " + ep->host +
                                    " is not a loopback address: set metrics_allow_remote to true to serve metrics "
                                    "there (they show what the relay carries)");
    host_ = ep->host;
    port_ = ep->port;
    allow_remote_ = cfg.metrics_allow_remote;
    events_.emplace(registry_);
}

gw::EventSink* ServeMetrics::sink(gw::EventSink* next) {
    if (!events_) return next;
    events_->pass_to(next);
    return &*events_;
}

std::unique_ptr<metrics::Server> ServeMetrics::start(boost::asio::any_io_executor ex, Clock& clock,
                                                     const gw::Relay& relay, const gw::Intake& intake,
                                                     const gw::Spool* spool) {
    if (!events_) return nullptr;
    events_->watch(relay, intake, spool);
    return std::make_unique<metrics::Server>(ex, clock, registry_, host_, port_, allow_remote_);
}

}  // namespace relaylab::app
