// The zone file loader (format: docs/world-dns.md). Strict: unknown keys are errors, so a typo
// never passes silently; every error names its JSON path, and file:line:col when read from text.
#include "scenarios/world/dns_zone.hpp"

#include "clock/duration.hpp"
#include "jsonsource/json_source.hpp"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <initializer_list>
#include <limits>

namespace relaylab::world {

namespace {

using json = nlohmann::json;
using Ptr = json::json_pointer;
using Kind = DnsZoneError::Kind;

// RFC 2181 §8: a TTL is 31 bits.
constexpr std::uint64_t max_ttl = 0x7FFFFFFF;

struct LoadFailure {
    Kind kind;
    Ptr at;
    std::string detail;
};

[[noreturn]] void fail(Kind kind, const Ptr& at, std::string detail) {
    throw LoadFailure{kind, at, std::move(detail)};
}

// jq-like display of a pointer: names["isp.example"].mx[0].host. `j` is the value at `base`.
std::string display_path(const json& j, const Ptr& base, const Ptr& at) {
    auto base_text = base.to_string();
    auto rest = at.to_string().substr(std::min(base_text.size(), at.to_string().size()));
    std::string out;
    const json* cur = &j;
    auto walk = [&](const std::string& token, bool walkable) {
        bool digits = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
        bool index = walkable ? (cur && cur->is_array()) : digits;
        bool plain = !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (index) out += "[" + token + "]";
        else if (plain) out += (out.empty() ? "" : ".") + token;
        else out += "[" + json(token).dump() + "]";
        if (!walkable || !cur) return;
        if (cur->is_array() && digits && std::stoul(token) < cur->size()) cur = &(*cur)[std::stoul(token)];
        else if (cur->is_object() && cur->contains(token)) cur = &(*cur)[token];
        else cur = nullptr;
    };
    auto tokens = [](Ptr p) {
        std::vector<std::string> out;
        for (; !p.empty(); p.pop_back()) out.insert(out.begin(), p.back());
        return out;
    };
    for (const auto& t : tokens(Ptr(base_text))) walk(t, false);
    for (const auto& t : tokens(Ptr(rest))) walk(t, true);
    return out;
}

void expect_type(const json& j, bool ok, const Ptr& path, const char* what) {
    if (!ok) fail(Kind::WrongType, path, std::string("expected ") + what + ", got " + j.type_name());
}

void only_keys(const json& obj, const Ptr& path, std::initializer_list<std::string_view> keys) {
    expect_type(obj, obj.is_object(), path, "an object");
    for (const auto& [k, v] : obj.items())
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
            std::string allowed;
            for (auto key : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(key);
            fail(Kind::UnknownKey, (path / k), "allowed here: " + allowed);
        }
}

const json& required(const json& obj, const Ptr& path, const std::string& key) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(Kind::MissingKey, (path / key), "required");
    return *it;
}

std::string string_value(const json& j, const Ptr& path) {
    expect_type(j, j.is_string(), path, "a string");
    return j.get<std::string>();
}

std::uint64_t unsigned_value(const json& j, const Ptr& path, std::uint64_t max) {
    expect_type(j, j.is_number_integer(), path, "an integer");
    if (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0)
        fail(Kind::BadValue, path, "must not be negative");
    auto v = j.get<std::uint64_t>();
    if (v > max) fail(Kind::BadValue, path, "must be at most " + std::to_string(max));
    return v;
}

Duration duration_value(const json& j, const Ptr& path) {
    auto text = string_value(j, path);
    auto d = parse_duration(text);
    if (!d) fail(Kind::BadValue, path, "expected a duration like \"30s\", \"5m\", \"1h\", got \"" + text + "\"");
    return *d;
}

// A TTL in seconds, or a duration string ("5m").
std::uint32_t ttl_value(const json& j, const Ptr& path) {
    if (j.is_string()) {
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(duration_value(j, path)).count();
        if (secs < 0 || static_cast<std::uint64_t>(secs) > max_ttl)
            fail(Kind::BadValue, path, "must be at most " + std::to_string(max_ttl) + " seconds");
        return static_cast<std::uint32_t>(secs);
    }
    return static_cast<std::uint32_t>(unsigned_value(j, path, max_ttl));
}

DomainName name_value(const std::string& text, const Ptr& path, bool root_ok) {
    bool printable = std::all_of(text.begin(), text.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7F && c != '\\';
    });
    auto n = printable ? DomainName::from_text(text) : std::nullopt;
    if (!n) fail(Kind::BadValue, path, "\"" + text + "\" is not a domain name (labels of 1-63 characters, 255 in all)");
    if (n->labels.empty() && !root_ok) fail(Kind::BadValue, path, "the root \".\" is not allowed here");
    for (auto& l : n->labels)
        std::transform(l.begin(), l.end(), l.begin(), [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        });
    return *n;
}

