// The live log: every gateway event as a Postfix-shaped line (or a JSON line), the way operators
// grep maillog. The scenario timeline is another EventSink.
#pragma once

#include "log/events.hpp"
#include "log/logline.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <optional>
#include <ostream>

namespace relaylab::gw {

// The log form of one attempt's result.
DeliveryEvent delivery_event(const AttemptResult& r);
// The words of a destination's window change, after "relaylab/qmgr: ":
// "isp.example: concurrency 10 -> 9 (limit 20): refused by mx1.isp.example[127.0.0.10]: 421 4.7.0 ...".
std::string destination_window_line(const DestinationWindow& w);

// Lines are flushed once per turn of the loop that runs `ex` (a handler posted at the first line of
// a turn), not per line: under load one write carries every line of a turn (it was two writes per
// relayed message). Without an executor every line is flushed at once.
class Journal final : public EventSink {
public:
    Journal(std::ostream& out, bool json) : out_(out), json_(json) {}
    Journal(std::ostream& out, bool json, boost::asio::any_io_executor ex) : out_(out), json_(json), ex_(std::move(ex)) {}
    ~Journal() override;
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;
    void on_event(TimePoint at, const GatewayEvent& event) override;

private:
    void flush_soon();

    std::ostream& out_;
    bool json_;
    std::optional<boost::asio::any_io_executor> ex_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // a posted flush outliving us does nothing
    bool flush_posted_ = false;
};

}  // namespace relaylab::gw
