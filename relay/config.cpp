#include "relay/config.hpp"

#include "clock/duration.hpp"

namespace relaylab::gw {

using nlohmann::json;
using ptr = json::json_pointer;

namespace {

struct Reader {
    const JsonSource& src;
    ptr base;

    const json& at(const ptr& p) const { return src.root().at(p); }
    bool has(const ptr& p) const { return src.root().contains(p); }

    std::string string(const ptr& p) const {
        if (!at(p).is_string()) throw src.error_at(p, "expected a string");
        return at(p).get<std::string>();
    }
    long long integer(const ptr& p, long long lo, long long hi) const {
        if (!at(p).is_number_integer()) throw src.error_at(p, "expected an integer");
        auto v = at(p).get<long long>();
        if (v < lo || v > hi)
            throw src.error_at(p, "out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
        return v;
    }
    Duration duration(const ptr& p) const {
        auto d = parse_duration(string(p));
        if (!d) throw src.error_at(p, "not a duration (write e.g. \"300s\", \"5m\", \"1h\", \"5d\")");
        return *d;
    }
    std::vector<std::string> strings(const ptr& p) const {
        if (!at(p).is_array()) throw src.error_at(p, "expected an array of strings");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < at(p).size(); ++i) out.push_back(string(p / i));
        return out;
    }
    std::string one_of(const ptr& p, std::initializer_list<std::string_view> allowed) const {
        auto v = string(p);
        for (auto a : allowed)
            if (v == a) return v;
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        throw src.error_at(p, "\"" + v + "\" is not one of: " + list);
    }
};

bool is_host_port(const std::string& s) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
    // At most five digits: a longer run of digits would overflow stoul (it threw out_of_range).
    constexpr std::size_t max_port_digits = 5;
    if (s.size() - colon - 1 > max_port_digits) return false;
    for (std::size_t i = colon + 1; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return std::stoul(s.substr(colon + 1)) <= 65535;
}

// Destination shaping (docs/shaping.md): the defaults for every destination, then each listed
// destination's own, whose missing keys take those defaults.
void read_shaping(const Reader& r, const ptr& p, QueueLimits& q) {
    constexpr long long max_per_session = 1000000, max_per_minute = 1000000;
    if (r.has(p / "max_messages_per_session"))
        q.max_messages_per_session = static_cast<std::size_t>(r.integer(p / "max_messages_per_session", 0, max_per_session));
    if (r.has(p / "max_new_sessions_per_minute"))
        q.max_new_sessions_per_minute =
            static_cast<std::size_t>(r.integer(p / "max_new_sessions_per_minute", 0, max_per_minute));
    if (!r.has(p / "destinations")) return;
    const auto& d = r.at(p / "destinations");
    if (!d.is_object()) throw r.src.error_at(p / "destinations", "expected an object of domain: limits");
    for (const auto& item : d.items()) {
        const ptr e = p / "destinations" / item.key();
        if (!r.at(e).is_object()) throw r.src.error_at(e, "expected an object of limits");
        r.src.reject_unknown_keys(e, {"destination_concurrency", "max_messages_per_session", "max_new_sessions_per_minute"});
        DestinationLimits l{q.destination_concurrency, q.max_messages_per_session, q.max_new_sessions_per_minute};
        if (r.has(e / "destination_concurrency"))
            l.concurrency = static_cast<std::size_t>(r.integer(e / "destination_concurrency", 1, 100000));
        if (r.has(e / "max_messages_per_session"))
            l.messages_per_session = static_cast<std::size_t>(r.integer(e / "max_messages_per_session", 0, max_per_session));
        if (r.has(e / "max_new_sessions_per_minute"))
            l.new_sessions_per_minute =
                static_cast<std::size_t>(r.integer(e / "max_new_sessions_per_minute", 0, max_per_minute));
        std::string key = item.key();
        for (auto& ch : key) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        while (!key.empty() && key.back() == '.') key.pop_back();
        q.destinations[key] = l;
    }
}

}  // namespace

GatewayConfig read_config(const JsonSource& src, const ptr& base) {
    GatewayConfig c;
    Reader r{src, base};
    if (!src.root().contains(base) || !src.root().at(base).is_object())
        throw src.error_at(base, "expected a gateway configuration object");
    src.reject_unknown_keys(base, {"hostname", "intake", "intake_allow", "dns_servers", "dns_timeout_ms", "dns_tries",
                                   "mx_port", "policy", "local_part", "notice_charset", "notice_language", "retry", "queue", "limits",
                                   "max_mx_hosts", "inet_protocols", "mailboxes", "spool", "log", "log_json", "stop_timeout",
                                   "metrics_listen", "metrics_allow_remote", "tls"});
    auto k = [&](const char* key) { return base / key; };
    if (r.has(k("hostname"))) c.hostname = r.string(k("hostname"));
    if (r.has(k("intake"))) {
        c.intake = r.string(k("intake"));
        if (!is_host_port(c.intake)) throw src.error_at(k("intake"), "expected \"address:port\"");
    }
    if (r.has(k("intake_allow"))) c.intake_allow = r.strings(k("intake_allow"));
    if (r.has(k("dns_servers"))) {
        c.dns_servers = r.strings(k("dns_servers"));
        if (c.dns_servers.empty()) throw src.error_at(k("dns_servers"), "at least one DNS server is needed");
        for (std::size_t i = 0; i < c.dns_servers.size(); ++i)
            if (!is_host_port(c.dns_servers[i]))
                throw src.error_at(k("dns_servers") / i, "expected \"address:port\"");
    }
    if (r.has(k("dns_timeout_ms"))) c.dns_timeout = std::chrono::milliseconds(r.integer(k("dns_timeout_ms"), 1, 600000));
    if (r.has(k("dns_tries"))) c.dns_tries = static_cast<int>(r.integer(k("dns_tries"), 1, 10));
    if (r.has(k("mx_port"))) c.mx_port = static_cast<unsigned short>(r.integer(k("mx_port"), 1, 65535));
    if (r.has(k("policy"))) c.policy = r.string(k("policy"));
    if (r.has(k("local_part"))) c.local_part = r.one_of(k("local_part"), {"pass", "quote", "reject"});
    if (r.has(k("notice_charset"))) c.notice_charset = r.one_of(k("notice_charset"), {"ISO-2022-JP", "UTF-8"});
    if (r.has(k("notice_language"))) c.notice_language = r.one_of(k("notice_language"), {"ja", "en"});
    if (r.has(k("retry"))) {
        auto p = k("retry");
        src.reject_unknown_keys(p, {"min_backoff", "max_backoff", "lifetime", "delay_warning"});
        if (r.has(p / "min_backoff")) c.retry.min_backoff = r.duration(p / "min_backoff");
        if (r.has(p / "max_backoff")) c.retry.max_backoff = r.duration(p / "max_backoff");
        if (r.has(p / "lifetime")) c.retry.lifetime = r.duration(p / "lifetime");
        // "0s", the default `config --defaults` prints, is off (as Postfix's delay_warning_time = 0h).
        if (r.has(p / "delay_warning"))
            if (auto d = r.duration(p / "delay_warning"); d > Duration::zero()) c.retry.delay_warning = d;
        if (c.retry.min_backoff > c.retry.max_backoff)
            throw src.error_at(p / "min_backoff", "min_backoff is longer than max_backoff");
    }
    if (r.has(k("queue"))) {
        auto p = k("queue");
        src.reject_unknown_keys(p, {"destination_concurrency", "recipients_per_job", "max_sessions",
                                    "max_messages_per_session", "max_new_sessions_per_minute", "destinations"});
        if (r.has(p / "max_sessions"))
            c.queue.max_sessions = static_cast<std::size_t>(r.integer(p / "max_sessions", 1, 1000000));
        if (r.has(p / "destination_concurrency"))
            c.queue.destination_concurrency = static_cast<std::size_t>(r.integer(p / "destination_concurrency", 1, 100000));
        if (r.has(p / "recipients_per_job"))
            c.queue.recipients_per_job = static_cast<std::size_t>(r.integer(p / "recipients_per_job", 1, 1000));
        read_shaping(r, p, c.queue);
    }
    if (r.has(k("limits"))) {
        auto p = k("limits");
        src.reject_unknown_keys(p, {"max_message_size", "max_recipients", "max_line_length", "idle_timeout"});
        if (r.has(p / "max_message_size"))
            c.limits.max_message_size = static_cast<std::size_t>(r.integer(p / "max_message_size", 1024, 1LL << 31));
        if (r.has(p / "max_recipients"))
            c.limits.max_recipients = static_cast<std::size_t>(r.integer(p / "max_recipients", 1, 100000));
        if (r.has(p / "max_line_length"))
            c.limits.max_line_length = static_cast<std::size_t>(r.integer(p / "max_line_length", 512, 1 << 20));
        if (r.has(p / "idle_timeout")) c.limits.idle_timeout = r.duration(p / "idle_timeout");
    }
    if (r.has(k("max_mx_hosts"))) c.max_mx_hosts = static_cast<std::size_t>(r.integer(k("max_mx_hosts"), 1, 32));
    if (r.has(k("inet_protocols"))) c.inet_protocols = r.one_of(k("inet_protocols"), {"ipv4", "ipv6", "all"});
    if (r.has(k("mailboxes"))) c.mailboxes = r.string(k("mailboxes"));
    if (r.has(k("spool"))) {
        const auto& v = r.at(k("spool"));
        if (v.is_boolean() && !v.get<bool>()) c.spool.reset();
        else if (v.is_string() && !v.get<std::string>().empty()) c.spool = v.get<std::string>();
        else if (v.is_boolean())
            throw src.error_at(k("spool"), "true names no directory: write a directory, or false for memory-only");
        else throw src.error_at(k("spool"), "expected a directory (a non-empty string), or false for memory-only");
    }
    if (r.has(k("log"))) c.log = r.string(k("log"));
    if (r.has(k("log_json"))) {
        if (!r.at(k("log_json")).is_boolean()) throw src.error_at(k("log_json"), "expected true or false");
        c.log_json = r.at(k("log_json")).get<bool>();
    }
    if (r.has(k("stop_timeout"))) c.stop_timeout = r.duration(k("stop_timeout"));
    if (r.has(k("metrics_listen"))) {
        const auto& v = r.at(k("metrics_listen"));
        if (v.is_boolean() && !v.get<bool>()) c.metrics_listen.reset();
        else if (v.is_string() && is_host_port(v.get<std::string>())) c.metrics_listen = v.get<std::string>();
        else throw src.error_at(k("metrics_listen"), "expected \"address:port\", or false for no metrics");
    }
    if (r.has(k("metrics_allow_remote"))) {
        if (!r.at(k("metrics_allow_remote")).is_boolean())
            throw src.error_at(k("metrics_allow_remote"), "expected true or false");
        c.metrics_allow_remote = r.at(k("metrics_allow_remote")).get<bool>();
    }
    if (r.has(k("tls"))) {
        auto p = k("tls");
        if (!r.at(p).is_object()) throw src.error_at(p, "expected an object");
        src.reject_unknown_keys(p, {"outbound", "ca_file", "destinations", "intake", "cert_file", "key_file"});
        const std::initializer_list<std::string_view> levels{"none", "may", "encrypt", "verify"};
        if (r.has(p / "outbound")) c.tls.outbound = r.one_of(p / "outbound", levels);
        if (r.has(p / "ca_file")) c.tls.ca_file = r.string(p / "ca_file");
        if (r.has(p / "destinations")) {
            const auto& d = r.at(p / "destinations");
            if (!d.is_object()) throw src.error_at(p / "destinations", "expected an object of domain: level");
            for (const auto& item : d.items()) {
                const std::string& domain = item.key();
                std::string key = domain;
                for (auto& ch : key) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
                c.tls.destinations[key] = r.one_of(p / "destinations" / domain, levels);
            }
        }
        if (r.has(p / "intake")) c.tls.intake = r.one_of(p / "intake", {"none", "may", "required"});
        if (r.has(p / "cert_file")) c.tls.cert_file = r.string(p / "cert_file");
        if (r.has(p / "key_file")) c.tls.key_file = r.string(p / "key_file");
        if (c.tls.intake != "none" && (c.tls.cert_file.empty() || c.tls.key_file.empty()))
            throw src.error_at(p / "intake", "intake STARTTLS needs cert_file and key_file");
    }
    return c;
}

json config_to_json(const GatewayConfig& c) {
    json j;
    j["hostname"] = c.hostname;
    j["intake"] = c.intake;
    j["intake_allow"] = c.intake_allow;
    j["dns_servers"] = c.dns_servers;
    j["dns_timeout_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(c.dns_timeout).count();
    j["dns_tries"] = c.dns_tries;
    j["mx_port"] = c.mx_port;
    j["policy"] = c.policy;
    j["local_part"] = c.local_part;
    j["notice_charset"] = c.notice_charset;
    j["notice_language"] = c.notice_language;
    j["retry"] = {{"min_backoff", format_duration(c.retry.min_backoff)},
                  {"max_backoff", format_duration(c.retry.max_backoff)},
                  {"lifetime", format_duration(c.retry.lifetime)}};
    j["retry"]["delay_warning"] = format_duration(c.retry.delay_warning.value_or(Duration::zero()));  // "0s": off
    j["queue"] = {{"destination_concurrency", c.queue.destination_concurrency},
                  {"recipients_per_job", c.queue.recipients_per_job},
                  {"max_sessions", c.queue.max_sessions},
                  {"max_messages_per_session", c.queue.max_messages_per_session},
                  {"max_new_sessions_per_minute", c.queue.max_new_sessions_per_minute},
                  {"destinations", json::object()}};
    for (const auto& [domain, l] : c.queue.destinations)
        j["queue"]["destinations"][domain] = {{"destination_concurrency", l.concurrency},
                                              {"max_messages_per_session", l.messages_per_session},
                                              {"max_new_sessions_per_minute", l.new_sessions_per_minute}};
    j["limits"] = {{"max_message_size", c.limits.max_message_size},
                   {"max_recipients", c.limits.max_recipients},
                   {"max_line_length", c.limits.max_line_length},
                   {"idle_timeout", format_duration(c.limits.idle_timeout)}};
    j["max_mx_hosts"] = c.max_mx_hosts;
    j["inet_protocols"] = c.inet_protocols;
    j["mailboxes"] = c.mailboxes;
    j["spool"] = c.spool ? json(*c.spool) : json(false);
    if (c.log) j["log"] = *c.log;
    j["log_json"] = c.log_json;
    j["stop_timeout"] = format_duration(c.stop_timeout);
    j["metrics_listen"] = c.metrics_listen ? json(*c.metrics_listen) : json(false);
    j["metrics_allow_remote"] = c.metrics_allow_remote;
    j["tls"] = {{"outbound", c.tls.outbound}, {"ca_file", c.tls.ca_file}, {"destinations", json::object()},
                {"intake", c.tls.intake}, {"cert_file", c.tls.cert_file}, {"key_file", c.tls.key_file}};
    for (const auto& [domain, level] : c.tls.destinations) j["tls"]["destinations"][domain] = level;
    return j;
}

}  // namespace relaylab::gw
