#include "tests/support/postfix_server.hpp"

#include <catch2/catch.hpp>

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace relaylab::test {

namespace fs = std::filesystem;

namespace {
uid_t postfix_uid() {
    const passwd* pw = ::getpwnam("postfix");
    return pw ? pw->pw_uid : static_cast<uid_t>(-1);
}
}  // namespace

PostfixServer::PostfixServer(PostfixOptions options) : port_(free_port()) {
    require_program("postfix", "postfix");
    require(::geteuid() == 0, "root (a Postfix master process)");
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
    const auto d = dir_.path().string();
    fs::create_directories(dir_.path() / "conf");
    fs::create_directories(dir_.path() / "queue");
    fs::create_directories(dir_.path() / "data");
    {
        std::ofstream main(dir_.path() / "conf" / "main.cf");
        main << "compatibility_level = 3.6\nqueue_directory = " << d << "/queue\ndata_directory = " << d << "/data\n"
             << "mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = mail.isp.test\nmydestination = isp.test\n"
             << "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmynetworks = 127.0.0.0/8\nlocal_recipient_maps =\n"
             << "local_transport = discard:local\ndefault_transport = discard:default\n"
             << "smtputf8_enable = " << (options.smtputf8 ? "yes" : "no") << "\n"
             << "maillog_file = " << d << "/maillog\nmaillog_file_prefixes = " << d << "\n"
             << "smtpd_tls_security_level = " << options.tls_security_level << "\nsmtpd_tls_loglevel = 1\n";
        if (!options.tls_cert_file.empty())
            main << "smtpd_tls_cert_file = " << options.tls_cert_file << "\nsmtpd_tls_key_file = " << options.tls_key_file
                 << "\n";
        for (const auto& line : options.main_cf) main << line << "\n";
    }
    std::ofstream(dir_.path() / "conf" / "master.cf")
        << "127.0.0.1:" << port_ << " inet n - n - - smtpd\n"
        << "pickup unix n - n 60 1 pickup\ncleanup unix n - n - 0 cleanup\nqmgr unix n - n 300 1 qmgr\n"
        << "rewrite unix - - n - - trivial-rewrite\nbounce unix - - n - 0 bounce\ndefer unix - - n - 0 bounce\n"
        << "trace unix - - n - 0 bounce\nverify unix - - n - 1 verify\nproxymap unix - - n - - proxymap\n"
        << "error unix - - n - - error\nretry unix - - n - - error\ndiscard unix - - n - - discard\n"
        << "anvil unix - - n - 1 anvil\nscache unix - - n - 1 scache\npostlog unix-dgram n - n - 1 postlogd\n"
        << "tlsmgr unix - - n 1000? 1 tlsmgr\n";
    if (::chown((dir_.path() / "data").c_str(), postfix_uid(), static_cast<gid_t>(-1)) != 0)
        FAIL("chown data directory to postfix");
    std::string out;
    int rc = run_command({"postfix", "-c", (dir_.path() / "conf").string(), "start"}, out, true);
    INFO(out << maillog());
    REQUIRE(rc == 0);
    REQUIRE(wait_for_tcp("127.0.0.1", port_, std::chrono::milliseconds(15000)));
    started_ = true;
}

PostfixServer::~PostfixServer() {
    if (!started_) return;
    std::string out;
    run_command({"postfix", "-c", (dir_.path() / "conf").string(), "stop"}, out, true);
}

std::string PostfixServer::maillog() const { return read_file(dir_.path() / "maillog"); }

bool PostfixServer::wait_log(const std::string& what, std::chrono::milliseconds wait) const {
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        if (maillog().find(what) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return maillog().find(what) != std::string::npos;
}

}  // namespace relaylab::test
