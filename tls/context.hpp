// TLS contexts and what one handshake found, for both SMTP sides (RFC 3207).
//
// The peer's certificate is always checked (chain, dates at the caller's clock, the host name) but
// the check never ends the handshake: PeerCheck records what it found, and the SMTP core decides
// what that means at the destination's security level (Postfix's "may" logs an untrusted peer and
// goes on; "verify" defers). Checking at the caller's clock makes "expired" a function of the
// scenario's virtual time, not of the day the test runs.
#pragma once

#include "clock/clock.hpp"
#include "result/result.hpp"
#include "tls/negotiated.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace relaylab::tls {

using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;

// Every error of one certificate check, recorded while the handshake goes on.
class PeerCheck {
public:
    // For Asio's verify callback: records `preverified == false` errors and always goes on.
    bool on_verify(bool preverified, boost::asio::ssl::verify_context& ctx);
    Trust trust(bool have_certificate) const;
    // OpenSSL's words for the error that decided trust(): "certificate has expired".
    const std::string& words() const { return words_; }

private:
    bool untrusted_ = false;
    bool expired_ = false;
    bool wrong_name_ = false;
    int decided_ = 0;  // the X509_V_ERR_* behind words_
    std::string words_;
};

Negotiated negotiated(const Stream& stream, const PeerCheck& check);

// A context, or why it could not be made ("file: reason", OpenSSL's words included).
using ContextOrError = Result<std::shared_ptr<boost::asio::ssl::context>, std::string>;

// Outbound: the authorities of `ca_file` (PEM), or the system's when empty.
ContextOrError client_context(const std::string& ca_file);
// Outbound, trusting only the authority in `ca_pem` (a scenario's own, made at run time).
ContextOrError client_context_from_pem(const std::string& ca_pem);
// Intake and scripted remotes: a certificate chain and its key, from files or PEM text.
ContextOrError server_context_from_files(const std::string& cert_file, const std::string& key_file);
ContextOrError server_context_from_pem(const std::string& cert_pem, const std::string& key_pem);

// Before a client handshake: SNI and the name to check when `host` is a DNS name (not an address
// literal), the time to check at, and the verify callback into `check` (which must outlive it).
void prepare_client(Stream& stream, const std::string& host, TimePoint check_at, PeerCheck& check);

// OpenSSL's error queue as one line ("" when empty), emptied: the words of a failed handshake.
std::string take_errors();

}  // namespace relaylab::tls
