// A throwaway Postfix (`postfix -c DIR`) on a free 127.0.0.1 port with its own configuration, queue
// and log (maillog_file, no syslog): mail for isp.test is discarded once queued, so a test reads
// what Postfix did in its maillog. Needs root (master starts as root and drops to mail_owner) and
// the postfix package: without them the test is a visible SKIP (tests/support/process.hpp).
#pragma once

#include "tests/support/process.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace relaylab::test {

struct PostfixOptions {
    bool smtputf8 = false;  // smtputf8_enable
    // STARTTLS on its smtpd: smtpd_tls_security_level (none, may, encrypt) and the certificate
    // chain and key files (PEM), needed unless the level is none. smtpd_tls_loglevel = 1 logs
    // "Anonymous TLS connection established from ..." for each TLS session.
    std::string tls_security_level = "none";
    std::string tls_cert_file;
    std::string tls_key_file;
    std::vector<std::string> main_cf;  // more main.cf lines ("smtpd_tls_protocols = ...")
};

class PostfixServer {
public:
    explicit PostfixServer(PostfixOptions options = {});
    ~PostfixServer();
    PostfixServer(const PostfixServer&) = delete;
    PostfixServer& operator=(const PostfixServer&) = delete;

    unsigned short port() const { return port_; }
    std::string maillog() const;
    // Polls the maillog until it holds `what`; false after `wait`.
    bool wait_log(const std::string& what, std::chrono::milliseconds wait = std::chrono::milliseconds(10000)) const;

private:
    TempDir dir_{"relaylab-postfix"};
    unsigned short port_;
    bool started_ = false;
};

}  // namespace relaylab::test
