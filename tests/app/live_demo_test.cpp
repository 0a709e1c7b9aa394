// scripts/live-demo.sh (./dev.sh live-demo) run whole, as a trainer runs it: it picks its own ports,
// writes its own configs in a temp folder, runs the 2009 incident through two `relaylab serve`
// processes (legacy-2009 and accurate) and prints the handset's notices decoded.
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

using namespace relaylab::test;
using namespace std::chrono_literals;

TEST_CASE("the live demo starts anywhere and shows both notices decoded", "[notice][live-demo]") {
    require_program("bash", "bash");
    const std::string script = std::string(RELAYLAB_SOURCE_DIR) + "/scripts/live-demo.sh";
    std::string out;
    int rc = run_command({"bash", script, relaylab_binary()}, out, true, 90s);
    INFO(out);
    REQUIRE(rc == 0);
    CHECK(out.find("C: MAIL FROM:<q.@docomo.ne.jp>") != std::string::npos);
    CHECK(out.find("S: 553 malformed address") != std::string::npos);
    CHECK(out.find("status=bounced (host mail.isp.example[127.0.0.31] said: 553 malformed address (in reply to MAIL FROM command))") !=
          std::string::npos);
    auto legacy = out.find("== The handset's notice under policy legacy-2009");
    auto accurate = out.find("== The handset's notice under policy accurate");
    REQUIRE(legacy != std::string::npos);
    REQUIRE(accurate != std::string::npos);
    const std::string legacy_part = out.substr(legacy, accurate - legacy), accurate_part = out.substr(accurate);
    CHECK(legacy_part.find("Subject: 送信メールエラー\n") != std::string::npos);
    CHECK(legacy_part.find("Host Unknown") != std::string::npos);
    CHECK(accurate_part.find("Subject: 送信エラー: 送信元アドレスが受信側に拒否されました\n") != std::string::npos);
    for (const auto& part : {legacy_part, accurate_part}) {
        CHECK(part.find("  Status: 5.1.7\n") != std::string::npos);
        CHECK(part.find("  Diagnostic-Code: smtp; 553 malformed address\n") != std::string::npos);
        CHECK(part.find("=?ISO-2022-JP?") == std::string::npos);  // decoded, not raw
    }
}
