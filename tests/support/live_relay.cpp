#include "tests/support/live_relay.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

namespace relaylab::test {

namespace fs = std::filesystem;

LiveRelay::LiveRelay(const std::string& dns_address, unsigned short mx_port, const nlohmann::json& overrides,
                     const std::string& dir_name)
    : dir(dir_name), intake_port(free_port()) {
    nlohmann::json cfg{{"hostname", "relay.docomo.test"},
                       {"intake", "127.0.0.1:" + std::to_string(intake_port)},
                       {"dns_servers", {dns_address}},
                       {"dns_timeout_ms", 500},
                       {"mx_port", mx_port},
                       {"policy", "accurate"},
                       {"notice_language", "en"},
                       {"retry", {{"min_backoff", "1s"}, {"max_backoff", "1s"}, {"lifetime", "60s"}}},
                       {"mailboxes", (dir.path() / "mailboxes").string()},
                       {"spool", (dir.path() / "spool").string()},
                       {"log", (dir.path() / "maillog").string()}};
    cfg.merge_patch(overrides);
    std::ofstream(dir.path() / "relay.json") << cfg.dump(2);
    process.emplace(std::vector<std::string>{relaylab_binary(), "serve", "--config", (dir.path() / "relay.json").string()},
                    dir.path() / "serve.out");
    INFO(process->log_text());
    REQUIRE(wait_for_tcp("127.0.0.1", intake_port));
}

std::string LiveRelay::log() const {
    return fs::exists(dir.path() / "maillog") ? read_file(dir.path() / "maillog") : std::string();
}

bool LiveRelay::wait_log(const std::string& what, std::chrono::seconds wait) const {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        if (log().find(what) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::vector<fs::path> LiveRelay::notices(const std::string& handset) const {
    std::vector<fs::path> files;
    const auto d = dir.path() / "mailboxes" / handset / "new";
    if (fs::exists(d))
        for (const auto& e : fs::directory_iterator(d)) files.push_back(e.path());
    return files;
}

}  // namespace relaylab::test
