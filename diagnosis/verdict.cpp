#include "diagnosis/verdict.hpp"

namespace relaylab::diag {

std::optional<gw::Classification> classify_finding(const Finding& f) {
    const auto outcome = to_outcome(f);
    if (!outcome || (f.expired && !outcome->last_temporary)) return std::nullopt;
    return gw::classify(*outcome);
}

}  // namespace relaylab::diag
