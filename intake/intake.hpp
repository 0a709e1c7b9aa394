// The handsets' door: an SMTP server (smtpserver's core and listener) that is lenient about local
// parts the way the 2009 carrier was, or quotes or refuses them by config, and hands each accepted
// message to the queue (a Submission: the relay in practice). Only allowed networks may submit
// (default: loopback).
#pragma once

#include "clock/clock.hpp"
#include "address/address.hpp"
#include "intake/limits.hpp"
#include "intake/network.hpp"
#include "queue/submission.hpp"
#include "smtpserver/listener.hpp"
#include "tls/context.hpp"

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace relaylab::gw {

struct IntakeSettings {
    std::string hostname = "relay.carrier.example";
    LocalPartMode local_part = LocalPartMode::Pass;
    IntakeLimits limits;
    std::vector<Network> allow = loopback_networks();
    // STARTTLS for the handsets (RFC 3207; docs/tls.md): offered, or required before MAIL. The
    // context holds intake's certificate and key (config tls.cert_file / tls.key_file).
    smtp::ServerTls tls = smtp::ServerTls::None;
    std::shared_ptr<boost::asio::ssl::context> tls_context;
};

class IntakeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The allow-list from config; refuses (IntakeError) to listen on a non-loopback address without an
// explicit allow-list, so that a config typo never makes an open relay.
std::vector<Network> intake_networks(const std::string& listen_ip, const std::vector<std::string>& allow);

// What the door saw, for operators (relaylab serve's metrics): sessions, and refusals by reason.
struct IntakeCounts {
    std::uint64_t sessions = 0;
    std::uint64_t refused_network = 0;  // 554 greeting: not an allowed network
    std::uint64_t refused_address = 0;  // MAIL FROM or RCPT TO refused (local part mode, no domain)
    std::uint64_t refused_queue = 0;    // 451 4.3.0: the message could not be written to the spool
    // Every 4xx/5xx reply intake sent, by code: the policy's refusals above and the SMTP core's own
    // (500/501 syntax, 503 order, 552 size, 452 too many recipients, 530 STARTTLS first, 421 timeout).
    std::map<int, std::uint64_t> negative_replies;
};

// Where intake's log lines go (the daemon's log): one line in Postfix's words, without the time and
// the program name the log adds. Warnings start with "warning: "; the others say what happened
// ("Anonymous TLS connection established from ...").
using IntakeWarn = std::function<void(const std::string& line)>;

// Why a message was answered 451 4.3.0, for the log (the handset hears only the 451):
// "warning: queue file write error: fdatasync spool/queue.log: No space left on device".
std::string queue_write_warning(const SpoolError& error);

class Intake {
public:
    // Binds at once; throws boost::system::system_error when the address cannot be bound.
    // `warn` hears each spool failure that made intake answer 451.
    Intake(boost::asio::any_io_executor ex, Clock& clock, Submission& queue, IntakeSettings settings,
           const std::string& ip, unsigned short port, IntakeWarn warn = {});
    unsigned short port() const { return listener_->port(); }
    void stop() { listener_->stop(); }
    // A drain: no new handset connects; the sessions already open finish (their messages are queued).
    void stop_accepting() { listener_->stop_accepting(); }
    std::size_t open_sessions() const { return listener_->open_connections(); }
    const IntakeCounts& counts() const { return *counts_; }

private:
    std::shared_ptr<IntakeCounts> counts_ = std::make_shared<IntakeCounts>();
    std::unique_ptr<smtp::Listener> listener_;
};

}  // namespace relaylab::gw
