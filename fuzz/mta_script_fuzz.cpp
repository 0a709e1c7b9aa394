// libFuzzer target: the scripted remote MTA loader (a JSON profile of per-stage, per-attempt
// behaviour): any text in, a script or an MtaScriptError with its path or line:col out.
#include "fuzz/fuzz_check.hpp"
#include "scenarios/world/smtp_script.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

using namespace relaylab::world;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parsed = parse_mta_script(std::string_view(reinterpret_cast<const char*>(data), size));
    if (auto* error = std::get_if<MtaScriptError>(&parsed)) {
        (void)error->str();
        return 0;
    }
    // Every lookup at a few times (the schedules' windows): an answer, never a schedule inside one.
    const auto& script = std::get<MtaScript>(parsed);
    using namespace std::chrono_literals;
    for (std::size_t attempt = 0; attempt < 3; ++attempt)
        for (relaylab::Duration t : {relaylab::Duration{}, relaylab::Duration{1h}, relaylab::Duration{72h}}) {
            for (auto stage : {MtaStage::Greeting, MtaStage::Rcpt, MtaStage::DataBody, MtaStage::Dot})
                if (auto st = script.step(stage, attempt, t)) FUZZ_CHECK(st->schedule.empty());
            if (auto st = script.mail_step("q.@docomo.ne.jp", attempt, t)) FUZZ_CHECK(st->schedule.empty());
            if (auto st = script.rcpt_step("bob@isp.example", attempt, t)) FUZZ_CHECK(st->schedule.empty());
        }
    return 0;
}
