#include "resolver/name.hpp"

namespace relaylab::dns {

std::string normalise_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::string out(name);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_queryable_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    std::size_t label = 0;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || c == '\\') return false;
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
        } else if (++label > kMaxLabelLength) {
            return false;
        }
    }
    return label != 0;
}

}  // namespace relaylab::dns
