#include "scenarios/world/smtp_script.hpp"
#include "jsonsource/json_source.hpp"

#include "clock/duration.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <stdexcept>

namespace relaylab::world {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<std::string_view, MtaStage>, 12> stage_keys{{
    {"greeting", MtaStage::Greeting}, {"helo", MtaStage::Helo}, {"ehlo", MtaStage::Ehlo}, {"starttls", MtaStage::StartTls},
    {"mail", MtaStage::Mail}, {"rcpt", MtaStage::Rcpt}, {"data", MtaStage::Data},
    {"data_body", MtaStage::DataBody}, {"dot", MtaStage::Dot}, {"rset", MtaStage::Rset},
    {"noop", MtaStage::Noop}, {"quit", MtaStage::Quit},
}};

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Thrown inside the loader only; turned into MtaScriptError at its edge.
struct Invalid {
    std::string path;
    std::string message;
};

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::optional<MtaStage> stage_from_key(std::string_view key) {
    for (auto [name, stage] : stage_keys)
        if (name == key) return stage;
    return std::nullopt;
}

smtp::ServerReply parse_reply(const json& j, const std::string& path) {
    std::vector<std::string> lines;
    if (j.is_string()) lines.push_back(j.get<std::string>());
    else if (j.is_array() && !j.empty()) {
        for (const auto& l : j) {
            if (!l.is_string()) throw Invalid{path, "reply lines must be strings"};
            lines.push_back(l.get<std::string>());
        }
    } else {
        throw Invalid{path, "reply must be \"NNN text\" or a non-empty list of lines"};
    }
    for (const auto& l : lines)
        if (l.find_first_of("\r\n") != std::string::npos) throw Invalid{path, "reply line contains CR or LF"};
    smtp::ServerReply r = smtp::ServerReply::from_lines(lines);
    if (r.empty()) throw Invalid{path, "each reply line must start with the same code 200..599 then space or '-'"};
    return r;
}

Duration parse_delay(const json& j, const std::string& path) {
    if (!j.is_string()) throw Invalid{path, "delay must be a duration string like \"2s\", \"10m\", \"250ms\""};
    auto d = parse_duration(j.get<std::string>());
    if (!d) throw Invalid{path, "bad duration \"" + j.get<std::string>() + "\" (units: ms s m h d w)"};
    return *d;
}

std::size_t parse_size(const json& j, const std::string& path) {
    if (!j.is_number_unsigned()) throw Invalid{path, "must be a non-negative integer"};
    return j.get<std::size_t>();
}

MtaStep parse_step(const json& j, const std::string& path, bool data_body, bool in_window = false);

// "schedule": [{"from": D, "until": D, <step keys>}...], as the DNS zones' schedules (docs/world-dns.md).
std::vector<MtaWindow> parse_schedule(const json& j, const std::string& path, bool data_body) {
    if (!j.is_array() || j.empty())
        throw Invalid{path, "must be a non-empty list of windows {\"from\", \"until\", \"reply\", ...}"};
    std::vector<MtaWindow> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string wp = path + "[" + std::to_string(i) + "]";
        if (!j[i].is_object()) throw Invalid{wp, "a window must be an object {\"from\", \"until\", \"reply\", ...}"};
        MtaWindow w;
        json step = json::object();
        for (const auto& [key, value] : j[i].items()) {
            if (key == "from") w.from = parse_delay(value, join(wp, key));
            else if (key == "until") w.until = parse_delay(value, join(wp, key));
            else step[key] = value;
        }
        if (w.until && *w.until <= w.from) throw Invalid{join(wp, "until"), "must be later than \"from\""};
        w.step = parse_step(step, wp, data_body, true);
        out.push_back(std::move(w));
    }
    return out;
}

MtaStep parse_step(const json& j, const std::string& path, bool data_body, bool in_window) {
    if (!j.is_object()) throw Invalid{path, "a step must be an object {\"reply\", \"delay\", \"action\"}"};
    MtaStep step;
    bool own = false;
    for (const auto& [key, value] : j.items()) {
        std::string p = join(path, key);
        if (key != "schedule" && key != "comment") own = true;
        if (key == "schedule" && !in_window) step.schedule = parse_schedule(value, p, data_body);
        else if (key == "reply") step.reply = parse_reply(value, p);
        else if (key == "delay") step.delay = parse_delay(value, p);
        else if (key == "action") {
            std::string a = value.is_string() ? value.get<std::string>() : "";
            if (a == "reply") step.action = smtp::DecisionAction::Reply;
            else if (a == "drop") step.action = smtp::DecisionAction::Drop;
            else if (a == "silent") step.action = smtp::DecisionAction::Silent;
            else throw Invalid{p, "action must be \"reply\", \"drop\" or \"silent\""};
        } else if (key == "after_bytes" && data_body) step.after_bytes = parse_size(value, p);
        else if (key == "comment") continue;
        else throw Invalid{p, "unknown key"};
    }
    if (step.reply && step.action != smtp::DecisionAction::Reply)
        throw Invalid{join(path, "reply"), "a reply is never sent with action \"" +
                                               std::string(smtp::to_string(step.action)) + "\""};
    step.only_scheduled = !own && !step.schedule.empty();
    return step;
}

