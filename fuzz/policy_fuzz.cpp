// libFuzzer target: the policy loader (policies/*.json): any text in, a Policy or a typed
// PolicyError out, whose message() names the file and place. Never a crash, never an exception.
#include "bounce/policy.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace relaylab::gw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    PolicyLoad load = parse_policy(text, "fuzz.json");
    // A Result holds exactly one side by construction; reading the one it holds never throws.
    if (!load) (void)load.error().message();
    else if (load->rules.size() > max_policy_rules) std::abort();
    return 0;
}
