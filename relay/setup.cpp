#include "relay/setup.hpp"

#include "smtpclient/client_session.hpp"
#include "tls/context.hpp"

#include "bounce/shipped_policies.hpp"

#include <stdexcept>

namespace relaylab::gw {

PolicyLoad load_named_policy(std::string_view name_or_path, const std::filesystem::path& policy_dir) {
    for (const auto& p : shipped_policies())
        if (p.name == name_or_path) return parse_policy(p.json, "policies/" + std::string(p.name) + ".json");
    return load_policy(name_or_path, policy_dir);
}

dns::ResolverConfig resolver_config(const GatewayConfig& c) {
    dns::ResolverConfig r;
    r.servers = c.dns_servers;
    r.timeout = c.dns_timeout;
    r.tries = c.dns_tries;
    // The whole lookup may take every try on every server, plus the MX hosts' address lookups.
    r.deadline = c.dns_timeout * c.dns_tries * static_cast<int>(c.dns_servers.size()) * 2 + std::chrono::seconds(1);
    auto protocols = dns::inet_protocols_from_string(c.inet_protocols);
    if (!protocols) throw std::invalid_argument("inet_protocols: \"" + c.inet_protocols + "\" is not ipv4, ipv6 or all");
    r.inet_protocols = *protocols;
    return r;
}

RelaySettings relay_settings(const GatewayConfig& c) {
    RelaySettings s;
    s.hostname = c.hostname;
    s.language = language_from_string(c.notice_language).value_or(Language::Ja);
    s.charset = c.notice_charset == "UTF-8" ? Charset::Utf8 : Charset::Iso2022Jp;
    s.mailboxes = c.mailboxes;
    s.retry = c.retry;
    s.limits = c.queue;
    s.delivery.mx_port = c.mx_port;
    s.delivery.max_mx_addresses = c.max_mx_hosts;
    auto mode = local_part_mode_from_string(c.local_part);
    if (!mode) throw std::invalid_argument("local_part: \"" + c.local_part + "\" is not pass, quote or reject");
    s.delivery.local_part = *mode;
    s.delivery.client.helo_name = c.hostname;
    s.delivery.tls.outbound = smtp::tls_level_from_string(c.tls.outbound).value_or(smtp::TlsLevel::None);
    bool any_tls = s.delivery.tls.outbound != smtp::TlsLevel::None;
    for (const auto& [domain, level] : c.tls.destinations) {
        auto l = smtp::tls_level_from_string(level);
        if (!l) throw std::invalid_argument("tls.destinations." + domain + ": \"" + level + "\" is not none, may, encrypt or verify");
        s.delivery.tls.destinations[domain] = *l;
        any_tls = any_tls || *l != smtp::TlsLevel::None;
    }
    if (any_tls) {
        auto ctx = tls::client_context(c.tls.ca_file);
        if (!ctx) throw std::invalid_argument("tls.ca_file: " + ctx.error());
        s.delivery.tls.context = std::move(*ctx);
    }
    return s;
}

IntakeSettings intake_settings(const GatewayConfig& c, const std::string& listen_ip) {
    IntakeSettings s;
    s.hostname = c.hostname;
    s.local_part = local_part_mode_from_string(c.local_part).value_or(LocalPartMode::Pass);
    s.limits = c.limits;
    s.allow = intake_networks(listen_ip, c.intake_allow);
    if (c.tls.intake != "none") {
        auto ctx = tls::server_context_from_files(c.tls.cert_file, c.tls.key_file);
        if (!ctx) throw IntakeError("tls: intake STARTTLS: " + ctx.error());
        s.tls = c.tls.intake == "required" ? smtp::ServerTls::Require : smtp::ServerTls::Offer;
        s.tls_context = std::move(*ctx);
    }
    return s;
}

}  // namespace relaylab::gw
