// The live log: every gateway event as a Postfix-shaped line (or a JSON line), the way operators
// grep maillog. The scenario timeline is another EventSink.
#pragma once

#include "gateway/events.hpp"
#include "gateway/logline.hpp"

#include <ostream>

namespace relaylab::gw {

// The log form of one attempt's result.
DeliveryEvent delivery_event(const AttemptResult& r);

class Journal final : public EventSink {
public:
    Journal(std::ostream& out, bool json) : out_(out), json_(json) {}
    void on_event(TimePoint at, const GatewayEvent& event) override;

private:
    std::ostream& out_;
    bool json_;
};

}  // namespace relaylab::gw
