#include "diagnosis/scenario_from_log.hpp"

#include "address/address.hpp"
#include "taxonomy/classify.hpp"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace relaylab::diag {

namespace {

using nlohmann::json;
using smtp::Stage;

// Values the scenario uses when the evidence gives none (each one listed in "made_up").
constexpr std::string_view made_up_sender = "sender@carrier.example";
constexpr std::string_view made_up_domain = "isp.example";
constexpr int made_up_syslog_year = 2000;  // a leap year: "Feb 29" stays a date
// Lines looked at for a date: a bounce's header block or a log line's start.
constexpr std::size_t date_scan_lines = 200;

std::string domain_of(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos || at + 1 == address.size() ? std::string() : address.substr(at + 1);
}

// ---- dates -------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 12> months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};

std::optional<unsigned> month_of(std::string_view word) {
    if (word.size() < 3) return std::nullopt;
    std::string w;
    for (std::size_t i = 0; i < 3; ++i) w += static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
    for (unsigned i = 0; i < months.size(); ++i)
        if (months[i] == w) return i + 1;
    return std::nullopt;
}

// Reads digits at `at` (at most `max`), advancing; nullopt when there are none.
std::optional<int> digits(std::string_view s, std::size_t& at, std::size_t max) {
    std::size_t n = 0;
    int v = 0;
    while (at < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[at]))) {
        v = v * 10 + (s[at] - '0');
        ++at;
        ++n;
    }
    if (n == 0) return std::nullopt;
    return v;
}

bool skip(std::string_view s, std::size_t& at, char c) {
    if (at < s.size() && s[at] == c) {
        ++at;
        return true;
    }
    return false;
}

void skip_space(std::string_view s, std::size_t& at) {
    while (at < s.size() && (s[at] == ' ' || s[at] == '\t')) ++at;
}

struct Civil {
    int year, month, day, hour, minute, second;
    int offset_minutes = 0;  // east of UTC
};

