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
    if (load.policy.has_value() == load.error.has_value()) std::abort();
    if (load.error) (void)load.error->message();
    return 0;
}
