#include "tests/support/unbound_server.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace relaylab::test {

namespace {
constexpr const char* kUnbound = "/usr/sbin/unbound";
constexpr int kStartAttempts = 3;  // a port taken between free_port() and bind() gets another try
}  // namespace

UnboundServer::UnboundServer(const std::vector<std::string>& server_lines,
                             const std::vector<std::string>& extra_clauses) {
    require_program(kUnbound, "unbound");
    require_program("unbound-checkconf", "unbound");
    std::string last_log;
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
        port_ = free_port("127.0.0.1");
        const auto conf = dir_.path() / "unbound.conf";
        {
            std::ofstream out(conf);
            out << "server:\n"
                << "  interface: 127.0.0.1@" << port_ << "\n"
                << "  port: " << port_ << "\n"
                << "  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  so-reuseport: no\n"
                << "  use-syslog: no\n  logfile: \"\"\n  pidfile: \"\"\n  do-ip6: no\n"
                << "  directory: \"" << dir_.path().string() << "\"\n"
                << "  local-zone: \"test.\" nodefault\n";
            for (const auto& l : server_lines) out << "  " << l << "\n";
            for (const auto& l : extra_clauses) out << l << "\n";
        }
        std::string check;
        if (run_command({"unbound-checkconf", conf.string()}, check, true, std::chrono::seconds(20)) != 0)
            throw std::runtime_error("unbound-checkconf rejected the test config: " + check);
        child_ = std::make_unique<ChildProcess>(std::vector<std::string>{kUnbound, "-d", "-c", conf.string()},
                                                dir_.path() / "unbound.log");
        // It answers on TCP only once it has bound UDP too; and it must still be ours (a port taken by
        // someone else would make unbound exit while the other process answers).
        if (wait_for_tcp("127.0.0.1", port_, std::chrono::seconds(10)) && child_->running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (child_->running()) return;
        }
        last_log = child_->log_text();
        child_->stop();
        child_.reset();
    }
    throw std::runtime_error("unbound did not start: " + last_log);
}

}  // namespace relaylab::test
