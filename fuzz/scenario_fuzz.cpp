// libFuzzer target: the scenario loader (docs/scenarios.md): any text in, as a scenario file, a
// Scenario or a JsonSourceError out — the one exception parse_scenario documents — whose position is
// a line:col inside the text. A scenario that loads must keep the loader's promises: its bounds,
// its sort orders and loopback-only remotes. Never a crash, never any other exception.
#include "fuzz/fuzz_check.hpp"
#include "scenarios/scenario.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

using namespace relaylab;

namespace {

const char* const file_name = "fuzz.json";

void check_error(const JsonSourceError& e, const std::string& text) {
    FUZZ_CHECK(e.file() == file_name);
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    FUZZ_CHECK(e.line() >= 1 && e.line() <= lines);
    FUZZ_CHECK(e.column() >= 1 && e.column() <= text.size() + 1);
    FUZZ_CHECK(std::string(e.what()).rfind(std::string(file_name) + ":", 0) == 0);
}

bool on_loopback(const std::string& ip) { return ip.rfind("127.", 0) == 0; }

void check_scenario(const scn::Scenario& s) {
    FUZZ_CHECK(s.file == file_name);
    FUZZ_CHECK(!s.submissions.empty() && s.submissions.size() <= scn::max_submissions);
    for (std::size_t i = 0; i < s.submissions.size(); ++i) {
        const auto& sub = s.submissions[i];
        FUZZ_CHECK(!sub.to.empty() && sub.to.size() <= scn::max_recipients_per_submission);
        FUZZ_CHECK(sub.from.find_first_of("\r\n") == std::string::npos);
        FUZZ_CHECK(sub.subject.find_first_of("\r\n") == std::string::npos);
        if (i > 0) FUZZ_CHECK(s.submissions[i - 1].at <= sub.at);
    }
    FUZZ_CHECK(s.remotes.size() <= scn::max_remotes);
    for (std::size_t i = 0; i < s.remotes.size(); ++i) {
        const auto& r = s.remotes[i];
        FUZZ_CHECK(!r.host.empty());
        if (i > 0) FUZZ_CHECK(s.remotes[i - 1].host < r.host);
        if (r.address) FUZZ_CHECK(on_loopback(*r.address));
        if (r.external_ip) {
            FUZZ_CHECK(on_loopback(*r.external_ip) && r.external_port != 0);
            FUZZ_CHECK(!r.address && !r.profile);
        }
    }
    FUZZ_CHECK(s.expectations.size() <= scn::max_expectations);
    for (const auto& e : s.expectations) {
        FUZZ_CHECK(!e.name.empty());
        FUZZ_CHECK(e.pointer.rfind("/expect/", 0) == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        scn::Scenario s = scn::parse_scenario(JsonSource(file_name, text));
        check_scenario(s);
    } catch (const JsonSourceError& e) {
        check_error(e, text);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scenario loader threw an undocumented exception: %s\n", e.what());
        std::abort();
    }
    return 0;
}