DnsBehaviour behaviour_value(const json& j, const Ptr& path) {
    auto text = string_value(j, path);
    auto b = dns_behaviour_from_string(text);
    if (!b)
        fail(Kind::BadValue, path, "unknown behaviour \"" + text +
             "\" (answer, nxdomain, nodata, servfail, refused, drop, truncate)");
    return *b;
}

template <std::size_t N>
std::array<std::uint8_t, N> address_value(const json& j, const Ptr& path) {
    auto text = string_value(j, path);
    std::array<std::uint8_t, N> out{};
    if (inet_pton(N == 4 ? AF_INET : AF_INET6, text.c_str(), out.data()) != 1)
        fail(Kind::BadValue, path, std::string("expected an ") + (N == 4 ? "IPv4" : "IPv6") + " address, got \"" + text + "\"");
    return out;
}

const json& array_at(const json& obj, const Ptr& path, const std::string& key) {
    const auto& v = obj.at(key);
    expect_type(v, v.is_array(), (path / key), "an array");
    return v;
}

DnsZoneName load_name(const std::string& key, const json& j, const Ptr& path) {
    only_keys(j, path, {"mx", "a", "aaaa", "cname", "behaviour", "schedule", "ttl"});
    DnsZoneName n;
    n.name = name_value(key, path, false);
    if (j.contains("mx")) {
        const auto& list = array_at(j, path, "mx");
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto p = ((path / "mx") / i);
            only_keys(list[i], p, {"preference", "host"});
            MxData mx;
            mx.preference = static_cast<std::uint16_t>(
                unsigned_value(required(list[i], p, "preference"), (p / "preference"), 65535));
            auto hp = (p / "host");
            mx.exchange = name_value(string_value(required(list[i], p, "host"), hp), hp, true);
            n.mx.push_back(std::move(mx));
        }
    }
    if (j.contains("a")) {
        const auto& list = array_at(j, path, "a");
        for (std::size_t i = 0; i < list.size(); ++i)
            n.a.push_back(address_value<4>(list[i], ((path / "a") / i)));
    }
    if (j.contains("aaaa")) {
        const auto& list = array_at(j, path, "aaaa");
        for (std::size_t i = 0; i < list.size(); ++i)
            n.aaaa.push_back(address_value<16>(list[i], ((path / "aaaa") / i)));
    }
    if (j.contains("cname")) {
        auto p = (path / "cname");
        // RFC 1034 §3.6.2: a CNAME owner has no other data.
        if (j.contains("mx") || j.contains("a") || j.contains("aaaa"))
            fail(Kind::BadValue, p, "a name with a cname has no other records (RFC 1034 §3.6.2)");
        n.cname = name_value(string_value(j.at("cname"), p), p, false);
    }
    if (j.contains("behaviour")) n.behaviour = behaviour_value(j.at("behaviour"), (path / "behaviour"));
    if (j.contains("ttl")) n.ttl = ttl_value(j.at("ttl"), (path / "ttl"));
    if (j.contains("schedule")) {
        const auto& list = array_at(j, path, "schedule");
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto p = ((path / "schedule") / i);
            only_keys(list[i], p, {"from", "until", "behaviour"});
            DnsScheduleWindow w;
            if (list[i].contains("from")) w.from = duration_value(list[i].at("from"), (p / "from"));
            if (list[i].contains("until")) {
                w.until = duration_value(list[i].at("until"), (p / "until"));
                if (*w.until <= w.from) fail(Kind::BadValue, (p / "until"), "must be later than \"from\"");
            }
            w.behaviour = behaviour_value(required(list[i], p, "behaviour"), (p / "behaviour"));
            n.schedule.push_back(w);
        }
    }
    return n;
}

