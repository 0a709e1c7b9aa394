// Prometheus metrics without sockets: a registry of counters and gauges (some read through a
// callback at scrape time) and the text exposition format 0.0.4 that Prometheus scrapes
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Not thread-safe: one io_context
// thread owns it, as it owns the relay that feeds it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::metrics {

enum class Kind { Counter, Gauge };

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

// One family: a metric name, its help text and type, and one sample per distinct label values.
class Family {
public:
    Family(std::string name, std::string help, Kind kind, std::vector<std::string> label_names);

    const std::string& name() const { return name_; }
    Kind kind() const { return kind_; }
    const std::vector<std::string>& label_names() const { return label_names_; }

    // Adds to the sample with these label values (created at 0 on first use). A counter only goes
    // up: a negative delta is refused (std::invalid_argument), as is a wrong number of labels.
    void add(const LabelValues& labels, double delta = 1);
    // Sets a sample: a gauge to anything, a counter (one the relay keeps itself, read at scrape
    // time) only to a value not below its current one (std::invalid_argument).
    void set(const LabelValues& labels, double value);
    // Makes a sample exist at 0, so that a rate over it is defined before its first event.
    void touch(const LabelValues& labels);
    double value(const LabelValues& labels) const;  // 0 when absent

    // Called at every scrape, before the samples are written: it may set() or add() them (a queue
    // depth read from the relay, a counter the relay keeps itself).
    void on_collect(std::function<void(Family&)> collect) { collect_ = std::move(collect); }

    // The family's # HELP and # TYPE lines and its samples, sorted by label values.
    void expose(std::string& out);

private:
    void check_labels(const LabelValues& labels) const;

    std::string name_, help_;
    Kind kind_;
    std::vector<std::string> label_names_;
    std::map<LabelValues, double> samples_;
    std::function<void(Family&)> collect_;
};

class Registry {
public:
    // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and labels [a-zA-Z_][a-zA-Z0-9_]* (not "__…", not
    // "le"/"quantile"), and a counter's name ends in _total; a name is registered once. Violations
    // throw std::invalid_argument: they are programming errors, found by the first test run.
    Family& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
    Family& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});

    // The whole exposition, families in registration order.
    std::string expose();
    const Family* find(std::string_view name) const;

private:
    Family& add(std::string name, std::string help, Kind kind, std::vector<std::string> label_names);
    std::vector<std::unique_ptr<Family>> families_;
};

// The exposition format's escapes: in label values \ " and newline; in HELP text \ and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// A sample value as the format writes it: integers without a fraction, +Inf/-Inf/NaN by name.
std::string format_value(double v);
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// The Content-Type of the text format.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace relaylab::metrics