std::map<std::string, MtaStep> parse_address_steps(const json& j, const std::string& path) {
    if (!j.is_object()) throw Invalid{path, "must be an object mapping addresses to steps"};
    std::map<std::string, MtaStep> out;
    for (const auto& [addr, step] : j.items()) out[lower(addr)] = parse_step(step, path + "[\"" + addr + "\"]", false);
    return out;
}

// Returns false when `key` is not a behaviour key (the caller decides if it is valid elsewhere).
bool parse_behaviour_key(MtaBehaviour& b, const std::string& key, const json& value, const std::string& path) {
    if (auto stage = stage_from_key(key)) {
        b.steps[*stage] = parse_step(value, path, *stage == MtaStage::DataBody);
        return true;
    }
    if (key == "senders") b.senders = parse_address_steps(value, path);
    else if (key == "recipients") b.recipients = parse_address_steps(value, path);
    else if (key == "malformed_sender") b.malformed_sender = parse_step(value, path, false);
    else if (key == "quoted_sender") b.quoted_sender = parse_step(value, path, false);
    else return false;
    return true;
}

MtaScript parse_script(const json& j, const std::string& path) {
    if (!j.is_object()) throw Invalid{path, "an MTA script must be a JSON object"};
    MtaScript s;
    bool size_given = false;
    for (const auto& [key, value] : j.items()) {
        std::string p = join(path, key);
        if (parse_behaviour_key(s.base, key, value, p)) continue;
        if (key == "hostname") {
            if (!value.is_string() || value.get<std::string>().empty()) throw Invalid{p, "must be a non-empty string"};
            s.hostname = value.get<std::string>();
        } else if (key == "capabilities") {
            if (!value.is_array()) throw Invalid{p, "must be a list of EHLO keywords"};
            s.capabilities.clear();
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_string()) throw Invalid{p + "[" + std::to_string(i) + "]", "must be a string"};
                s.capabilities.push_back(value[i].get<std::string>());
            }
        } else if (key == "max_message_bytes") {
            s.max_message_bytes = parse_size(value, p);
            size_given = true;
        } else if (key == "record_message_bytes") {
            s.record_message_bytes = parse_size(value, p);
        } else if (key == "max_connections") {
            s.max_connections = parse_size(value, p);
        } else if (key == "over_max_connections") {
            s.over_max_connections = parse_step(value, p, false);
            if (!s.over_max_connections.schedule.empty())
                throw Invalid{join(p, "schedule"), "not here: the limit applies at every time"};
        } else if (key == "idle_timeout") {
            s.idle_timeout = parse_delay(value, p);
            if (s.idle_timeout <= Duration::zero()) throw Invalid{p, "must be positive"};
        } else if (key == "tls") {
            if (!value.is_object()) throw Invalid{p, "must be an object: {\"offer\": true, \"certificate\": \"valid\"}"};
            for (const auto& [k, v] : value.items()) {
                std::string tp = join(p, k);
                if (k == "offer") {
                    if (!v.is_boolean()) throw Invalid{tp, "must be true or false"};
                    s.tls.offer = v.get<bool>();
                } else if (k == "certificate") {
                    bool known = false;
                    for (auto c : {MtaCertificate::Valid, MtaCertificate::SelfSigned, MtaCertificate::Expired,
                                   MtaCertificate::WrongName, MtaCertificate::None})
                        if (v.is_string() && v.get<std::string>() == to_string(c)) {
                            s.tls.certificate = c;
                            known = true;
                        }
                    if (!known) throw Invalid{tp, "must be one of: valid, self_signed, expired, wrong_name, none"};
                } else if (k != "comment") {
                    throw Invalid{tp, "unknown key"};
                }
            }
        } else if (key == "attempts") {
            if (!value.is_array()) throw Invalid{p, "must be a list of per-connection overrides"};
            for (std::size_t i = 0; i < value.size(); ++i) {
                std::string ap = p + "[" + std::to_string(i) + "]";
                if (!value[i].is_object()) throw Invalid{ap, "must be an object"};
                MtaBehaviour b;
                for (const auto& [k, v] : value[i].items()) {
                    if (k == "comment") continue;
                    if (!parse_behaviour_key(b, k, v, join(ap, k))) throw Invalid{join(ap, k), "unknown key"};
                }
                s.attempts.push_back(std::move(b));
            }
        } else if (key == "comment") {
            continue;
        } else {
            throw Invalid{p, "unknown key"};
        }
    }
    // Without an explicit limit, the advertised SIZE (RFC 1870) is the limit.
    if (!size_given)
        for (const auto& cap : s.capabilities)
            if (cap.size() > 5 && lower(cap.substr(0, 5)) == "size ") {
                try {
                    s.max_message_bytes = std::stoull(cap.substr(5));
                } catch (const std::exception&) {
                }
            }
    return s;
}

