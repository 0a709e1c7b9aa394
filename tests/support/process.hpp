// Test support: run a real peer (unbound, smtp-sink, relaylab itself) as a child process on
// loopback, wait until it listens, and stop it when the test ends.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace relaylab::test {

class ChildProcess {
public:
    // argv[0] is the program path. Output goes to `log` (created/truncated).
    ChildProcess(std::vector<std::string> argv, std::filesystem::path log);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    int pid() const { return pid_; }
    bool running();
    // Sends SIGTERM, waits up to `grace`, then SIGKILL. Returns the exit status (waitpid form).
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
    std::string log_text() const;

private:
    int pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
    std::filesystem::path log_;
};

// A free TCP+UDP port on `ip`, IPv4 or IPv6 (bound and released; fine for tests on loopback).
unsigned short free_port(const std::string& ip = "127.0.0.1");
// Whether ::1 exists here (a socket can be bound to it): IPv6 tests require() it.
bool loopback_v6_available();
// Polls until a TCP connect to ip:port (IPv4 or IPv6) succeeds or `timeout` passes.
bool wait_for_tcp(const std::string& ip, unsigned short port,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// A TCP socket connected to 127.0.0.1:port whose reads time out after `read_timeout` (recv then
// fails with EAGAIN); -1 when the connect fails. The caller closes it.
int connect_loopback(unsigned short port, std::chrono::seconds read_timeout);
// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "relaylab-test");
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
private:
    std::filesystem::path path_;
};
// Runs a command to completion, capturing stdout (and stderr when `merge_stderr`). Returns exit code.
int run_command(const std::vector<std::string>& argv, std::string& output, bool merge_stderr = false,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));
// Path of the built relaylab binary (from the RELAYLAB_BINARY environment variable set by CTest).
std::string relaylab_binary();
// The whole file as bytes (empty when it cannot be read).
std::string read_file(const std::filesystem::path& p);
// Whether an executable exists (absolute path or on PATH).
bool have_program(const std::string& name);

// A real program a test runs, and the Debian package that provides it. When the program is missing
// the test is skipped visibly: it says what to install and exits 77 (CTest's SKIP_RETURN_CODE).
// Under CI=true every tool must be there, so the test fails instead. scripts/check-test-programs.sh
// reads these calls and fails when ./dev.sh would not install the package named.
void require_program(const std::string& program, const std::string& package);
// The same for a Perl module (`perl -MModule -e 1` must succeed).
void require_perl_module(const std::string& module, const std::string& package);
// The same for a condition that is not a program (e.g. running as root): skipped, or failed under CI.
void require(bool condition, const std::string& what);

}  // namespace relaylab::test
