// `relaylab audit`: every failure in the catalogue run through the real gateway (scripted DNS and
// MTAs on loopback, the real resolver and Relay, on a VirtualClock), then the policy's words set
// against the truth. A mislabel is a notice whose claimed cause gw::claim_is_true rejects.
#pragma once

#include "clock/clock.hpp"
#include "diagnosis/catalogue.hpp"
#include "address/language.hpp"
#include "bounce/policy.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relaylab::diag {

struct AuditSettings {
    gw::Language language = gw::Language::En;  // which of the policy's texts to show
    // Short retries, so that "until expiry" costs a few attempts (virtual time anyway).
    Duration min_backoff = std::chrono::minutes(5);
    Duration max_backoff = std::chrono::minutes(20);
    Duration lifetime = std::chrono::hours(1);
    Duration dns_timeout = std::chrono::seconds(1);
    // Virtual time after which a case that has not finished is reported as stuck.
    Duration run_limit = std::chrono::hours(24);
};

struct AuditRow {
    std::string id;
    std::string true_cause;
    gw::FailureClass expected = gw::FailureClass::Delivered;
    std::optional<gw::Classification> truth;  // the final attempt's classification
    unsigned attempts = 0;
    bool notice = false;   // a failure notice was written
    std::string subject;   // the handset's words
    std::string body;
    std::optional<gw::Claim> claims;  // the cause the words claim (none without a notice)
    bool mislabel = false;
    bool unexpected = false;  // the gateway classified it otherwise than the catalogue says
    std::string error;        // the case could not run (bind failure, stuck world...)
};

AuditRow run_case(const FailureCase& c, const gw::Policy& policy, const AuditSettings& settings);
std::vector<AuditRow> run_audit(const gw::Policy& policy, const AuditSettings& settings);

// Exit 1 material: any mislabel, unexpected class or error.
bool audit_failed(const std::vector<AuditRow>& rows);
std::string render_table(const std::vector<AuditRow>& rows, const std::string& policy_name);
nlohmann::json to_json(const std::vector<AuditRow>& rows, const std::string& policy_name);

}  // namespace relaylab::diag
