#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace relaylab::test {

namespace {
std::vector<char*> c_argv(std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (auto& a : argv) out.push_back(a.data());
    out.push_back(nullptr);
    return out;
}
}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path log) : log_(std::move(log)) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    auto args = c_argv(argv);
    int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
    if (reaped_) return false;
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        status_ = st;
        return false;
    }
    return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
    if (!running()) return status_;
    kill(pid_, SIGTERM);
    auto until = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < until) {
        if (!running()) return status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    return status_;
}

std::string ChildProcess::log_text() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

namespace {

// `ip` (IPv4, or IPv6 when it has a ':') and `port` as a socket address; its length.
socklen_t socket_address(const std::string& ip, unsigned short port, sockaddr_storage& ss) {
    ss = {};
    if (ip.find(':') != std::string::npos) {
        auto& sa = reinterpret_cast<sockaddr_in6&>(ss);
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        inet_pton(AF_INET6, ip.c_str(), &sa.sin6_addr);
        return sizeof sa;
    }
    auto& sa = reinterpret_cast<sockaddr_in&>(ss);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
    return sizeof sa;
}

}  // namespace

unsigned short free_port(const std::string& ip) {
    static std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 200; ++attempt) {
        unsigned short port = static_cast<unsigned short>(20000 + rng() % 30000);
        bool ok = true;
        for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
            sockaddr_storage ss;
            socklen_t len = socket_address(ip, port, ss);
            int fd = ::socket(ss.ss_family, type, 0);
            if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) ok = false;
            ::close(fd);
        }
        if (ok) return port;
    }
    throw std::runtime_error("no free port on " + ip);
}

bool loopback_v6_available() {
    sockaddr_storage ss;
    socklen_t len = socket_address("::1", 0, ss);
    int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    ::close(fd);
    return ok;
}

bool wait_for_tcp(const std::string& ip, unsigned short port, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        sockaddr_storage ss;
        socklen_t len = socket_address(ip, port, ss);
        int fd = ::socket(ss.ss_family, SOCK_STREAM, 0);
        int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
        ::close(fd);
        if (rc == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

int connect_loopback(unsigned short port, std::chrono::seconds read_timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    timeval tv{static_cast<time_t>(read_timeout.count()), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TempDir::TempDir(const std::string& prefix) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

int run_command(const std::vector<std::string>& argv_in, std::string& output, bool merge_stderr,
                std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = argv_in;
    int pipefd[2];
    if (::pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    if (merge_stderr) posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    auto args = c_argv(argv);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipefd[1]);
    if (rc != 0) {
        ::close(pipefd[0]);
        throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    output.clear();
    auto until = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        pollfd p{pipefd[0], POLLIN, 0};
        int pr = ::poll(&p, 1, static_cast<int>(left.count()));
        if (pr <= 0) continue;
        ssize_t n = ::read(pipefd[0], buf, sizeof buf);
        if (n <= 0) break;
        output.append(buf, static_cast<size_t>(n));
    }
    ::close(pipefd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

std::string relaylab_binary() {
    const char* p = std::getenv("RELAYLAB_BINARY");
    if (!p) throw std::runtime_error("RELAYLAB_BINARY is not set (run the tests through ctest)");
    return p;
}

bool have_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    p += ":/usr/sbin:/sbin";
    std::stringstream ss(p);
    std::string dir;
    while (std::getline(ss, dir, ':'))
        if (::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
    return false;
}

namespace {

bool under_ci() {
    const char* ci = std::getenv("CI");
    return ci && (std::string(ci) == "true" || std::string(ci) == "1");
}

[[noreturn]] void skip_or_fail(const std::string& why) {
    if (under_ci()) {
        FAIL(why + " (CI=true: every tool the tests run must be installed; ./dev.sh test installs them)");
        throw std::logic_error(why);  // FAIL throws; this line only tells the compiler so
    }
    std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
    std::fflush(stderr);
    std::fflush(stdout);
    std::exit(77);
}

}  // namespace

void require_program(const std::string& program, const std::string& package) {
    if (!have_program(program)) skip_or_fail(program + " is not installed (Debian package " + package + ")");
}

void require_perl_module(const std::string& module, const std::string& package) {
    require_program("perl", "perl");
    std::string out;
    if (run_command({"perl", "-M" + module, "-e", "1"}, out, true, std::chrono::seconds(30)) != 0)
        skip_or_fail("the Perl module " + module + " is not installed (Debian package " + package + ")");
}

void require(bool condition, const std::string& what) {
    if (!condition) skip_or_fail(what);
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace relaylab::test
