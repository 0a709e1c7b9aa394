// Scenario JSON → Scenario. Every mistake is a JsonSourceError at the offending key (file:line:col);
// reading goes on past a mistake to the next part of the file, so one run of the loader names them all.
#include "scenarios/scenario.hpp"

#include "clock/duration.hpp"
#include "taxonomy/classify.hpp"
#include "bounce/policy.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <string_view>

namespace relaylab::scn {

using nlohmann::json;
using ptr = json::json_pointer;

bool Scenario::has_external() const {
    return std::any_of(remotes.begin(), remotes.end(), [](const RemoteSpec& r) { return r.external_ip.has_value(); });
}

namespace {

class Reader {
public:
    explicit Reader(const JsonSource& src) : src_(src) {}

    const json& at(const ptr& p) const { return src_.root().at(p); }
    bool has(const ptr& p) const { return src_.root().contains(p); }
    // A mistake that leaves nothing sensible to read below `p`: the enclosing part() records it.
    [[noreturn]] void fail(const ptr& p, const std::string& msg) const { throw src_.error_at(p, last(p) + msg); }
    // A mistake that does not stop reading (a value outside its set): recorded, reading goes on.
    void note(const ptr& p, const std::string& msg) const { keep(src_.error_at(p, last(p) + msg)); }
    // Reads one part of the file (a remote, a submission, an expectation, a section); a mistake in it
    // is recorded and reading goes on with the next part.
    template <class Read>
    void part(Read&& read) const {
        try {
            read();
        } catch (const ScenarioErrors&) {
            throw;
        } catch (const JsonSourceError& e) {
            keep(e);
        }
    }
    // Throws every mistake recorded so far, if any.
    void throw_mistakes() const {
        if (!mistakes_.empty()) throw ScenarioErrors(mistakes_);
    }

    const json& object(const ptr& p, std::initializer_list<std::string_view> keys) const {
        const json& j = at(p);
        if (!j.is_object()) fail(p, "expected an object");
        src_.reject_unknown_keys(p, keys);
        return j;
    }
    std::string string(const ptr& p) const {
        const json& j = at(p);
        if (!j.is_string()) fail(p, "expected a string");
        return j.get<std::string>();
    }
    std::optional<std::string> opt_string(const ptr& p) const {
        if (!has(p)) return std::nullopt;
        return string(p);
    }
    Duration duration(const ptr& p) const {
        auto d = parse_duration(string(p));
        if (!d) fail(p, "expected a duration such as \"0s\", \"5m\", \"1h30m\", \"5d\"");
        return *d;
    }
    std::uint64_t count(const ptr& p, std::uint64_t max) const {
        const json& j = at(p);
        if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max)
            fail(p, "expected a whole number from 0 to " + std::to_string(max));
        return j.get<std::uint64_t>();
    }
    std::vector<std::string> strings(const ptr& p, std::size_t max) const {
        const json& j = at(p);
        if (j.is_string()) return {j.get<std::string>()};
        if (!j.is_array()) fail(p, "expected a string or a list of strings");
        if (j.size() > max) fail(p, "more than " + std::to_string(max) + " entries");
        std::vector<std::string> out;
        for (std::size_t i = 0; i < j.size(); ++i) out.push_back(string(p / i));
        return out;
    }
    const JsonSource& src() const { return src_; }

private:
    void keep(JsonSourceError e) const {
        mistakes_.push_back(std::move(e));
        if (mistakes_.size() >= max_reported_mistakes) throw ScenarioErrors(mistakes_);
    }
    static std::string last(const ptr& p) { return p.empty() ? std::string() : p.back() + ": "; }
    const JsonSource& src_;
    mutable std::vector<JsonSourceError> mistakes_;
};

// The values of a closed set, for a message: "a, b or c".
std::string one_of_text(const std::vector<std::string_view>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i)
        out += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + std::string(values[i]);
    return out;
}

