// The diagnosis commands as users run them: output and exit status of the relaylab binary.
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace relaylab::test;

namespace {

const std::string fixtures = DIAGNOSIS_FIXTURES;

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

int run_relaylab(std::vector<std::string> args, std::string& out) {
    args.insert(args.begin(), relaylab_binary());
    return run_command(args, out, false, std::chrono::milliseconds(120000));
}

// The table line of one audit case.
std::string audit_line(const std::string& out, const std::string& id) {
    const auto at = out.find("\n" + id + " ");
    if (at == std::string::npos) return {};
    return out.substr(at + 1, out.find('\n', at + 1) - at - 1);
}

}  // namespace

TEST_CASE("relaylab check-address", "[diagnosis][command]") {
    std::string out;
    SECTION("q. is valid only quoted; Exchange 5.5 refuses it with 553 malformed address") {
        CHECK(run_relaylab({"check-address", "q.@docomo.ne.jp"}, out) == 1);
        CHECK(has(out, "valid only quoted"));
        CHECK(has(out, "\"q.\"@docomo.ne.jp"));
        CHECK(has(out, "553 malformed address"));
        CHECK(has(out, "553 5.1.0 Sender address syntax error"));
    }
    SECTION("a dot-atom passes") {
        CHECK(run_relaylab({"check-address", "alice@docomo.ne.jp"}, out) == 0);
        CHECK(has(out, "valid dot-atom"));
    }
    SECTION("--json, several addresses") {
        CHECK(run_relaylab({"check-address", "--json", "p..q.@docomo.ne.jp", "bob@isp..example"}, out) == 1);
        auto j = nlohmann::json::parse(out);
        REQUIRE(j.size() == 2);
        CHECK(j[0]["verdict"] == "quoted_only");
        CHECK(j[0]["send_as"] == "\"p..q.\"@docomo.ne.jp");
        CHECK(j[1]["verdict"] == "invalid");
        CHECK(j[0]["mta_profiles"].size() >= 6);
    }
    SECTION("usage errors") {
        CHECK(run_relaylab({"check-address"}, out) == 2);
        CHECK(run_relaylab({"check-address", "--lang", "fr", "a@b.example"}, out) == 2);
    }
}

TEST_CASE("relaylab explain", "[diagnosis][command]") {
    std::string out;
    SECTION("a Postfix bounce, English") {
        CHECK(run_relaylab({"explain", fixtures + "/postfix-553-mail.eml"}, out) == 0);
        CHECK(has(out, "sender_rejected"));
        CHECK(has(out, "MAIL FROM"));
        CHECK(has(out, "553 malformed address"));
        CHECK(has(out, "ends with a dot"));
    }
    SECTION("an Exim bounce, Japanese") {
        CHECK(run_relaylab({"explain", "--lang", "ja", fixtures + "/exim-553-mail.eml"}, out) == 0);
        CHECK(has(out, "考えられる原因"));
    }
    SECTION("--json") {
        CHECK(run_relaylab({"explain", "--json", fixtures + "/sendmail-553-mail.eml"}, out) == 0);
        auto j = nlohmann::json::parse(out);
        CHECK(j["class"] == "sender_rejected");
        CHECK(j["status"] == "5.1.7");
        CHECK(j["source"] == "sendmail_bounce");
    }
    SECTION("--json on a reply in Latin-1 (not UTF-8): the bytes become U+FFFD, no abort") {
        // Found by fuzz_explain: nlohmann's dump() threw on the byte 0xE4 and the command died.
        TempDir dir;
        auto path = dir.path() / "latin1.log";
        std::ofstream(path, std::ios::binary)
            << "Jun  1 10:00:00 relay postfix/smtp[123]: 4AB12: to=<bob@isp.example>, relay=mx1.isp.example"
               "[192.0.2.1]:25, delay=1.2, dsn=5.1.1, status=bounced (host mx1.isp.example[192.0.2.1] said: "
               "550 5.1.1 Unbekannter Empf\xe4nger (in reply to RCPT TO command))\n";
        CHECK(run_relaylab({"explain", "--json", path.string()}, out) == 0);
        auto j = nlohmann::json::parse(out);
        CHECK(j["status"] == "5.1.1");
        CHECK(has(out, "Empf\xef\xbf\xbdnger"));  // U+FFFD in UTF-8
    }
    SECTION("cannot tell") {
        CHECK(run_relaylab({"explain", fixtures + "/not-a-bounce.txt"}, out) == 1);
        CHECK(has(out, "cannot tell"));
    }
    SECTION("a missing file") {
        CHECK(run_relaylab({"explain", fixtures + "/no-such-file.eml"}, out) == 2);
    }
}

