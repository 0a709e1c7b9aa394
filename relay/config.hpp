// The gateway's configuration (live mode's --config file, and a scenario's "gateway" object).
// Every key has a default, printed by `relaylab config --defaults`; errors name file:line:col.
#pragma once

#include "clock/clock.hpp"
#include "intake/limits.hpp"
#include "queue/queue.hpp"
#include "queue/retry.hpp"
#include "jsonsource/json_source.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::gw {

// STARTTLS (RFC 3207; docs/tls.md). Levels as Postfix's smtp_tls_security_level and
// smtpd_tls_security_level.
struct TlsConfig {
    std::string outbound = "may";  // none | may | encrypt | verify
    std::string ca_file;           // authorities (PEM) for "verify" and the trust in logs; "": the system's
    std::map<std::string, std::string> destinations;  // recipient domain → level, over `outbound`
    std::string intake = "none";   // none | may | required: STARTTLS for the handsets
    std::string cert_file;         // intake's certificate chain (PEM), needed unless intake is none
    std::string key_file;          // and its key
};

struct GatewayConfig {
    std::string hostname = "relay.carrier.example";
    std::string intake = "127.0.0.1:2600";
    // Networks allowed to submit (CIDR). Empty means loopback only.
    std::vector<std::string> intake_allow;
    std::vector<std::string> dns_servers{"127.0.0.1:53"};
    Duration dns_timeout = std::chrono::milliseconds(2000);  // per try
    int dns_tries = 2;
    unsigned short mx_port = 25;
    std::string policy = "legacy-2009";   // a shipped policy name or a path
    std::string local_part = "pass";      // pass | quote | reject
    std::string notice_charset = "ISO-2022-JP";  // or UTF-8
    std::string notice_language = "ja";          // ja | en: which of the policy's texts the handset gets
    RetrySchedule retry;
    QueueLimits queue;
    IntakeLimits limits;
    std::size_t max_mx_hosts = 5;         // Postfix smtp_mx_address_limit
    // Address families delivered over, as Postfix's inet_protocols: ipv4 | ipv6 | all (docs/ipv6.md).
    std::string inet_protocols = "all";
    std::string mailboxes = "mailboxes";
    // The durable queue's directory (relative to the working directory): a 250 means on disk.
    // Absent only by `"spool": false`, the explicit memory-only choice.
    std::optional<std::string> spool = "spool";
    std::optional<std::string> log;
    bool log_json = false;
    // SIGTERM/SIGINT: how long intake sessions and deliveries in flight get to finish (docs/spool.md,
    // "Stopping"); a second signal stops at once.
    Duration stop_timeout = std::chrono::seconds(30);
    // Prometheus metrics over HTTP at "address:port"/metrics (docs/operations.md); absent (false)
    // is off. Loopback only unless metrics_allow_remote is true.
    std::optional<std::string> metrics_listen;
    bool metrics_allow_remote = false;
    TlsConfig tls;
};

// Reads a config object. `pointer` says where it sits in the file (root for live mode's file,
// "/gateway" inside a scenario). Throws JsonSourceError naming the key and its position.
GatewayConfig read_config(const JsonSource& src,
                          const nlohmann::json::json_pointer& pointer = nlohmann::json::json_pointer());
// The defaults as a JSON object in the file format.
nlohmann::json config_to_json(const GatewayConfig& c);

}  // namespace relaylab::gw
