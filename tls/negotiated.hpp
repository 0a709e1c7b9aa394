// What one TLS handshake negotiated and what the peer's certificate check found, as plain values:
// the SMTP cores take these without knowing OpenSSL or Asio (tls/context.hpp makes them).
#pragma once

#include <string>
#include <string_view>

namespace relaylab::tls {

// What the peer's certificate check found, worst first when several apply.
enum class Trust {
    Verified,       // a chain to a trusted authority, valid now, for the host's name
    Trusted,        // chain and dates fine, but issued for another name
    Expired,        // chain fine, but outside its validity (expired or not yet valid)
    Untrusted,      // no chain to a trusted authority (self-signed, unknown issuer, bad signature)
    NoCertificate,  // the peer sent none
};
std::string_view to_string(Trust t);  // "verified", "trusted", "expired", "untrusted", "none"

// What a finished handshake negotiated, for the log line Postfix writes
// ("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)") and for the SMTP core.
struct Negotiated {
    std::string protocol;
    std::string cipher;
    int bits = 0;
    int alg_bits = 0;
    Trust trust = Trust::NoCertificate;
    std::string verify_words;  // why trust is not Verified, in OpenSSL's words ("" when verified)
    std::string peer_name;     // the certificate's subject CN ("" without one)
};
// "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
std::string describe(const Negotiated& n);
// Postfix's word for the peer before "TLS connection established": "Verified", "Trusted",
// "Untrusted", "Anonymous".
std::string_view trust_word(Trust t);

}  // namespace relaylab::tls
