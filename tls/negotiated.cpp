#include "tls/negotiated.hpp"

namespace relaylab::tls {

std::string_view to_string(Trust t) {
    switch (t) {
        case Trust::Verified: return "verified";
        case Trust::Trusted: return "trusted";
        case Trust::Expired: return "expired";
        case Trust::Untrusted: return "untrusted";
        case Trust::NoCertificate: return "none";
    }
    return "none";
}

std::string_view trust_word(Trust t) {
    switch (t) {
        case Trust::Verified: return "Verified";
        case Trust::Trusted: return "Trusted";
        case Trust::Expired:
        case Trust::Untrusted: return "Untrusted";
        case Trust::NoCertificate: return "Anonymous";
    }
    return "Anonymous";
}

std::string describe(const Negotiated& n) {
    return n.protocol + " with cipher " + n.cipher + " (" + std::to_string(n.bits) + "/" + std::to_string(n.alg_bits) +
           " bits)";
}

}  // namespace relaylab::tls
