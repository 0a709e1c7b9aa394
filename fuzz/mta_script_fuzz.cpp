// libFuzzer target: the scripted remote MTA loader (a JSON profile of per-stage, per-attempt
// behaviour): any text in, a script or an MtaScriptError with its path or line:col out.
#include "scenarios/world/smtp_script.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

using namespace relaylab::world;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parsed = parse_mta_script(std::string_view(reinterpret_cast<const char*>(data), size));
    if (auto* error = std::get_if<MtaScriptError>(&parsed)) (void)error->str();
    return 0;
}
