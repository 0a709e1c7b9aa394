#include "tls/certificates.hpp"

#include "tls/context.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace relaylab::tls {

namespace {

template <class T, void (*F)(T*)>
struct Free {
    void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) {
    std::string why = take_errors();
    throw std::runtime_error("certificate: " + what + (why.empty() ? "" : ": " + why));
}

std::string pem_of(int (*write)(BIO*, const void*), const void* object) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get(), object) != 1) fail("cannot write PEM");
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

int write_cert(BIO* b, const void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(const_cast<void*>(x))); }
int write_key(BIO* b, const void* k) {
    return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(const_cast<void*>(k)), nullptr, nullptr, 0, nullptr,
                                    nullptr);
}

Cert read_cert(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Cert c(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!c) fail("cannot read the issuer's certificate");
    return c;
}

Key read_key(const std::string& pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Key k(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!k) fail("cannot read the issuer's key");
    return k;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) fail("cannot make extension " + value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

}  // namespace

Credentials make_certificate(const CertificateSpec& spec, const Credentials* issuer) {
    Key key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot make a key");
    Cert cert(X509_new());
    if (!cert) fail("cannot make a certificate");
    X509_set_version(cert.get(), 2);  // v3

    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) fail("no random serial");
    serial[0] &= 0x7f;  // positive (RFC 5280 §4.1.2.2)
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);

    ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(spec.not_before));
    ASN1_TIME_set(X509_getm_notAfter(cert.get()), std::chrono::system_clock::to_time_t(spec.not_after));
    X509_set_pubkey(cert.get(), key.get());

    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.name.c_str()), -1,
                               -1, 0);

    Cert issuer_cert;
    Key issuer_key;
    if (issuer) {
        issuer_cert = read_cert(issuer->cert_pem);
        issuer_key = read_key(issuer->key_pem);
        X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get()));
    } else {
        X509_set_issuer_name(cert.get(), name);
    }
    X509* signer_cert = issuer ? issuer_cert.get() : cert.get();
    EVP_PKEY* signer_key = issuer ? issuer_key.get() : key.get();

    add_extension(cert.get(), signer_cert, NID_basic_constraints, spec.authority ? "critical,CA:TRUE" : "CA:FALSE");
    add_extension(cert.get(), signer_cert, NID_key_usage,
                  spec.authority ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_extension(cert.get(), signer_cert, NID_subject_key_identifier, "hash");
    if (issuer) add_extension(cert.get(), signer_cert, NID_authority_key_identifier, "keyid:always");
    if (!spec.authority) {
        boost::system::error_code ec;
        boost::asio::ip::make_address(spec.name, ec);
        add_extension(cert.get(), signer_cert, NID_subject_alt_name, (ec ? "DNS:" : "IP:") + spec.name);
        add_extension(cert.get(), signer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    }

    if (X509_sign(cert.get(), signer_key, EVP_sha256()) <= 0) fail("cannot sign");
    return {pem_of(write_cert, cert.get()), pem_of(write_key, key.get())};
}

}  // namespace relaylab::tls
