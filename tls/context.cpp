#include "tls/context.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <system_error>

namespace relaylab::tls {

namespace ssl = boost::asio::ssl;

bool PeerCheck::on_verify(bool preverified, ssl::verify_context& ctx) {
    if (preverified) return true;
    X509_STORE_CTX* store = ctx.native_handle();
    const int err = X509_STORE_CTX_get_error(store);
    int rank = 0;  // which finding this error is; the worst one's words are kept
    switch (err) {
        case X509_V_OK: return true;
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            wrong_name_ = true;
            rank = 1;
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            expired_ = true;
            rank = 2;
            break;
        default:  // self-signed, unknown issuer, bad signature, unusable chain
            untrusted_ = true;
            rank = 3;
            break;
    }
    const int decided_rank = decided_ == 0 ? 0
                             : (decided_ == X509_V_ERR_HOSTNAME_MISMATCH || decided_ == X509_V_ERR_IP_ADDRESS_MISMATCH) ? 1
                             : (decided_ == X509_V_ERR_CERT_HAS_EXPIRED || decided_ == X509_V_ERR_CERT_NOT_YET_VALID) ? 2
                                                                                                                     : 3;
    if (rank > decided_rank) {
        decided_ = err;
        words_ = X509_verify_cert_error_string(err);
    }
    return true;  // the SMTP core decides; the handshake goes on
}

Trust PeerCheck::trust(bool have_certificate) const {
    if (!have_certificate) return Trust::NoCertificate;
    if (untrusted_) return Trust::Untrusted;
    if (expired_) return Trust::Expired;
    if (wrong_name_) return Trust::Trusted;
    return Trust::Verified;
}

Negotiated negotiated(const Stream& stream, const PeerCheck& check) {
    SSL* s = const_cast<Stream&>(stream).native_handle();
    Negotiated n;
    n.protocol = SSL_get_version(s);
    const SSL_CIPHER* cipher = SSL_get_current_cipher(s);
    if (cipher) {
        n.cipher = SSL_CIPHER_get_name(cipher);
        n.bits = SSL_CIPHER_get_bits(cipher, &n.alg_bits);
    }
    X509* peer = SSL_get0_peer_certificate(s);
    n.trust = check.trust(peer != nullptr);
    if (n.trust != Trust::Verified) n.verify_words = peer ? check.words() : "no certificate";
    if (peer) {
        char cn[256] = {};
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn) > 0) n.peer_name = cn;
    }
    return n;
}

std::string take_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

namespace {

// The words of an error Asio took off OpenSSL's queue. A system error (a missing file) is errno
// in OpenSSL 3's packing, which Asio's category calls only "asio.ssl error".
std::string words_of(const boost::system::error_code& ec) {
    if (ec.category() == boost::asio::error::get_ssl_category()) {
        const auto e = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
        if (ERR_SYSTEM_ERROR(e)) return std::error_code(ERR_GET_REASON(e), std::system_category()).message();
    }
    return ec.message();
}

// Asio has already taken the first error off OpenSSL's queue into `ec` (often the only one: "no
// certificate or crl found"), so its words come first, then whatever the queue still holds.
ContextOrError failed(std::string what, const boost::system::error_code& ec = {}) {
    std::string why = ec ? words_of(ec) : std::string();
    if (std::string more = take_errors(); !more.empty()) why += (why.empty() ? "" : "; ") + more;
    return Failure{why.empty() ? what : what + ": " + why};
}

std::shared_ptr<ssl::context> base(ssl::context::method m) {
    auto ctx = std::make_shared<ssl::context>(m);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::single_dh_use);
    return ctx;
}

}  // namespace

ContextOrError client_context(const std::string& ca_file) {
    auto ctx = base(ssl::context::tls_client);
    boost::system::error_code ec;
    if (ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) return failed("cannot load the system's certificate authorities", ec);
    } else {
        ctx->load_verify_file(ca_file, ec);
        if (ec) return failed(ca_file + ": cannot load certificate authorities", ec);
    }
    return ctx;
}

ContextOrError client_context_from_pem(const std::string& ca_pem) {
    auto ctx = base(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->add_certificate_authority(boost::asio::buffer(ca_pem), ec);
    if (ec) return failed("cannot load the certificate authority");
    return ctx;
}

ContextOrError server_context_from_files(const std::string& cert_file, const std::string& key_file) {
    auto ctx = base(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(cert_file, ec);
    if (ec) return failed(cert_file + ": cannot load the certificate chain", ec);
    ctx->use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec) return failed(key_file + ": cannot load the private key", ec);
    return ctx;
}

ContextOrError server_context_from_pem(const std::string& cert_pem, const std::string& key_pem) {
    auto ctx = base(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
    if (ec) return failed("cannot load the certificate", ec);
    ctx->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
    if (ec) return failed("cannot load the private key", ec);
    return ctx;
}

void prepare_client(Stream& stream, const std::string& host, TimePoint check_at, PeerCheck& check) {
    SSL* s = stream.native_handle();
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    const bool literal = !ec;
    if (!host.empty() && !literal) {
        SSL_set_tlsext_host_name(s, host.c_str());  // SNI (RFC 6066 §3): names only
        SSL_set1_host(s, host.c_str());             // RFC 6125 name check in the chain check
    }
    X509_VERIFY_PARAM_set_time(SSL_get0_param(s), std::chrono::system_clock::to_time_t(check_at));
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback([&check](bool preverified, ssl::verify_context& ctx) {
        return check.on_verify(preverified, ctx);
    });
}

}  // namespace relaylab::tls
