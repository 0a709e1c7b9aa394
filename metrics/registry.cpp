#include "metrics/registry.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace relaylab::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return alpha || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view s, bool colon) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!name_char(s[i], i == 0, colon)) return false;
    return true;
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) {
    return valid_name(name, false) && !name.starts_with("__") && name != "le" && name != "quantile";
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // Integers (every counter here) without an exponent or fraction, while a double holds them exactly.
    constexpr double exact = 9007199254740992.0;  // 2^53
    if (v == std::floor(v) && std::fabs(v) <= exact) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

Family::Family(std::string name, std::string help, Kind kind, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), kind_(kind), label_names_(std::move(label_names)) {}

void Family::check_labels(const LabelValues& labels) const {
    if (labels.size() != label_names_.size())
        throw std::invalid_argument(name_ + ": " + std::to_string(labels.size()) + " label values for " +
                                    std::to_string(label_names_.size()) + " label names");
}

void Family::add(const LabelValues& labels, double delta) {
    check_labels(labels);
    if (kind_ == Kind::Counter && !(delta >= 0)) throw std::invalid_argument(name_ + ": a counter cannot go down");
    samples_[labels] += delta;
}

void Family::set(const LabelValues& labels, double value) {
    check_labels(labels);
    auto& sample = samples_[labels];
    if (kind_ == Kind::Counter && !(value >= sample))
        throw std::invalid_argument(name_ + ": a counter cannot go down (" + format_value(sample) + " to " +
                                    format_value(value) + ")");
    sample = value;
}

void Family::touch(const LabelValues& labels) {
    check_labels(labels);
    samples_.try_emplace(labels, 0.0);
}

double Family::value(const LabelValues& labels) const {
    auto it = samples_.find(labels);
    return it == samples_.end() ? 0.0 : it->second;
}

void Family::expose(std::string& out) {
    if (collect_) collect_(*this);
    out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
    out += "# TYPE " + name_ + (kind_ == Kind::Counter ? " counter\n" : " gauge\n");
    // A family without labels that nothing has touched still shows its 0: "no events yet" is a value.
    if (samples_.empty() && label_names_.empty()) samples_[{}] = 0;
    for (const auto& [labels, v] : samples_) {
        out += name_;
        if (!labels.empty()) {
            out += '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                if (i) out += ',';
                out += label_names_[i] + "=\"" + escape_label_value(labels[i]) + "\"";
            }
            out += '}';
        }
        out += ' ' + format_value(v) + '\n';
    }
}

Family& Registry::add(std::string name, std::string help, Kind kind, std::vector<std::string> label_names) {
    if (!valid_metric_name(name)) throw std::invalid_argument("metric name \"" + name + "\" is not valid");
    if (kind == Kind::Counter && !name.ends_with("_total"))
        throw std::invalid_argument("counter \"" + name + "\" must end in _total");
    if (find(name)) throw std::invalid_argument("metric \"" + name + "\" is registered twice");
    for (std::size_t i = 0; i < label_names.size(); ++i) {
        if (!valid_label_name(label_names[i]))
            throw std::invalid_argument(name + ": label name \"" + label_names[i] + "\" is not valid");
        for (std::size_t j = 0; j < i; ++j)
            if (label_names[j] == label_names[i])
                throw std::invalid_argument(name + ": label \"" + label_names[i] + "\" given twice");
    }
    families_.push_back(std::make_unique<Family>(std::move(name), std::move(help), kind, std::move(label_names)));
    return *families_.back();
}

Family& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
    return add(std::move(name), std::move(help), Kind::Counter, std::move(label_names));
}

Family& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
    return add(std::move(name), std::move(help), Kind::Gauge, std::move(label_names));
}

std::string Registry::expose() {
    std::string out;
    for (auto& f : families_) f->expose(out);
    return out;
}

const Family* Registry::find(std::string_view name) const {
    for (const auto& f : families_)
        if (f->name() == name) return f.get();
    return nullptr;
}

}  // namespace relaylab::metrics
