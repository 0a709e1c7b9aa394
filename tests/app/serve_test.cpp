// `relaylab serve` as a new user would try it: unbound serves a zone whose MX is Postfix's
// smtp-sink answering 553 to every MAIL FROM; swaks submits from q.@docomo.ne.jp; the handset's
// notice lands in its Maildir, and Sisimai reads the truth from it.
#include "tests/support/process.hpp"
#include "tests/support/smtp_sink.hpp"
#include "tests/support/unbound_server.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace relaylab::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One relaylab serve with its config, on free loopback ports.
class LiveRelay {
public:
    LiveRelay(const UnboundServer& dns, unsigned short mx_port, json extra) : intake_port(free_port()) {
        json cfg{{"hostname", "relay.docomo.test"},
                 {"intake", "127.0.0.1:" + std::to_string(intake_port)},
                 {"dns_servers", {dns.address()}},
                 {"dns_timeout_ms", 500},
                 {"mx_port", mx_port},
                 {"retry", {{"min_backoff", "1s"}, {"max_backoff", "1s"}, {"lifetime", "3s"}}},
                 {"mailboxes", (dir.path() / "mailboxes").string()},
                 {"spool", (dir.path() / "spool").string()},  // not the default: CTest's working directory is shared
                 {"log", (dir.path() / "maillog").string()}};
        cfg.update(extra);
        std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
        process.emplace(std::vector<std::string>{relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()},
                        dir.path() / "serve.out");
        REQUIRE(wait_for_tcp("127.0.0.1", intake_port));
    }

    int swaks(const std::string& from, const std::string& to, std::string& out) {
        require_program("swaks", "swaks");
        return run_command({"swaks", "--server", "127.0.0.1:" + std::to_string(intake_port), "--from", from, "--to", to,
                            "--h-Subject", "hello from a handset", "--timeout", "20"},
                           out, true, std::chrono::seconds(30));
    }

    // The handset's notices, waiting up to `wait` for `count` of them.
    std::vector<fs::path> notices(const std::string& handset, std::size_t count,
                                  std::chrono::milliseconds wait = std::chrono::milliseconds(15000)) {
        auto dirpath = dir.path() / "mailboxes" / handset / "new";
        auto until = std::chrono::steady_clock::now() + wait;
        std::vector<fs::path> files;
        do {
            files.clear();
            if (fs::exists(dirpath))
                for (const auto& e : fs::directory_iterator(dirpath)) files.push_back(e.path());
            if (files.size() >= count) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } while (std::chrono::steady_clock::now() < until);
        std::sort(files.begin(), files.end());
        return files;
    }

    std::string log() const { return read_file(dir.path() / "maillog"); }

    TempDir dir{"relaylab-serve"};
    unsigned short intake_port;
    std::optional<ChildProcess> process;
};

std::string sisimai_reason(const fs::path& notice) {
    require_perl_module("Sisimai", "libsisimai-perl");
    std::string out;
    int rc = run_command({"perl", "-MSisimai", "-e",
                          "my $v = Sisimai->make($ARGV[0]) || []; print $_->reason, '|', $_->deliverystatus, \"\\n\" for @$v;",
                          notice.string()},
                         out, true, std::chrono::seconds(60));
    REQUIRE(rc == 0);
    return out;
}

std::vector<std::string> incident_zone(unsigned short) {
    return {
        R"(local-zone: "isp.test." static)",
        R"(local-data: "isp.test. MX 10 mail.isp.test.")",
        R"(local-data: "mail.isp.test. A 127.0.0.1")",
        R"(local-zone: "nowhere.test." always_nxdomain)",
    };
}

}  // namespace

