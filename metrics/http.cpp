#include "metrics/http.hpp"

namespace relaylab::metrics {

HttpAnswer answer(std::string_view method, std::string_view target, Registry& registry) {
    auto path = target.substr(0, target.find('?'));
    HttpAnswer a;
    if (path != "/metrics" && path != "/") {
        a.status = 404;
        a.content_type = "text/plain; charset=utf-8";
        a.body = "not found: the metrics are at /metrics\n";
        return a;
    }
    if (method != "GET" && method != "HEAD") {
        a.status = 405;
        a.allow = "GET, HEAD";
        a.content_type = "text/plain; charset=utf-8";
        a.body = "method not allowed: GET or HEAD\n";
        return a;
    }
    if (path == "/") {
        a.content_type = "text/plain; charset=utf-8";
        a.body = "relaylab serve: Prometheus metrics at /metrics\n";
        return a;
    }
    a.content_type = std::string(content_type);
    a.body = registry.expose();
    return a;
}

}  // namespace relaylab::metrics