TEST_CASE("relaylab audit", "[diagnosis][command]") {
    std::string out;
    SECTION("legacy-2009 shows the 553-at-MAIL mislabel and exits 1") {
        CHECK(run_relaylab({"audit", "--policy", "legacy-2009"}, out) == 1);
        const auto line = audit_line(out, "mail-553-bare");
        CHECK(has(line, "sender_rejected"));
        CHECK(has(line, "host_unknown"));
        CHECK(has(line, "MISLABEL"));
        CHECK(has(out, "Host Unknown"));
        CHECK(has(audit_line(out, "dns-nxdomain"), " ok"));  // a true host unknown is no lie
        CHECK_FALSE(has(out, "ERROR"));
        CHECK_FALSE(has(out, "UNEXPECTED"));
    }
    SECTION("accurate has no mislabel") {
        CHECK(run_relaylab({"audit", "--policy", "accurate"}, out) == 0);
        CHECK(has(out, "0 mislabels, 0 errors"));
    }
    SECTION("--json, one case") {
        CHECK(run_relaylab({"audit", "--policy", "legacy-2009", "--json", "--case", "mail-553-bare"}, out) == 1);
        auto j = nlohmann::json::parse(out);
        REQUIRE(j["cases"].size() == 1);
        CHECK(j["cases"][0]["truth"]["stage"] == "mail");
        CHECK(j["cases"][0]["truth"]["reply"] == "553 malformed address");
        CHECK(j["cases"][0]["truth"]["status"] == "5.1.7");
        CHECK(j["cases"][0]["words"]["claims"] == "host_unknown");
        CHECK(j["cases"][0]["mislabel"] == true);
    }
    SECTION("usage errors") {
        CHECK(run_relaylab({"audit"}, out) == 2);
        CHECK(run_relaylab({"audit", "--policy", "no-such-policy"}, out) == 2);
    }
}

TEST_CASE("relaylab scenario from-log", "[diagnosis][command]") {
    std::string out;
    TempDir dir("relaylab-fromlog");
    SECTION("a Postfix bounce becomes a scenario that `relaylab run` passes") {
        const auto file = (dir.path() / "s.json").string();
        REQUIRE(run_relaylab({"scenario", "from-log", fixtures + "/postfix-553-mail.eml", "-o", file}, out) == 0);
        CHECK(run_relaylab({"run", file}, out) == 0);
        CHECK(has(out, "0 failed"));
    }
    SECTION("the scenario names the stage, the reply and the malformed sender") {
        REQUIRE(run_relaylab({"scenario", "from-log", fixtures + "/exim-553-mail.eml"}, out) == 0);
        auto j = nlohmann::json::parse(out);
        CHECK(j["world"]["remotes"]["mx1.isp.example"]["script"]["malformed_sender"]["reply"] == "553 malformed address");
        CHECK(j["expect"][0]["stage"] == "mail");
        CHECK(j["expect"][0]["dsn"] == "5.1.7");
        CHECK(j["submissions"][0]["from"] == "p..q.@docomo.ne.jp");
    }
    SECTION("cannot tell, usage") {
        CHECK(run_relaylab({"scenario", "from-log", fixtures + "/not-a-bounce.txt"}, out) == 1);
        CHECK(run_relaylab({"scenario", "from-log"}, out) == 2);
        CHECK(run_relaylab({"scenario", "nonsense"}, out) == 2);
    }
}
