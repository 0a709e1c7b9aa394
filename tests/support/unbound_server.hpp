// A real unbound on a free 127.0.0.1 port (UDP and TCP), serving the zones a test gives it.
#pragma once

#include "tests/support/process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace relaylab::test {

class UnboundServer {
public:
    // `server_lines` go into the server: clause (local-zone/local-data ...); `extra_clauses` after it
    // (forward-zone: ...). Throws std::runtime_error when unbound cannot be started.
    UnboundServer(const std::vector<std::string>& server_lines, const std::vector<std::string>& extra_clauses = {});
    unsigned short port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    bool running() { return child_ && child_->running(); }

private:
    TempDir dir_{"relaylab-unbound"};
    unsigned short port_ = 0;
    std::unique_ptr<ChildProcess> child_;
};

}  // namespace relaylab::test
