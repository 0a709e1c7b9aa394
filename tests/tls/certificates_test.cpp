// tls/certificates.hpp: what make_certificate makes, read back with OpenSSL itself (not with the
// code under test): the names, the authority bit, the issuer and signature, the validity window.
#include "tls/certificates.hpp"

#include <catch2/catch.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <string>

using namespace relaylab;
using namespace std::chrono_literals;

namespace {

struct X509Deleter {
    void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Cert = std::unique_ptr<X509, X509Deleter>;
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;

Cert read_cert(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    Cert c(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    return c;
}

Key read_key(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    Key k(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    return k;
}

std::string common_name(X509* x, bool issuer = false) {
    char cn[256] = {};
    X509_NAME_get_text_by_NID(issuer ? X509_get_issuer_name(x) : X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    return cn;
}

// Seconds from `t` to the certificate's notBefore / notAfter (0 when they are the same instant).
long long seconds_to(const ASN1_TIME* when, TimePoint t) {
    ASN1_TIME* at = ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t));
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, at, when);
    ASN1_TIME_free(at);
    return static_cast<long long>(days) * 86400 + secs;
}

// 2031-05-01 00:00:00 UTC: far from the day the test runs, so nothing here depends on it.
const TimePoint kT0 = std::chrono::system_clock::from_time_t(1935446400);

}  // namespace

TEST_CASE("certificates: an authority is CA:TRUE, self-signed, and valid exactly in its window", "[tls][unit]") {
    auto ca = tls::make_certificate({"relaylab test authority", kT0, kT0 + 24h * 365, true}, nullptr);
    CHECK(ca.cert_pem.rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
    CHECK(ca.key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
    Cert c = read_cert(ca.cert_pem);
    Key k = read_key(ca.key_pem);
    REQUIRE(c);
    REQUIRE(k);
    CHECK(X509_check_ca(c.get()) == 1);
    CHECK(common_name(c.get()) == "relaylab test authority");
    CHECK(common_name(c.get(), true) == "relaylab test authority");
    CHECK(X509_check_issued(c.get(), c.get()) == X509_V_OK);  // self-issued
    CHECK(X509_verify(c.get(), k.get()) == 1);                // and self-signed with its own key
    CHECK(X509_check_private_key(c.get(), k.get()) == 1);
    CHECK(EVP_PKEY_is_a(k.get(), "EC"));
    CHECK(seconds_to(X509_get0_notBefore(c.get()), kT0) == 0);
    CHECK(seconds_to(X509_get0_notAfter(c.get()), kT0 + 24h * 365) == 0);
    // An authority names no host.
    CHECK(X509_get_ext_by_NID(c.get(), NID_subject_alt_name, -1) < 0);
}

TEST_CASE("certificates: one issued by an authority is signed by it, for its one name, not a CA", "[tls][unit]") {
    auto ca = tls::make_certificate({"relaylab test authority", kT0, kT0 + 24h * 365, true}, nullptr);
    auto mx = tls::make_certificate({"mail.isp.test", kT0 + 1h, kT0 + 24h * 30, false}, &ca);
    Cert ca_cert = read_cert(ca.cert_pem);
    Key ca_key = read_key(ca.key_pem);
    Cert c = read_cert(mx.cert_pem);
    Key k = read_key(mx.key_pem);
    REQUIRE(c);
    REQUIRE(k);
    CHECK(X509_check_ca(c.get()) == 0);
    CHECK(common_name(c.get()) == "mail.isp.test");
    CHECK(common_name(c.get(), true) == "relaylab test authority");
    CHECK(X509_check_issued(ca_cert.get(), c.get()) == X509_V_OK);
    CHECK(X509_verify(c.get(), ca_key.get()) == 1);  // the authority's signature
    CHECK(X509_verify(c.get(), k.get()) != 1);       // not its own
    CHECK(X509_check_private_key(c.get(), k.get()) == 1);
    CHECK(X509_check_host(c.get(), "mail.isp.test", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(c.get(), "MAIL.isp.test", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(c.get(), "other.isp.test", 0, 0, nullptr) == 0);
    CHECK(X509_check_host(c.get(), "isp.test", 0, 0, nullptr) == 0);
    CHECK(seconds_to(X509_get0_notBefore(c.get()), kT0 + 1h) == 0);
    CHECK(seconds_to(X509_get0_notAfter(c.get()), kT0 + 24h * 30) == 0);
    // Two certificates for the same spec are two keys and two serials.
    auto again = tls::make_certificate({"mail.isp.test", kT0 + 1h, kT0 + 24h * 30, false}, &ca);
    Cert c2 = read_cert(again.cert_pem);
    CHECK(again.key_pem != mx.key_pem);
    CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(c.get()), X509_get0_serialNumber(c2.get())) != 0);
}

TEST_CASE("certificates: a self-signed server certificate, and one for an address literal", "[tls][unit]") {
    auto self = tls::make_certificate({"mail.isp.test", kT0, kT0 + 24h, false}, nullptr);
    Cert c = read_cert(self.cert_pem);
    Key k = read_key(self.key_pem);
    REQUIRE(c);
    CHECK(X509_check_ca(c.get()) == 0);
    CHECK(X509_NAME_cmp(X509_get_subject_name(c.get()), X509_get_issuer_name(c.get())) == 0);
    CHECK(X509_verify(c.get(), k.get()) == 1);  // signed with its own key
    // Not an authority, so not even its own issuer: its key may not sign certificates.
    CHECK(X509_check_issued(c.get(), c.get()) == X509_V_ERR_KEYUSAGE_NO_CERTSIGN);
    CHECK(X509_check_host(c.get(), "mail.isp.test", 0, 0, nullptr) == 1);

    auto ip = tls::make_certificate({"192.0.2.25", kT0, kT0 + 24h, false}, nullptr);
    Cert ci = read_cert(ip.cert_pem);
    REQUIRE(ci);
    CHECK(X509_check_ip_asc(ci.get(), "192.0.2.25", 0) == 1);  // an iPAddress SAN, not a DNS name
    CHECK(X509_check_host(ci.get(), "192.0.2.25", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 0);
}

TEST_CASE("certificates: an issuer whose PEM cannot be read is an error in OpenSSL's words", "[tls][unit]") {
    tls::Credentials broken{"not a certificate", "not a key"};
    CHECK_THROWS_WITH(tls::make_certificate({"mail.isp.test", kT0, kT0 + 24h, false}, &broken),
                      Catch::Matchers::StartsWith("certificate: cannot read the issuer's certificate"));
}
