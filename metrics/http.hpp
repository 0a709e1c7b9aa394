// What the metrics endpoint answers to a request line, without sockets: GET or HEAD /metrics is
// the exposition; / points there; anything else is 404 or 405. The Beast driver (server.hpp)
// carries the bytes; this is the part the unit tests hold to the letter.
#pragma once

#include "metrics/registry.hpp"

#include <string>
#include <string_view>

namespace relaylab::metrics {

struct HttpAnswer {
    unsigned status = 200;
    std::string content_type;
    std::string body;      // for HEAD: the body a GET would get; the driver sends only its length
    std::string allow;     // with 405: the methods allowed
};

// `target` is the request-target as sent ("/metrics?x=1" is /metrics: Prometheus may add params).
HttpAnswer answer(std::string_view method, std::string_view target, Registry& registry);

}  // namespace relaylab::metrics
