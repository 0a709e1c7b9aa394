// Postfix's smtp-sink as a real remote MTA for tests, on a free port of 127.0.0.1 (or of `ip`,
// IPv6 included: "::1").
#pragma once

#include "tests/support/process.hpp"

#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace relaylab::test {

inline constexpr const char* smtp_sink_program = "/usr/sbin/smtp-sink";

class SmtpSink {
public:
    // `options` as smtp-sink takes them, e.g. {"-f", "MAIL", "-B", "553 malformed address"}.
    explicit SmtpSink(std::vector<std::string> options = {}, const std::string& ip = "127.0.0.1")
        : ip_(ip), port_(free_port(ip)) {
        require_program(smtp_sink_program, "postfix");
        std::vector<std::string> argv{smtp_sink_program};
        if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});  // it refuses to run as root
        argv.insert(argv.end(), options.begin(), options.end());
        // Postfix writes an IPv6 endpoint in brackets: [::1]:port.
        const bool v6 = ip.find(':') != std::string::npos;
        argv.insert(argv.end(), {(v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port_), "100"});
        process_.emplace(argv, dir_.path() / "smtp-sink.log");
        if (!wait_for_tcp(ip, port_)) throw std::runtime_error("smtp-sink did not start: " + process_->log_text());
    }
    const std::string& ip() const { return ip_; }
    unsigned short port() const { return port_; }
    std::string endpoint() const { return ip_ + ":" + std::to_string(port_); }

private:
    TempDir dir_{"relaylab-smtp-sink"};
    std::string ip_;
    unsigned short port_;
    std::optional<ChildProcess> process_;
};

}  // namespace relaylab::test