const MtaBehaviour* layer(const MtaScript& s, std::size_t attempt) {
    return attempt < s.attempts.size() ? &s.attempts[attempt] : nullptr;
}

std::optional<MtaStep> find(const std::map<std::string, MtaStep>& m, std::string_view key) {
    auto it = m.find(lower(key));
    if (it == m.end()) return std::nullopt;
    return it->second;
}

std::optional<MtaStep> find(const std::map<MtaStage, MtaStep>& m, MtaStage key) {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

bool atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    if (static_cast<unsigned char>(c) >= 0x80) return true;  // RFC 6531 UTF-8 local parts
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

}  // namespace

std::string_view to_string(MtaCertificate c) {
    switch (c) {
        case MtaCertificate::Valid: return "valid";
        case MtaCertificate::SelfSigned: return "self_signed";
        case MtaCertificate::Expired: return "expired";
        case MtaCertificate::WrongName: return "wrong_name";
        case MtaCertificate::None: return "none";
    }
    return "valid";
}

std::string_view to_string(MtaStage s) {
    for (auto [name, stage] : stage_keys)
        if (stage == s) return name;
    return "?";
}

bool malformed_local_part(std::string_view raw) {
    if (raw.empty() || raw.front() == '"') return false;  // null sender, or a Quoted-string local part
    std::size_t at = raw.rfind('@');
    std::string_view local = at == std::string_view::npos ? raw : raw.substr(0, at);
    if (local.empty() || local.front() == '.' || local.back() == '.') return true;
    if (local.find("..") != std::string_view::npos) return true;
    for (char c : local)
        if (c != '.' && !atext(c)) return true;
    return false;
}

bool quoted_local_part(std::string_view raw) { return raw.size() > 1 && raw.front() == '"'; }

std::optional<MtaStep> MtaStep::at(Duration elapsed) const {
    for (const auto& w : schedule)
        if (w.contains(elapsed)) return w.step;
    if (only_scheduled) return std::nullopt;
    MtaStep own = *this;
    own.schedule.clear();
    return own;
}

namespace {
std::optional<MtaStep> at(const std::optional<MtaStep>& s, Duration elapsed) {
    if (!s) return std::nullopt;
    return s->at(elapsed);
}
}  // namespace

std::optional<MtaStep> MtaScript::step(MtaStage stage, std::size_t attempt, Duration elapsed) const {
    if (const auto* a = layer(*this, attempt))
        if (auto s = at(find(a->steps, stage), elapsed)) return s;
    return at(find(base.steps, stage), elapsed);
}

std::optional<MtaStep> MtaScript::mail_step(std::string_view raw_path, std::size_t attempt, Duration elapsed) const {
    bool malformed = malformed_local_part(raw_path);
    bool quoted = quoted_local_part(raw_path);
    for (const MtaBehaviour* b : {layer(*this, attempt), &base}) {
        if (!b) continue;
        if (auto s = at(find(b->senders, raw_path), elapsed)) return s;
        if (malformed)
            if (auto s = at(b->malformed_sender, elapsed)) return s;
        if (quoted)
            if (auto s = at(b->quoted_sender, elapsed)) return s;
        if (auto s = at(find(b->steps, MtaStage::Mail), elapsed)) return s;
    }
    return std::nullopt;
}

std::optional<MtaStep> MtaScript::rcpt_step(std::string_view raw_path, std::size_t attempt, Duration elapsed) const {
    for (const MtaBehaviour* b : {layer(*this, attempt), &base}) {
        if (!b) continue;
        if (auto s = at(find(b->recipients, raw_path), elapsed)) return s;
        if (auto s = at(find(b->steps, MtaStage::Rcpt), elapsed)) return s;
    }
    return std::nullopt;
}

smtp::ServerConfig MtaScript::server_config() const {
    smtp::ServerConfig c;
    c.hostname = hostname;
    c.capabilities = capabilities;
    c.max_message_bytes = max_message_bytes;
    c.idle_timeout = idle_timeout;
    c.tls = tls.offer ? smtp::ServerTls::Offer : smtp::ServerTls::None;
    return c;
}

std::string MtaScriptError::str() const {
    if (line > 0) return std::to_string(line) + ":" + std::to_string(column) + ": " + message;
    return (path.empty() ? std::string("(top)") : path) + ": " + message;
}

MtaScriptResult mta_script_from_json(const json& j, const std::string& path) {
    try {
        return parse_script(j, path);
    } catch (const Invalid& e) {
        return MtaScriptError{e.path, 0, 0, e.message};
    }
}

MtaScriptResult parse_mta_script(std::string_view text) {
    json j;
    try {
        j = JsonSource("script", std::string(text)).root();
    } catch (const JsonSourceError& e) {
        return MtaScriptError{"", static_cast<int>(e.line()), static_cast<int>(e.column()), e.message()};
    }
    return mta_script_from_json(j, "");
}

}  // namespace relaylab::world
