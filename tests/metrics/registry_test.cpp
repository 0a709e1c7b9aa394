// The exposition format, byte for byte (text format 0.0.4), and the registry's refusals.
#include "metrics/http.hpp"
#include "metrics/registry.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace relaylab::metrics;

TEST_CASE("a registry writes HELP, TYPE and samples in registration order, labels sorted by value", "[metrics]") {
    Registry r;
    auto& deliveries = r.counter("relaylab_deliveries_total", "Delivery results", {"disposition", "class"});
    auto& depth = r.gauge("relaylab_queue_messages", "Messages queued");
    deliveries.add({"delivered", "delivered"});
    deliveries.add({"bounced", "dns_nxdomain"}, 2);
    deliveries.add({"delivered", "delivered"});
    depth.set({}, 7);
    CHECK(r.expose() ==
          "# HELP relaylab_deliveries_total Delivery results\n"
          "# TYPE relaylab_deliveries_total counter\n"
          "relaylab_deliveries_total{disposition=\"bounced\",class=\"dns_nxdomain\"} 2\n"
          "relaylab_deliveries_total{disposition=\"delivered\",class=\"delivered\"} 2\n"
          "# HELP relaylab_queue_messages Messages queued\n"
          "# TYPE relaylab_queue_messages gauge\n"
          "relaylab_queue_messages 7\n");
    CHECK(deliveries.value({"bounced", "dns_nxdomain"}) == 2);
    CHECK(deliveries.value({"bounced", "nothing"}) == 0);
}

TEST_CASE("an unlabelled family shows 0 before its first event, a labelled one shows only touched samples", "[metrics]") {
    Registry r;
    r.counter("a_total", "A");
    auto& b = r.counter("b_total", "B", {"status"});
    CHECK(r.expose() == "# HELP a_total A\n# TYPE a_total counter\na_total 0\n# HELP b_total B\n# TYPE b_total counter\n");
    b.touch({"found"});
    CHECK(r.expose().ends_with("b_total{status=\"found\"} 0\n"));
}

TEST_CASE("label values and help text are escaped as the format says", "[metrics]") {
    CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    CHECK(escape_help("a\\b\"c\nd") == "a\\\\b\"c\\nd");  // a quote stays in HELP
    Registry r;
    r.counter("x_total", "line one\nline \\two", {"v"}).add({"say \"hi\"\n"});
    CHECK(r.expose() == "# HELP x_total line one\\nline \\\\two\n# TYPE x_total counter\n"
                        "x_total{v=\"say \\\"hi\\\"\\n\"} 1\n");
}

TEST_CASE("values: integers plainly, fractions at full precision, infinities and NaN by name", "[metrics]") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(12345678901) == "12345678901");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(0.5) == "0.5");
    CHECK(format_value(1e300) == "1.0000000000000001e+300");
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::nan("")) == "NaN");
}

TEST_CASE("the registry refuses bad names, duplicate names and labels, counters going down", "[metrics]") {
    Registry r;
    CHECK_THROWS_AS(r.counter("requests", "no _total suffix"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("9lives", "starts with a digit"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("a-b", "dash"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("g", "reserved label", {"__name"}), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("h", "le is the histogram's", {"le"}), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("i", "twice", {"x", "x"}), std::invalid_argument);
    auto& c = r.counter("c_total", "C", {"k"});
    CHECK_THROWS_AS(r.gauge("c_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(c.add({"a"}, -1), std::invalid_argument);
    CHECK_THROWS_AS(c.add({"a", "b"}), std::invalid_argument);
    CHECK_THROWS_AS(c.add({}), std::invalid_argument);
    c.set({"a"}, 5);
    CHECK_NOTHROW(c.set({"a"}, 5));
    CHECK_THROWS_AS(c.set({"a"}, 4), std::invalid_argument);
    CHECK(valid_metric_name("relaylab:rate_5m"));
    CHECK_FALSE(valid_label_name("a:b"));
}

TEST_CASE("a family's collect callback runs at every scrape, before its samples are written", "[metrics]") {
    Registry r;
    int depth = 3, scrapes = 0;
    r.gauge("depth", "D").on_collect([&](Family& f) {
        ++scrapes;
        f.set({}, depth);
    });
    CHECK(r.expose().ends_with("depth 3\n"));
    depth = 0;
    CHECK(r.expose().ends_with("depth 0\n"));
    CHECK(scrapes == 2);
}

TEST_CASE("the HTTP answer: /metrics for GET and HEAD, / points there, 404 and 405 otherwise", "[metrics][http]") {
    Registry r;
    r.gauge("g", "G").set({}, 1);
    auto a = answer("GET", "/metrics", r);
    CHECK(a.status == 200);
    CHECK(a.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(a.body == "# HELP g G\n# TYPE g gauge\ng 1\n");
    CHECK(answer("HEAD", "/metrics", r).body == a.body);
    CHECK(answer("GET", "/metrics?name[]=g", r).status == 200);
    CHECK(answer("GET", "/", r).status == 200);
    CHECK(answer("GET", "/metricsx", r).status == 404);
    CHECK(answer("GET", "", r).status == 404);
    auto post = answer("POST", "/metrics", r);
    CHECK(post.status == 405);
    CHECK(post.allow == "GET, HEAD");
    CHECK(answer("DELETE", "/nothing", r).status == 404);
}