// The stages an expectation may name: the SMTP client's stages and "dns" (no session was opened).
const std::vector<std::string_view> expectation_stages{"dns",  "connect", "greeting", "ehlo", "helo", "starttls", "mail",
                                                       "rcpt", "data",    "dot",      "rset", "quit", "done"};
const std::vector<std::string_view> notice_kinds{"failure", "delay"};

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// "attempts[0].rcpt.reply" / "recipients[\"a@b\"]" (the world's error paths) → a JSON pointer.
ptr pointer_from_path(const std::string& path) {
    ptr out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '.') {
            ++i;
        } else if (path.compare(i, 2, "[\"") == 0) {
            auto end = path.find("\"]", i + 2);
            if (end == std::string::npos) break;
            out /= path.substr(i + 2, end - i - 2);
            i = end + 2;
        } else if (path[i] == '[') {
            auto end = path.find(']', i);
            if (end == std::string::npos) break;
            try {
                out /= static_cast<std::size_t>(std::stoul(path.substr(i + 1, end - i - 1)));
            } catch (const std::exception&) {
                break;
            }
            i = end + 1;
        } else {
            auto end = path.find_first_of(".[", i);
            out /= path.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end == std::string::npos ? path.size() : end;
        }
    }
    return out;
}

// Whether `ip` is an IPv4 address in 127.0.0.0/8, the loopback network (RFC 1122 §3.2.1.3(g)).
// Only the strict dotted-quad form: exactly four decimal octets 0..255, no empty part, nothing before
// or after. An octet with a leading zero ("0127", "01") is refused, as inet_pton(AF_INET) refuses it
// (POSIX): inet_aton would read it as octal, so such a spelling is ambiguous and never what a
// scenario means. (Written out here so that the loader needs no Asio and can be fuzzed.)
bool loopback_v4(std::string_view ip) {
    constexpr std::size_t octets = 4, max_digits = 3;
    constexpr unsigned max_octet = 255, loopback_first_octet = 127;
    unsigned first = 0;
    std::size_t i = 0;
    for (std::size_t n = 0; n < octets; ++n) {
        if (n > 0) {
            if (i >= ip.size() || ip[i] != '.') return false;
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        while (i < ip.size() && i - start < max_digits && ip[i] >= '0' && ip[i] <= '9')
            value = value * 10 + static_cast<unsigned>(ip[i++] - '0');
        if (i == start || value > max_octet) return false;
        if (ip[start] == '0' && i - start > 1) return false;  // leading zero
        if (n == 0) first = value;
    }
    return i == ip.size() && first == loopback_first_octet;
}

// A scenario's start leaves room for its run on the nanosecond clock (years 1678..2262) and is a
// time mail could have been sent at.
constexpr int earliest_start_year = 1970, latest_start_year = 2099;

RemoteSpec read_remote(const Reader& r, const std::string& host, const ptr& p) {
    r.object(p, {"profile", "address", "external", "script", "comment"});
    RemoteSpec spec;
    spec.host = host;
    if (auto name = world::DomainName::from_text(host); !name || name->labels.empty())
        r.fail(p, "not a host name");
    spec.address = r.opt_string(p / "address");
    // ::1 is IPv6's only loopback address (RFC 4291 §2.5.3): one remote at most can listen there.
    if (spec.address && !loopback_v4(*spec.address) && *spec.address != kLoopbackV6)
        r.fail(p / "address", "expected an address in 127.0.0.0/8, or ::1");
    spec.profile = r.opt_string(p / "profile");
    if (r.has(p / "external")) {
        std::string ext = r.string(p / "external");
        auto colon = ext.rfind(':');
        unsigned long port = 0;
        try {
            port = colon == std::string::npos ? 0 : std::stoul(ext.substr(colon + 1));
        } catch (const std::exception&) {
        }
        std::string ip = colon == std::string::npos ? "" : ext.substr(0, colon);
        if (!loopback_v4(ip) || port == 0 || port > 65535)
            r.fail(p / "external", "expected IP:PORT with an address in 127.0.0.0/8, e.g. \"127.0.0.1:2525\"");
        if (spec.address || spec.profile || r.has(p / "script"))
            r.fail(p / "external", "an external MTA has no address, profile or script of its own");
        spec.external_ip = ip;
        spec.external_port = static_cast<unsigned short>(port);
        return spec;
    }
    json script = json::object();
    if (spec.profile) {
        auto prof = profile_script(*spec.profile, host);
        if (!prof) {
            std::string known;
            for (const auto& n : profile_names()) known += (known.empty() ? "" : ", ") + n;
            r.fail(p / "profile", "unknown profile \"" + *spec.profile + "\" (known: " + known + ")");
        }
        script = std::move(*prof);
    }
    if (r.has(p / "script")) {
        if (!r.at(p / "script").is_object()) r.fail(p / "script", "expected an MTA script object");
        // The scenario's keys replace the profile's (a step as a whole: a "silent" greeting drops the
        // profile's greeting reply); per-address steps are replaced address by address.
        for (const auto& [k, v] : r.at(p / "script").items()) {
            if ((k == "senders" || k == "recipients") && v.is_object() && script.contains(k) && script[k].is_object())
                for (const auto& [addr, step] : v.items()) script[k][addr] = step;
            else
                script[k] = v;
        }
    }
    if (!script.contains("hostname")) script["hostname"] = host;
    auto parsed = world::mta_script_from_json(script, "");
    if (auto* e = std::get_if<world::MtaScriptError>(&parsed)) {
        ptr where = p / "script" / pointer_from_path(e->path);
        if (!r.has(where)) where = p / (spec.profile ? "profile" : "script");
        throw r.src().error_at(where, e->path + ": " + e->message);
    }
    spec.script = std::get<world::MtaScript>(std::move(parsed));
    return spec;
}

Submission read_submission(const Reader& r, const ptr& p) {
    r.object(p, {"at", "from", "to", "subject", "body", "comment"});
    Submission s;
    if (r.has(p / "at")) s.at = r.duration(p / "at");
    if (!r.has(p / "from")) r.fail(p, "missing key \"from\"");
    if (!r.has(p / "to")) r.fail(p, "missing key \"to\"");
    s.from = r.string(p / "from");
    s.to = r.strings(p / "to", max_recipients_per_submission);
    if (s.to.empty()) r.fail(p / "to", "at least one recipient");
    if (auto v = r.opt_string(p / "subject")) s.subject = *v;
    if (auto v = r.opt_string(p / "body")) s.body = *v;
    for (const auto& field : {p / "from", p / "subject"})
        if (r.has(field) && r.string(field).find_first_of("\r\n") != std::string::npos)
            r.fail(field, "no line breaks here");
    return s;
}

TimeWindow read_window(const Reader& r, const ptr& p) {
    r.object(p, {"after", "before"});
    TimeWindow w;
    if (r.has(p / "after")) w.after = r.duration(p / "after");
    if (r.has(p / "before")) w.before = r.duration(p / "before");
    if (w.after && w.before && *w.after > *w.before) r.fail(p, "\"after\" is later than \"before\"");
    return w;
}

const std::set<std::string> final_statuses{"delivered", "bounced", "expired", "refused", "pending"};

Expectation read_expectation(const Reader& r, const ptr& p, std::size_t index) {
    const json& j = r.at(p);
    if (!j.is_object()) r.fail(p, "expected an object");
    Expectation e;
    e.pointer = p.to_string();
    auto str = [&](const char* key, std::optional<std::string>& out) {
        if (r.has(p / key)) out = r.string(p / key);
    };
    std::string what;
    if (j.contains("recipient")) {
        r.object(p, {"name", "comment", "recipient", "from", "status", "attempts", "stage", "reply", "reply_contains", "class",
                     "dsn", "remote", "final_at"});
        e.kind = ExpectKind::Recipient;
        e.subject = r.string(p / "recipient");
        str("from", e.from);
        str("status", e.status);
        if (e.status && !final_statuses.count(*e.status))
            r.note(p / "status", "expected delivered, bounced, expired, refused or pending, not \"" + *e.status + "\"");
        if (r.has(p / "attempts")) e.attempts = static_cast<unsigned>(r.count(p / "attempts", 100000));
        str("stage", e.stage);
        if (e.stage && std::find(expectation_stages.begin(), expectation_stages.end(), *e.stage) == expectation_stages.end())
            r.note(p / "stage", "\"" + *e.stage + "\" is not a stage: expected " + one_of_text(expectation_stages));
        str("reply", e.reply);
        str("reply_contains", e.reply_contains);
        str("class", e.failure_class);
        if (e.failure_class && !gw::failure_class_from_string(*e.failure_class))
            r.note(p / "class", "\"" + *e.failure_class + "\" is not a failure class (docs/taxonomy.md lists them)");
        str("dsn", e.dsn);
        str("remote", e.remote);
        if (r.has(p / "final_at")) e.final_at = read_window(r, p / "final_at");
        what = "recipient " + e.subject + (e.from ? " from " + *e.from : "");
    } else if (j.contains("notice")) {
        r.object(p, {"name", "comment", "notice", "recipient_of", "index", "kind", "claims", "subject", "body",
                     "contains", "not_contains", "delivery_status", "at"});
        e.kind = ExpectKind::Notice;
        e.subject = r.string(p / "notice");
        str("recipient_of", e.notice_recipient);
        if (r.has(p / "index")) e.index = r.count(p / "index", max_submissions * max_recipients_per_submission);
        std::optional<std::string> kind, claims;
        str("kind", kind);
        if (kind && !(e.notice_kind = gw::notice_kind_from_string(*kind)))
            r.note(p / "kind", "\"" + *kind + "\" is not a notice kind: expected " + one_of_text(notice_kinds));
        str("claims", claims);
        if (claims && !(e.claims = gw::claim_from_string(*claims)))
            r.note(p / "claims", "\"" + *claims + "\" is not a claim (docs/policies.md lists them)");
        str("subject", e.notice_subject);
        str("body", e.body);
        if (r.has(p / "contains")) e.contains = r.strings(p / "contains", 100);
        if (r.has(p / "not_contains")) e.not_contains = r.strings(p / "not_contains", 100);
        if (r.has(p / "delivery_status")) {
            const json& ds = r.at(p / "delivery_status");
            if (!ds.is_object()) r.fail(p / "delivery_status", "expected an object of field: value");
            for (const auto& [k, v] : ds.items()) e.delivery_status[k] = r.string(p / "delivery_status" / k);
        }
        if (r.has(p / "at")) e.notice_at = read_window(r, p / "at");
        what = "notice to " + e.subject + (e.notice_recipient ? " about " + *e.notice_recipient : "");
    } else if (j.contains("remote")) {
        r.object(p, {"name", "comment", "remote", "connections", "mail_from", "rcpt_to"});
        e.kind = ExpectKind::Remote;
        e.subject = lower(r.string(p / "remote"));
        if (r.has(p / "connections")) e.connections = r.count(p / "connections", 100000);
        str("mail_from", e.mail_from);
        if (r.has(p / "rcpt_to")) e.rcpt_to = r.strings(p / "rcpt_to", 1000);
        what = "remote " + e.subject;
    } else if (j.contains("handset")) {
        r.object(p, {"name", "comment", "handset", "notices"});
        e.kind = ExpectKind::Handset;
        e.subject = r.string(p / "handset");
        if (!r.has(p / "notices")) r.fail(p, "missing key \"notices\"");
        e.notices = r.count(p / "notices", 100000);
        what = "handset " + e.subject;
    } else if (j.contains("destination")) {
        r.object(p, {"name", "comment", "destination", "lowest_concurrency", "suspended"});
        e.kind = ExpectKind::Destination;
        e.subject = lower(r.string(p / "destination"));
        if (r.has(p / "lowest_concurrency")) e.lowest_concurrency = r.count(p / "lowest_concurrency", 100000);
        if (r.has(p / "suspended")) {
            if (!r.at(p / "suspended").is_boolean()) r.fail(p / "suspended", "expected true or false");
            e.suspended = r.at(p / "suspended").get<bool>();
        }
        what = "destination " + e.subject;
    } else if (j.contains("nothing_lost")) {
        r.object(p, {"name", "comment", "nothing_lost"});
        if (r.at(p / "nothing_lost") != true) r.fail(p / "nothing_lost", "expected true");
        e.kind = ExpectKind::NothingLost;
        what = "nothing lost";
    } else {
        r.fail(p, "an expectation names one of: recipient, notice, remote, handset, nothing_lost, destination");
    }
    if (r.has(p / "name")) e.name = r.string(p / "name");
    else e.name = std::to_string(index + 1) + ": " + what;
    return e;
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& file) {
    Scenario s = parse_scenario(JsonSource::load(file));
    s.file = file.string();
    return s;
}

Scenario parse_scenario(const JsonSource& source) {
    Reader r(source);
    const ptr root;
    if (!source.root().is_object()) r.fail(root, "expected an object");
    // "made_up": the values `relaylab scenario from-log` had to invent (docs/scenarios.md); read by people.
    r.part([&] {
        r.object(root, {"name", "description", "presenter", "comment", "made_up", "seed", "start", "limit", "world", "gateway",
                        "submissions", "expect"});
    });
    Scenario s;
    s.file = source.name();
    s.name = std::filesystem::path(source.name()).stem().string();
    r.part([&] { s.name = r.opt_string(root / "name").value_or(s.name); });
    r.part([&] { s.description = r.opt_string(root / "description").value_or(""); });
    r.part([&] {
        if (!r.has(root / "presenter")) return;
        r.object(root / "presenter", {"en", "ja"});
        for (const char* lang : {"en", "ja"}) {
            const ptr p = root / "presenter" / lang;
            if (!r.has(p)) continue;
            r.object(p, {"title", "story"});
            s.presenter[lang] = {r.opt_string(p / "title").value_or(""), r.opt_string(p / "story").value_or("")};
        }
    });
    r.part([&] {
        if (r.has(root / "seed")) s.seed = r.count(root / "seed", std::numeric_limits<std::uint64_t>::max());
    });
    r.part([&] {
        if (!r.has(root / "start")) return;
        // parse_time itself refuses what the clock cannot hold; the range is the scenario's rule.
        using namespace std::chrono;
        auto t = parse_time(r.string(root / "start"));
        auto year = t ? int(year_month_day(floor<days>(*t)).year()) : 0;
        if (!t || year < earliest_start_year || year > latest_start_year)
            r.fail(root / "start", "expected a UTC time from " + std::to_string(earliest_start_year) + " to " +
                                       std::to_string(latest_start_year) + " such as \"2009-06-01T10:00:00Z\"");
        s.start = *t;
    });
    r.part([&] {
        if (r.has(root / "limit")) s.limit = r.duration(root / "limit");
    });

    const ptr world = root / "world";
    r.part([&] {
        if (!r.has(world)) r.fail(root, "missing key \"world\"");
        r.object(world, {"dns", "remotes", "comment"});
    });
    r.part([&] {
        if (!r.has(world / "dns")) return;
        auto zone = world::DnsZone::from_source(source, "/world/dns");
        if (auto* e = std::get_if<world::DnsZoneError>(&zone))
            throw JsonSourceError(e->file.empty() ? source.name() : e->file, e->line, e->column, e->path + ": " + e->detail);
        s.zone = std::get<world::DnsZone>(std::move(zone));
    });
    r.part([&] {
        if (!r.has(world / "remotes")) return;
        const json& rem = r.at(world / "remotes");
        if (!rem.is_object()) r.fail(world / "remotes", "expected an object: host name → remote");
        if (rem.size() > max_remotes) r.fail(world / "remotes", "more than " + std::to_string(max_remotes) + " remotes");
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambda.
        for (const auto& item : rem.items()) {
            const std::string& host = item.key();
            r.part([&] { s.remotes.push_back(read_remote(r, lower(host), world / "remotes" / host)); });
        }
        std::sort(s.remotes.begin(), s.remotes.end(), [](const auto& a, const auto& b) { return a.host < b.host; });
        for (std::size_t i = 1; i < s.remotes.size(); ++i)
            if (s.remotes[i].host == s.remotes[i - 1].host)
                r.fail(world / "remotes", "host " + s.remotes[i].host + " is listed twice");
        // Every remote listens on the gateway's one mx_port, so two cannot share ::1 by port.
        std::optional<std::string> on_v6;
        for (const auto& rs : s.remotes)
            if (rs.address == kLoopbackV6) {
                if (on_v6)
                    r.fail(world / "remotes", "only one remote can listen on ::1 (" + *on_v6 + " and " + rs.host +
                                                  "): every remote uses the gateway's one mx_port");
                on_v6 = rs.host;
            }
        std::optional<unsigned short> ext_port;
        for (const auto& rs : s.remotes)
            if (rs.external_ip) {
                if (ext_port && *ext_port != rs.external_port)
                    r.fail(world / "remotes", "every external MTA must use the same port (the gateway's mx_port)");
                ext_port = rs.external_port;
            }
    });

    r.part([&] {
        if (r.has(root / "gateway")) s.gateway = gw::read_config(source, root / "gateway");
    });

    r.part([&] {
        if (!r.has(root / "submissions")) r.fail(root, "missing key \"submissions\"");
        const json& subs = r.at(root / "submissions");
        if (!subs.is_array() || subs.empty()) r.fail(root / "submissions", "expected a non-empty list of submissions");
        if (subs.size() > max_submissions) r.fail(root / "submissions", "more than " + std::to_string(max_submissions));
        for (std::size_t i = 0; i < subs.size(); ++i)
            r.part([&] { s.submissions.push_back(read_submission(r, root / "submissions" / i)); });
        std::stable_sort(s.submissions.begin(), s.submissions.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
    });

    r.part([&] {
        if (!r.has(root / "expect")) return;
        const json& ex = r.at(root / "expect");
        if (!ex.is_array()) r.fail(root / "expect", "expected a list of expectations");
        if (ex.size() > max_expectations) r.fail(root / "expect", "more than " + std::to_string(max_expectations));
        for (std::size_t i = 0; i < ex.size(); ++i)
            r.part([&] { s.expectations.push_back(read_expectation(r, root / "expect" / i, i)); });
    });
    r.throw_mistakes();
    return s;
}

namespace {

// In the order they appear in the file; the same mistake found twice is named once.
std::vector<JsonSourceError> in_file_order(std::vector<JsonSourceError> all) {
    std::stable_sort(all.begin(), all.end(), [](const JsonSourceError& a, const JsonSourceError& b) {
        return std::pair(a.line(), a.column()) < std::pair(b.line(), b.column());
    });
    all.erase(std::unique(all.begin(), all.end(),
                          [](const auto& a, const auto& b) { return std::string_view(a.what()) == b.what(); }),
              all.end());
    return all;
}

}  // namespace

ScenarioErrors::ScenarioErrors(std::vector<JsonSourceError> mistakes) : ScenarioErrors(in_file_order(std::move(mistakes)), 0) {}

ScenarioErrors::ScenarioErrors(std::vector<JsonSourceError> sorted, int)
    : JsonSourceError(sorted.at(0)), mistakes_(std::move(sorted)) {
    for (const auto& m : mistakes_) text_ += (text_.empty() ? "" : "\n") + std::string(m.what());
    if (mistakes_.size() >= max_reported_mistakes)
        text_ += "\n" + file() + ": stopped after " + std::to_string(max_reported_mistakes) + " mistakes";
}

}  // namespace relaylab::scn
