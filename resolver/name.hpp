// Domain names as the resolver compares and reports them: lower case, no trailing dot.
#pragma once

#include <string>
#include <string_view>

namespace relaylab::dns {

inline constexpr std::size_t kMaxNameLength = 253;  // RFC 1035 §2.3.4: 255 octets on the wire
inline constexpr std::size_t kMaxLabelLength = 63;  // RFC 1035 §2.3.4

// ASCII lower case, one trailing dot removed. Does not validate.
std::string normalise_name(std::string_view name);
// Whether a normalised name can be asked for: 1..253 characters, labels 1..63, no blanks, control
// characters or backslashes (c-ares would read those as escapes). Not a hostname syntax check:
// RFC 5321 §2.3.5 names are checked at the edge; here anything DNS can carry is allowed.
bool is_queryable_name(std::string_view normalised);

}  // namespace relaylab::dns
