#include "diagnosis/audit.hpp"

#include "relay/config.hpp"
#include "relay/relay.hpp"
#include "relay/setup.hpp"
#include "resolver/resolver.hpp"
#include "scenarios/virtual_loop.hpp"
#include "scenarios/world/dns_server.hpp"
#include "scenarios/world/dns_zone.hpp"
#include "scenarios/world/smtp_mta.hpp"
#include "scenarios/world/smtp_script.hpp"
#include "tls/certificates.hpp"
#include "tls/context.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>

namespace relaylab::diag {

namespace {

// 2009-06-01T10:00Z, the month of the incident.
const TimePoint audit_start = TimePoint{} + std::chrono::seconds(1'243'850'400);

struct Recorder final : gw::EventSink {
    std::vector<gw::AttemptResult> attempts;
    std::vector<gw::NoticeWritten> notices;
    void on_event(TimePoint, const gw::GatewayEvent& e) override {
        if (auto* a = std::get_if<gw::AttemptResult>(&e)) attempts.push_back(*a);
        if (auto* n = std::get_if<gw::NoticeWritten>(&e)) notices.push_back(*n);
    }
};

// A private directory for the case's Maildirs, removed when the case ends.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "relaylab-audit-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
        path = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

void run_world(const FailureCase& c, const gw::Policy& policy, const AuditSettings& s, Recorder& rec) {
    ScratchDir scratch;
    boost::asio::io_context io;
    VirtualClock clock(audit_start);
    scn::VirtualLoop loop(io, clock);

    auto zone = world::DnsZone::parse(c.zone_json, c.id);
    if (auto* err = std::get_if<world::DnsZoneError>(&zone)) throw std::runtime_error(world::to_string(*err));
    world::DnsServer dns(io.get_executor(), clock, std::get<world::DnsZone>(std::move(zone)),
                         boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    // An accepting MTA on 127.0.0.1 picks the port every simulated MX shares; no zone names it.
    auto blank = world::parse_mta_script("{}");
    world::ScriptedMta port_holder(io.get_executor(), clock, std::get<world::MtaScript>(std::move(blank)), "127.0.0.1", 0);
    const auto mx_port = port_holder.port();
    std::vector<std::unique_ptr<world::ScriptedMta>> mtas;
    // A case whose MX offers STARTTLS gets certificates from an authority made for the run, which
    // the gateway trusts (as in scenario mode).
    std::optional<tls::Credentials> authority;
    for (const auto& [ip, text] : c.mtas) {
        auto script = world::parse_mta_script(text);
        if (auto* err = std::get_if<world::MtaScriptError>(&script)) throw std::runtime_error(c.id + ": " + err->str());
        auto& s = std::get<world::MtaScript>(script);
        if (s.tls.offer && !authority)
            authority = tls::make_certificate({"relaylab audit authority", clock.now() - std::chrono::hours(24 * 730),
                                               clock.now() + std::chrono::hours(24 * 3650), true},
                                              nullptr);
        // The catalogue's zone: mx1.isp.example at .21, mx2 at .22 (diagnosis/catalogue.cpp).
        const std::string name = ip == "127.0.0.22" ? "mx2.isp.example" : "mx1.isp.example";
        mtas.push_back(std::make_unique<world::ScriptedMta>(io.get_executor(), clock, std::move(s), ip, mx_port,
                                                            world::ScriptedMta::DialogueObserver{}, name,
                                                            authority ? &*authority : nullptr));
    }

    gw::GatewayConfig config;
    config.dns_servers = {"127.0.0.1:" + std::to_string(dns.port())};
    config.dns_timeout = s.dns_timeout;
    config.mx_port = mx_port;
    config.mailboxes = (scratch.path / "mailboxes").string();
    config.notice_language = std::string(gw::to_string(s.language));
    config.retry.min_backoff = s.min_backoff;
    config.retry.max_backoff = s.max_backoff;
    config.retry.lifetime = s.lifetime;
    if (!c.tls_level.empty()) config.tls.outbound = c.tls_level;
    auto settings = gw::relay_settings(config);
    if (authority && settings.delivery.tls.context) {
        auto ctx = tls::client_context_from_pem(authority->cert_pem);
        if (!ctx) throw std::runtime_error(c.id + ": TLS authority: " + ctx.error());
        settings.delivery.tls.context = std::move(*ctx);
    }
    std::mt19937_64 rng(1);
    {
        dns::Resolver resolver(io.get_executor(), clock, gw::resolver_config(config));
        gw::Relay relay(io.get_executor(), clock, resolver, settings, policy, rng, &rec);
        relay.start();
        const std::string content = "From: <" + c.sender + ">\r\nTo: <" + c.recipient + ">\r\nSubject: audit " + c.id +
                                    "\r\nMessage-ID: <" + c.id + "@handset>\r\n\r\nhello\r\n";
        gw::Envelope envelope{c.sender, {c.recipient}};
        relay.submit(std::move(envelope), content);
        const bool done = loop.run_until([&] { return relay.idle(); }, clock.now() + s.run_limit);
        relay.stop();
        for (auto& m : mtas) m->stop();
        port_holder.stop();
        dns.stop();
        loop.settle();
        if (!done) throw std::runtime_error("the world did not finish within the run limit");
    }
    loop.settle();
}

std::string one_line(std::string s) {
    for (auto& ch : s)
        if (ch == '\n' || ch == '\r') ch = '/';
    return s;
}

}  // namespace

AuditRow run_case(const FailureCase& c, const gw::Policy& policy, const AuditSettings& settings) {
    AuditRow row;
    row.id = c.id;
    row.true_cause = c.true_cause;
    row.expected = c.expected;
    Recorder rec;
    try {
        run_world(c, policy, settings, rec);
    } catch (const std::exception& e) {
        row.error = e.what();
        return row;
    }
    row.attempts = static_cast<unsigned>(rec.attempts.size());
    if (rec.attempts.empty()) {
        row.error = "no delivery attempt was made";
        return row;
    }
    const auto& truth = rec.attempts.back().outcome.classification;
    row.truth = truth;
    row.unexpected = truth.failure != c.expected ||
                     (c.expected == gw::FailureClass::Expired && truth.last_temporary != c.expected_last);
    for (const auto& n : rec.notices) {
        if (n.kind != gw::NoticeKind::Failure) continue;
        row.notice = true;
        row.subject = n.subject;
        row.body = n.body;
        row.claims = n.claims;
    }
    if (!row.notice) {
        row.error = "no failure notice was written";
        return row;
    }
    row.mislabel = !gw::claim_is_true(*row.claims, truth);
    return row;
}

std::vector<AuditRow> run_audit(const gw::Policy& policy, const AuditSettings& settings) {
    std::vector<AuditRow> rows;
    for (const auto& c : failure_catalogue()) rows.push_back(run_case(c, policy, settings));
    return rows;
}

bool audit_failed(const std::vector<AuditRow>& rows) {
    for (const auto& r : rows)
        if (r.mislabel || r.unexpected || !r.error.empty()) return true;
    return false;
}

namespace {

std::string truth_words(const AuditRow& r) {
    if (!r.truth) return "-";
    const auto& t = *r.truth;
    std::string out = t.stage ? std::string(gw::stage_name(*t.stage)) : "dns";
    out += " | " + (t.reply ? gw::reply_one_line(*t.reply) : std::string("-"));
    out += " | " + t.status.str();
    return out;
}

std::string class_words(const AuditRow& r) {
    if (!r.truth) return "-";
    std::string out(gw::to_string(r.truth->failure));
    if (r.truth->last_temporary) out += "(" + std::string(gw::to_string(*r.truth->last_temporary)) + ")";
    return out;
}

std::string verdict(const AuditRow& r) {
    if (!r.error.empty()) return "ERROR";
    if (r.mislabel) return "MISLABEL";
    if (r.unexpected) return "UNEXPECTED-CLASS";
    return "ok";
}

std::string pad(std::string s, std::size_t width) {
    // At least one space, so that a value as wide as its column never runs into the next one.
    s.append(s.size() < width ? width - s.size() : 1, ' ');
    return s;
}

}  // namespace

std::string render_table(const std::vector<AuditRow>& rows, const std::string& policy_name) {
    std::string out = "audit of policy " + policy_name + ": " + std::to_string(rows.size()) + " failure classes\n\n";
    out += pad("case", 26) + pad("class", 36) + pad("claims", 20) + "verdict\n";
    std::size_t mislabels = 0, errors = 0;
    for (const auto& r : rows) {
        out += pad(r.id, 26) + pad(class_words(r), 36) + pad(r.claims ? std::string(gw::to_string(*r.claims)) : "-", 20) + verdict(r) + "\n";
        out += "    truth: " + truth_words(r) + "  (" + r.true_cause + "; " + std::to_string(r.attempts) + " attempt" +
               (r.attempts == 1 ? "" : "s") + ")\n";
        if (r.notice) out += "    words: " + one_line(r.subject) + " // " + one_line(r.body) + "\n";
        if (!r.error.empty()) out += "    error: " + r.error + "\n";
        if (r.unexpected) out += "    expected class: " + std::string(gw::to_string(r.expected)) + "\n";
        mislabels += r.mislabel ? 1 : 0;
        errors += (!r.error.empty() || r.unexpected) ? 1 : 0;
    }
    out += "\n" + std::to_string(mislabels) + " mislabel" + (mislabels == 1 ? "" : "s") + ", " + std::to_string(errors) +
           " error" + (errors == 1 ? "" : "s") + "\n";
    return out;
}

nlohmann::json to_json(const std::vector<AuditRow>& rows, const std::string& policy_name) {
    nlohmann::json cases = nlohmann::json::array();
    std::size_t mislabels = 0;
    for (const auto& r : rows) {
        nlohmann::json j{{"id", r.id}, {"true_cause", r.true_cause}, {"expected_class", gw::to_string(r.expected)},
                         {"attempts", r.attempts}, {"verdict", verdict(r)}, {"mislabel", r.mislabel}};
        if (r.truth) {
            const auto& t = *r.truth;
            j["truth"] = {{"class", gw::to_string(t.failure)},
                          {"last_class", t.last_temporary ? nlohmann::json(gw::to_string(*t.last_temporary)) : nlohmann::json()},
                          {"stage", t.stage ? nlohmann::json(gw::stage_name(*t.stage)) : nlohmann::json()},
                          {"reply", t.reply ? nlohmann::json(gw::reply_one_line(*t.reply)) : nlohmann::json()},
                          {"status", t.status.str()}};
        }
        if (r.notice) j["words"] = {{"subject", r.subject}, {"body", r.body}, {"claims", r.claims ? gw::to_string(*r.claims) : std::string_view("-")}};
        if (!r.error.empty()) j["error"] = r.error;
        mislabels += r.mislabel ? 1 : 0;
        cases.push_back(std::move(j));
    }
    return {{"policy", policy_name}, {"cases", cases}, {"mislabels", mislabels}, {"failed", audit_failed(rows)}};
}

}  // namespace relaylab::diag
