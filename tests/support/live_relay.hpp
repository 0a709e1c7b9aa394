// `relaylab serve` as the live tests run it: a config written into its own temporary folder
// (hostname relay.docomo.test, the accurate policy in English, mailboxes, spool and log in the
// folder, the given DNS server and MX port), the test's own keys merged over it (JSON merge patch,
// RFC 7386), the process started and its intake port waited for. The log and the handset's
// Maildir are read back from the folder.
#pragma once

#include "tests/support/process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::test {

class LiveRelay {
public:
    LiveRelay(const std::string& dns_address, unsigned short mx_port, const nlohmann::json& overrides,
              const std::string& dir_name);

    // The Postfix-style log so far ("" before the first line).
    std::string log() const;
    // True once `what` is in the log, polling for up to `wait`.
    bool wait_log(const std::string& what, std::chrono::seconds wait = std::chrono::seconds(20)) const;
    // The notice files in the handset's Maildir (new/), as they are now.
    std::vector<std::filesystem::path> notices(const std::string& handset) const;

    TempDir dir;
    unsigned short intake_port;
    std::optional<ChildProcess> process;
};

}  // namespace relaylab::test