// The time as the scenario's "start", or nullopt when the fields are no date or out of its range.
std::optional<std::string> utc_text(const Civil& c) {
    using namespace std::chrono;
    if (c.year < 1970 || c.year > 2099 || c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
    const year_month_day ymd{year{c.year}, month{static_cast<unsigned>(c.month)}, day{static_cast<unsigned>(c.day)}};
    if (!ymd.ok()) return std::nullopt;
    auto t = sys_days(ymd) + hours(c.hour) + minutes(c.minute) + seconds(std::min(c.second, 59)) - minutes(c.offset_minutes);
    const auto d = floor<days>(t);
    const year_month_day u{d};
    const hh_mm_ss hms{t - d};
    const int uy = static_cast<int>(u.year());
    if (uy < 1970 || uy > 2099) return std::nullopt;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", uy, static_cast<unsigned>(u.month()),
                  static_cast<unsigned>(u.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return std::string(buf);
}

// "+0900", "-0500", "+09:00", "Z", "UT", "GMT", "JST"...; nullopt when there is no zone.
std::optional<int> zone_offset(std::string_view s, std::size_t at) {
    skip_space(s, at);
    if (at >= s.size()) return std::nullopt;
    if (s[at] == '+' || s[at] == '-') {
        const int sign = s[at] == '-' ? -1 : 1;
        ++at;
        const auto h = digits(s, at, 2);
        skip(s, at, ':');
        const auto m = digits(s, at, 2);
        if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
        return sign * (*h * 60 + *m);
    }
    const auto word = s.substr(at, 3);
    if (word.starts_with("Z") || word.starts_with("UT") || word == "GMT") return 0;
    if (word == "JST") return 9 * 60;
    if (word == "EST") return -5 * 60;
    if (word == "EDT" || word == "CST") return word == "EDT" ? -4 * 60 : -6 * 60;
    if (word == "PST") return -8 * 60;
    if (word == "PDT") return -7 * 60;
    return std::nullopt;
}

// RFC 5322 §3.3: "[Mon, ]1 Jun 2009 19:00:02 +0900".
std::optional<std::string> rfc5322_date(std::string_view v, std::vector<MadeUp>& made_up) {
    std::size_t at = 0;
    skip_space(v, at);
    if (const auto comma = v.find(','); comma != std::string_view::npos && comma < 12) at = comma + 1;
    skip_space(v, at);
    Civil c{};
    const auto day = digits(v, at, 2);
    skip_space(v, at);
    const auto mon = month_of(v.substr(at));
    at += 3;
    skip_space(v, at);
    const auto yr = digits(v, at, 4);
    skip_space(v, at);
    const auto h = digits(v, at, 2);
    skip(v, at, ':');
    const auto mi = digits(v, at, 2);
    std::optional<int> sec = 0;
    if (skip(v, at, ':')) sec = digits(v, at, 2);
    if (!day || !mon || !yr || !h || !mi || !sec) return std::nullopt;
    c = {*yr < 100 ? *yr + (*yr < 50 ? 2000 : 1900) : *yr, static_cast<int>(*mon), *day, *h, *mi, *sec};
    if (const auto z = zone_offset(v, at)) c.offset_minutes = *z;
    else made_up.push_back({"start", "UTC", "the Date: header names no time zone that is understood; read as UTC"});
    return utc_text(c);
}

// "2009-06-01 10:00:00", "2009-06-01T10:00:00.123+09:00".
std::optional<std::string> iso_date(std::string_view s, std::vector<MadeUp>& made_up) {
    std::size_t at = 0;
    const auto y = digits(s, at, 4);
    if (!y || at != 4 || !skip(s, at, '-')) return std::nullopt;
    const auto mo = digits(s, at, 2);
    if (!mo || !skip(s, at, '-')) return std::nullopt;
    const auto d = digits(s, at, 2);
    if (!d || !(skip(s, at, 'T') || skip(s, at, ' '))) return std::nullopt;
    const auto h = digits(s, at, 2);
    if (!h || !skip(s, at, ':')) return std::nullopt;
    const auto mi = digits(s, at, 2);
    if (!mi || !skip(s, at, ':')) return std::nullopt;
    const auto sec = digits(s, at, 2);
    if (!sec) return std::nullopt;
    if (skip(s, at, '.') || skip(s, at, ',')) (void)digits(s, at, 9);
    Civil c{*y, *mo, *d, *h, *mi, *sec};
    const bool spaced = at < s.size() && s[at] == ' ';
    const auto z = spaced ? std::optional<int>() : zone_offset(s, at);
    if (z) c.offset_minutes = *z;
    else made_up.push_back({"start", "UTC", "the time stamp names no time zone; read as UTC"});
    return utc_text(c);
}

// BSD syslog (RFC 3164): "Jun  1 10:00:00" — no year, no zone.
std::optional<std::string> syslog_date(std::string_view s, std::vector<MadeUp>& made_up) {
    const auto mon = month_of(s);
    if (!mon || s.size() < 15 || s[3] != ' ') return std::nullopt;
    std::size_t at = 4;
    skip_space(s, at);
    const auto d = digits(s, at, 2);
    if (!d || !skip(s, at, ' ')) return std::nullopt;
    const auto h = digits(s, at, 2);
    if (!h || !skip(s, at, ':')) return std::nullopt;
    const auto mi = digits(s, at, 2);
    if (!mi || !skip(s, at, ':')) return std::nullopt;
    const auto sec = digits(s, at, 2);
    if (!sec) return std::nullopt;
    const auto t = utc_text({made_up_syslog_year, static_cast<int>(*mon), *d, *h, *mi, *sec});
    if (t) {
        made_up.push_back({"start", std::to_string(made_up_syslog_year),
                           "a syslog time stamp has no year; month, day and time are the log's, the year is not"});
        made_up.push_back({"start", "UTC", "a syslog time stamp names no time zone; read as UTC"});
    }
    return t;
}

// FNV-1a: a short, stable fingerprint of the input for the scenario's name.
std::uint32_t fingerprint(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

// ---- the scenario ------------------------------------------------------------------------------

// The remote's script: the reply (or the network failure) at the stage the finding names.
// `sender_known`: only a sender the evidence gives is judged by its local part.
json remote_script(const Finding& f, Stage stage, bool sender_known, std::vector<MadeUp>& made_up) {
    json step;
    if (f.reply) step["reply"] = f.reply->one_line();
    else if (f.net == smtp::NetError::Timeout) step["action"] = "silent";
    else step["action"] = "drop";
    switch (stage) {
    case Stage::Greeting: return {{"greeting", step}};
    case Stage::Ehlo:
    case Stage::Helo: return {{"ehlo", step}, {"helo", step}};
    case Stage::Mail: {
        // A sender the remote refuses for its local part: "malformed_sender", so that the quoted
        // form (local_part "quote") can be tried against the same remote.
        if (sender_known) {
            const auto check = gw::check_address(f.sender);
            if (check.verdict == gw::AddressVerdict::QuotedOnly && !check.was_quoted) return {{"malformed_sender", step}};
        }
        return {{"mail", step}};
    }
    case Stage::Rcpt: return {{"recipients", {{f.recipient, step}}}};
    case Stage::Data: return {{"data", step}};
    case Stage::Dot:
        if (!f.reply) {
            made_up.push_back({"world.remotes.*.script.data_body.after_bytes", "10",
                               "the evidence does not say how much of the message was sent before the failure"});
            return {{"data_body", {{"action", step["action"]}, {"after_bytes", 10}}}};
        }
        return {{"dot", step}};
    default: return json::object();
    }
}

}  // namespace

std::optional<std::string> start_of(std::string_view input, std::vector<MadeUp>& made_up) {
    std::size_t n = 0;
    bool in_headers = true;
    while (!input.empty() && n++ < date_scan_lines) {
        const auto nl = input.find('\n');
        auto line = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) in_headers = false;
        if (in_headers && line.size() > 5) {
            std::string name;
            for (const char c : line.substr(0, 5)) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (name == "date:") return rfc5322_date(line.substr(5), made_up);
        }
        // A JSON log line: its "time" value.
        if (line.starts_with("{")) {
            if (const auto at = line.find("\"time\":\""); at != std::string_view::npos)
                if (auto t = iso_date(line.substr(at + 8), made_up)) return t;
        }
        // RFC 5424 syslog: "<PRI>1 2009-06-01T…".
        auto rest = line;
        if (rest.starts_with("<")) {
            const auto gt = rest.find('>');
            rest = gt == std::string_view::npos ? std::string_view() : rest.substr(gt + 1);
            if (rest.starts_with("1 ")) rest.remove_prefix(2);
        }
        if (auto t = iso_date(rest, made_up)) return t;
        if (auto t = syslog_date(rest, made_up)) return t;
    }
    return std::nullopt;
}

std::optional<json> scenario_from_finding(const Finding& in, std::string_view input) {
    Finding f = in;
    if (f.recipient.empty()) return std::nullopt;
    std::vector<MadeUp> made_up;
    const bool sender_known = !f.sender.empty();
    if (!sender_known) {
        f.sender = made_up_sender;
        made_up.push_back({"submissions[0].from", f.sender, "the evidence names no sender"});
    }
    const auto outcome = to_outcome(f);
    if (!outcome) return std::nullopt;
    const auto first = gw::classify(*outcome);
    const bool temporary = !first.permanent || first.expired;
    // A temporary failure repeats until the lifetime ends: the scenario expects that expiry.
    const auto c = temporary && !first.expired ? gw::classify(gw::DeliveryOutcome::expired(*outcome, TimePoint{})) : first;
    auto domain = domain_of(f.recipient);
    if (domain.empty()) {
        domain = made_up_domain;
        made_up.push_back({"world.dns.names", domain, "the recipient has no domain"});
    }
    std::string mx = f.remote_host;
    if (mx.empty() || mx.find('[') != std::string::npos || mx.find(' ') != std::string::npos) {
        mx = "mx1." + domain;
        if (!f.dns_status) made_up.push_back({"world.dns.names." + domain + ".mx", mx, "the evidence names no remote host"});
    }

    json names = json::object();
    json remotes = json::object();
    if (f.dns_status) {
        switch (*f.dns_status) {
        case dns::Status::NxDomain:
            if (f.mx_host_lookup) names[domain] = {{"mx", {{{"preference", 10}, {"host", "mx.missing." + domain}}}}};
            break;  // an unlisted name is NXDOMAIN
        case dns::Status::NoData: names[domain] = {{"behaviour", "nodata"}}; break;
        case dns::Status::NullMx: names[domain] = {{"mx", {{{"preference", 0}, {"host", "."}}}}}; break;
        case dns::Status::Refused: names[domain] = {{"behaviour", "refused"}}; break;
        case dns::Status::Timeout: names[domain] = {{"behaviour", "drop"}}; break;
        default: names[domain] = {{"behaviour", "servfail"}}; break;
        }
    } else {
        names[domain] = {{"mx", {{{"preference", 10}, {"host", mx}}}}};
        if (f.stage == Stage::Connect) {
            names[mx] = {{"a", {"127.0.0.21"}}};  // nothing listens there: connection refused
        } else {
            remotes[mx] = {{"script", remote_script(f, *f.stage, sender_known, made_up)}};
        }
    }

    json gateway{{"policy", "accurate"}};
    if (temporary) {
        gateway["retry"] = {{"min_backoff", "5m"}, {"max_backoff", "20m"}, {"lifetime", "1h"}};
        made_up.push_back({"gateway.retry", "5m..20m, lifetime 1h",
                           "the evidence does not give the sender's retry schedule; a short one reaches the same end"});
    }

    json expect_rcpt{{"name", "the recipient ends as the source reported"}, {"recipient", f.recipient},
                     {"status", temporary ? "expired" : "bounced"}, {"dsn", c.status.str()}};
    expect_rcpt["class"] = gw::to_string(c.failure);
    if (c.stage) expect_rcpt["stage"] = gw::stage_name(*c.stage);
    if (c.reply) expect_rcpt["reply"] = gw::reply_one_line(*c.reply);
    // The handset's notice: its delivery-status part is truthful whatever the policy's words (its
    // words about the sender's address are not expected when the sender was made up).
    json expect_notice{{"name", "the sender's notice reports the truth"}, {"notice", f.sender},
                       {"recipient_of", f.recipient},
                       {"delivery_status", {{"Action", "failed"}, {"Status", c.status.str()}}}};
    if (!sender_known) expect_notice["comment"] = "the notice goes to a made-up sender (see made_up)";

    const auto start = start_of(input, made_up);
    const auto cls = std::string(gw::to_string(c.expired && c.last_temporary ? *c.last_temporary : c.failure));
    std::string stamp = start ? start->substr(0, 4) + start->substr(5, 2) + start->substr(8, 2) + "T" +
                                    start->substr(11, 2) + start->substr(14, 2) + start->substr(17, 2)
                              : "undated";
    char fp[16];
    std::snprintf(fp, sizeof fp, "%08x", fingerprint(input.empty() ? std::string_view(f.recipient) : input));

    json s;
    s["name"] = "from-log-" + cls + "-" + stamp + "-" + domain + "-" + fp;
    s["description"] = "Reproduces a " + std::string(to_string(f.source)) + " report for " + f.recipient +
                       (c.reply ? ": " + gw::reply_one_line(*c.reply) : std::string()) +
                       (c.stage ? " at " + std::string(smtp::command_words(*c.stage)) : std::string()) + "." +
                       (made_up.empty() ? "" : " Values the evidence did not give are listed in made_up.");
    if (start) s["start"] = *start;
    else made_up.push_back({"start", "(the runner's default)", "the evidence carries no date"});
    s["world"] = {{"dns", {{"names", names}}}, {"remotes", remotes}};
    s["gateway"] = gateway;
    s["submissions"] = json::array({{{"at", "0s"}, {"from", f.sender}, {"to", {f.recipient}}}});
    s["expect"] = json::array({expect_rcpt, expect_notice, {{"nothing_lost", true}}});
    json mu = json::array();
    for (const auto& m : made_up) mu.push_back({{"field", m.field}, {"value", m.value}, {"why", m.why}});
    s["made_up"] = mu;
    return s;
}

}  // namespace relaylab::diag