TEST_CASE("serve, legacy-2009: smtp-sink's 553 at MAIL FROM becomes 'Host Unknown' on the handset", "[serve]") {
    SmtpSink sink({"-f", "MAIL", "-B", "553 malformed address"});
    UnboundServer dns(incident_zone(sink.port()));
    LiveRelay relay(dns, sink.port(), {{"policy", "legacy-2009"}, {"notice_charset", "UTF-8"}});
    std::string out;
    REQUIRE(relay.swaks("q.@docomo.ne.jp", "user@isp.test", out) == 0);  // intake accepts, as in 2009
    auto files = relay.notices("q.@docomo.ne.jp", 1);
    REQUIRE(files.size() == 1);
    auto notice = read_file(files[0]);
    auto human = notice.substr(0, notice.find("message/delivery-status"));
    CHECK(human.find("553") == std::string::npos);
    CHECK(notice.find("Status: 5.1.7\r\n") != std::string::npos);
    CHECK(notice.find("Diagnostic-Code: smtp; 553 malformed address\r\n") != std::string::npos);
    CHECK(sisimai_reason(files[0]) == "rejected|5.1.7\n");
    CHECK(relay.log().find("dsn=5.1.7, status=bounced (host mail.isp.test[127.0.0.1] said: 553 malformed address "
                           "(in reply to MAIL FROM command))") != std::string::npos);
}

TEST_CASE("serve, accurate: the notice names the host, the reply, MAIL FROM and the trailing dot", "[serve]") {
    SmtpSink sink({"-f", "MAIL", "-B", "553 malformed address"});
    UnboundServer dns(incident_zone(sink.port()));
    LiveRelay relay(dns, sink.port(), {{"policy", "accurate"}, {"notice_language", "en"}, {"notice_charset", "UTF-8"}});
    std::string out;
    REQUIRE(relay.swaks("q.@docomo.ne.jp", "user@isp.test", out) == 0);
    auto files = relay.notices("q.@docomo.ne.jp", 1);
    REQUIRE(files.size() == 1);
    auto notice = read_file(files[0]);
    CHECK(notice.find("Status: 5.1.7\r\n") != std::string::npos);
    CHECK(sisimai_reason(files[0]) == "rejected|5.1.7\n");
    // The UTF-8 human part is base64: decode it with the notice's own structure via Python's email package.
    std::string text;
    require_program("python3", "python3");
    REQUIRE(run_command({"python3", "-c",
                         "import email,sys\nm=email.message_from_binary_file(open(sys.argv[1],'rb'))\n"
                         "print(m.get_payload(0).get_payload(decode=True).decode('utf-8'))",
                         files[0].string()},
                        text, true) == 0);
    CHECK(text.find("mail.isp.test") != std::string::npos);
    CHECK(text.find("553 malformed address") != std::string::npos);
    CHECK(text.find("MAIL FROM") != std::string::npos);
    CHECK(text.find("ends with a dot") != std::string::npos);
}

TEST_CASE("serve: a domain unbound says does not exist bounces at once, and quote mode is delivered via smtp-sink",
          "[serve]") {
    SmtpSink sink;
    UnboundServer dns(incident_zone(sink.port()));
    LiveRelay relay(dns, sink.port(), {{"policy", "legacy-2009"}, {"local_part", "quote"}});
    std::string out;
    REQUIRE(relay.swaks("q.@docomo.ne.jp", "user@nowhere.test", out) == 0);
    auto files = relay.notices("q.@docomo.ne.jp", 1);
    REQUIRE(files.size() == 1);
    CHECK(read_file(files[0]).find("Status: 5.1.2\r\n") != std::string::npos);
    CHECK(sisimai_reason(files[0]) == "hostunknown|5.1.2\n");

    REQUIRE(relay.swaks("q.@docomo.ne.jp", "user@isp.test", out) == 0);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (relay.log().find("status=sent") == std::string::npos && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(relay.log().find("to=<user@isp.test>, relay=mail.isp.test[127.0.0.1]") != std::string::npos);
    CHECK(relay.log().find("status=sent") != std::string::npos);
}

TEST_CASE("serve stops cleanly on SIGTERM and refuses a bad config with its position", "[serve]") {
    SmtpSink sink;
    UnboundServer dns(incident_zone(sink.port()));
    {
        LiveRelay relay(dns, sink.port(), json::object());
        int status = relay.process->stop();
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    TempDir dir;
    std::ofstream(dir.path() / "bad.json") << "{\n  \"policy\": \"legacy-2009\",\n  \"local_part\": \"escape\"\n}\n";
    std::string out;
    int rc = run_command({relaylab_binary(), "serve", "--config", (dir.path() / "bad.json").string()}, out, true);
    CHECK(rc == 2);
    CHECK(out.find("bad.json:3:3: at /local_part:") != std::string::npos);
}
