// The failure catalogue for `relaylab audit`: each failure class as a small world (DNS zone,
// scripted remote MTAs, a submission) whose true cause is known. Run through the real gateway,
// each entry shows what the truth is and what a policy's words say about it.
#pragma once

#include "taxonomy/classify.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace relaylab::diag {

struct FailureCase {
    std::string id;                  // "mail-553-bare"
    std::string true_cause;          // one sentence, English
    gw::FailureClass expected;       // what classification must say (for expiries: Expired)
    gw::FailureClass expected_last = gw::FailureClass::Delivered;  // for expiries: the last temporary class
    std::string sender = "alice@docomo.ne.jp";
    std::string recipient = "bob@isp.example";
    std::string zone_json;                           // world::DnsZone
    std::map<std::string, std::string> mtas;         // listen IP (127.0.0.x) → world::MtaScript JSON
    std::string tls_level;  // the gateway's outbound STARTTLS level for the case ("": the default, may)
};

// The built-in catalogue (at least 45 cases). Zones use names under .example; MTAs 127.0.0.2x.
const std::vector<FailureCase>& failure_catalogue();

}  // namespace relaylab::diag