DnsSoa load_soa(const json& j, const Ptr& path, std::uint32_t zone_ttl) {
    only_keys(j, path, {"zone", "mname", "rname", "serial", "minimum"});
    DnsSoa soa;
    auto zp = (path / "zone");
    soa.zone = name_value(string_value(required(j, path, "zone"), zp), zp, true);
    auto prefixed = [&](std::string_view label) {
        DomainName n = soa.zone;
        n.labels.insert(n.labels.begin(), std::string(label));
        return n;
    };
    soa.data.mname = prefixed("ns");
    soa.data.rname = prefixed("hostmaster");
    if (j.contains("mname")) {
        auto p = (path / "mname");
        soa.data.mname = name_value(string_value(j.at("mname"), p), p, false);
    }
    if (j.contains("rname")) {
        auto p = (path / "rname");
        soa.data.rname = name_value(string_value(j.at("rname"), p), p, false);
    }
    if (j.contains("serial"))
        soa.data.serial = static_cast<std::uint32_t>(
            unsigned_value(j.at("serial"), (path / "serial"), 0xFFFFFFFF));
    soa.data.minimum = j.contains("minimum") ? ttl_value(j.at("minimum"), (path / "minimum")) : zone_ttl;
    return soa;
}

DnsZone load_zone(const json& j, const Ptr& path) {
    only_keys(j, path, {"names", "ttl", "soa"});
    DnsZone zone;
    if (j.contains("ttl")) zone.ttl = ttl_value(j.at("ttl"), (path / "ttl"));
    if (j.contains("soa")) zone.soa = load_soa(j.at("soa"), (path / "soa"), zone.ttl);
    const auto& names = required(j, path, "names");
    auto names_path = (path / "names");
    expect_type(names, names.is_object(), names_path, "an object");
    for (const auto& [key, value] : names.items()) {
        auto p = (names_path / key);
        auto n = load_name(key, value, p);
        if (zone.find(n.name.key())) fail(Kind::Duplicate, p, "the same name is listed twice (names ignore case and a trailing dot)");
        zone.add(std::move(n));
    }
    return zone;
}

}  // namespace

std::string to_string(const DnsZoneError& e) {
    static constexpr std::string_view kinds[] = {"syntax error", "wrong type", "unknown key",
                                                 "missing key", "bad value", "duplicate"};
    std::string s;
    if (!e.file.empty()) s += e.file + ":";
    if (e.line) s += std::to_string(e.line) + ":" + std::to_string(e.column) + ":";
    if (!s.empty()) s += " ";
    if (e.kind != Kind::Syntax) s += (e.path.empty() ? std::string("(top)") : e.path) + ": ";
    s += kinds[static_cast<int>(e.kind)];
    if (!e.detail.empty()) s += ": " + e.detail;
    return s;
}

std::variant<DnsZone, DnsZoneError> DnsZone::from_json(const nlohmann::json& j, const std::string& pointer) {
    Ptr base;
    try {
        base = Ptr(pointer);
        return load_zone(j, base);
    } catch (const LoadFailure& f) {
        return DnsZoneError{f.kind, f.at.to_string(), display_path(j, base, f.at), f.detail, "", 0, 0};
    } catch (const nlohmann::json::exception& e) {  // a malformed `pointer`; every access is checked
        return DnsZoneError{Kind::BadValue, pointer, pointer, e.what(), "", 0, 0};
    }
}

std::variant<DnsZone, DnsZoneError> DnsZone::from_source(const JsonSource& source, const std::string& pointer) {
    const json* j = &source.root();
    try {
        j = &source.root().at(Ptr(pointer));
    } catch (const nlohmann::json::exception&) {
        auto at = source.error_at(Ptr(), "no zone data at " + pointer);
        return DnsZoneError{Kind::MissingKey, pointer, pointer, "no zone data here", source.name(), at.line(), at.column()};
    }
    auto result = from_json(*j, pointer);
    if (auto* e = std::get_if<DnsZoneError>(&result)) {
        auto at = source.error_at(Ptr(e->pointer), e->detail);
        e->file = source.name();
        e->line = at.line();
        e->column = at.column();
    }
    return result;
}

std::variant<DnsZone, DnsZoneError> DnsZone::parse(std::string text, const std::string& name) {
    try {
        return from_source(JsonSource(name, std::move(text)));
    } catch (const JsonSourceError& e) {
        return DnsZoneError{Kind::Syntax, "", "", e.message(), e.file(), e.line(), e.column()};
    }
}

std::variant<DnsZone, DnsZoneError> DnsZone::load(const std::filesystem::path& file) {
    try {
        return from_source(JsonSource::load(file));
    } catch (const JsonSourceError& e) {
        return DnsZoneError{Kind::Syntax, "", "", e.message(), e.file(), e.line(), e.column()};
    }
}

}  // namespace relaylab::world
