// relaylab serve's Prometheus metrics (docs/operations.md): the gateway side that feeds metrics/.
// GatewayMetrics counts the relay's events on their way to the journal (it is the Relay's
// EventSink and passes each event on), and reads the queue, the intake and the spool at scrape time.
#pragma once

#include "log/events.hpp"
#include "intake/intake.hpp"
#include "relay/config.hpp"
#include "relay/relay.hpp"
#include "queue/spool.hpp"
#include "metrics/registry.hpp"
#include "metrics/server.hpp"

#include <memory>
#include <optional>

namespace relaylab::app {

class GatewayMetrics final : public gw::EventSink {
public:
    // Registers every family in `registry`.
    explicit GatewayMetrics(metrics::Registry& registry);
    // Where each event goes on to (the journal); null: nowhere.
    void pass_to(gw::EventSink* next) { next_ = next; }

    void on_event(TimePoint at, const gw::GatewayEvent& event) override;

    // Gauges and the counters the relay, intake and spool keep themselves, read at each scrape.
    // They must outlive every scrape (serve destroys the metrics server first).
    void watch(const gw::Relay& relay, const gw::Intake& intake, const gw::Spool* spool);

private:
    gw::EventSink* next_ = nullptr;
    metrics::Registry& registry_;
    metrics::Family& accepted_messages_;
    metrics::Family& accepted_recipients_;
    metrics::Family& attempts_;
    metrics::Family& notices_;
    metrics::Family& notice_errors_;
    metrics::Family& mx_lookups_;
    metrics::Family& host_lookups_;
    metrics::Family& smtp_sessions_;
};

// Everything serve needs for metrics, off unless the config sets metrics_listen.
class ServeMetrics {
public:
    // Checks metrics_listen and metrics_allow_remote at once (std::invalid_argument naming the key),
    // so that a bad address stops serve before it listens for handsets.
    explicit ServeMetrics(const gw::GatewayConfig& cfg);
    bool enabled() const { return events_.has_value(); }
    // What the Relay reports its events to: counted here, then passed to `next`; off: `next` itself.
    gw::EventSink* sink(gw::EventSink* next);
    // Binds the endpoint on `ex` and starts answering scrapes (null when off). Throws
    // boost::system::system_error when the address cannot be bound. The caller destroys the
    // endpoint before the relay, the intake, the spool and the io_context it runs on.
    std::unique_ptr<metrics::Server> start(boost::asio::any_io_executor ex, Clock& clock, const gw::Relay& relay,
                                           const gw::Intake& intake, const gw::Spool* spool);

private:
    std::string host_;
    unsigned short port_ = 0;
    bool allow_remote_ = false;
    metrics::Registry registry_;
    std::optional<GatewayMetrics> events_;
};

}  // namespace relaylab::app
