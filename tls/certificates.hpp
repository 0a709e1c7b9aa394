// Certificates made at run time (EC P-256, SHA-256), for the tests and the scripted remotes: an
// authority, a certificate it issues, or a self-signed one, each valid in a given window. Nothing
// of this is checked in; a run makes what it needs.
#pragma once

#include "clock/clock.hpp"

#include <string>

namespace relaylab::tls {

struct Credentials {
    std::string cert_pem;
    std::string key_pem;
};

struct CertificateSpec {
    std::string name;  // subject CN and the one subjectAltName (DNS, or IP for an address literal)
    TimePoint not_before;
    TimePoint not_after;
    bool authority = false;  // CA:TRUE, may sign certificates
};

// Signed by `issuer`, or self-signed when `issuer` is null. Throws std::runtime_error with
// OpenSSL's words if OpenSSL fails (out of memory; never for a valid spec).
Credentials make_certificate(const CertificateSpec& spec, const Credentials* issuer);

}  // namespace relaylab::tls
