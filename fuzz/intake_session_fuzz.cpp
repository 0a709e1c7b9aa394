// libFuzzer target: the intake command parser and the SMTP server session (RFC 5321 §4.1) fed
// arbitrary client bytes in chunks the input chooses. A policy that accepts everything drives the
// session through MAIL, RCPT and DATA; small limits make the limits reachable. The session must
// never crash, never buffer beyond its line limit and message limit, and answer every time.
#include "fuzz/fuzz_check.hpp"
#include "smtpserver/command.hpp"
#include "smtpserver/session.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace relaylab::smtp;

namespace {

struct AcceptAll final : ServerPolicy {
    Decision on_message(const Envelope& env, std::string_view body) override {
        FUZZ_CHECK(!env.rcpt_to.empty() && env.rcpt_to.size() <= 4);
        FUZZ_CHECK(body.size() <= 512);
        return {};
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    // The parser alone, on each line as the session would see it.
    std::size_t from = 0;
    while (from < input.size()) {
        std::size_t lf = input.find('\n', from);
        std::string_view line = input.substr(from, lf == std::string_view::npos ? std::string_view::npos : lf - from);
        ClientCommand cmd = parse_command(line, 128);
        if (cmd.error == CommandError::None) FUZZ_CHECK(line.size() <= 129);
        (void)to_string(cmd.verb);
        from = lf == std::string_view::npos ? input.size() : lf + 1;
    }

    AcceptAll policy;
    ServerConfig config;
    config.max_line = 128;
    config.max_message_bytes = 512;
    config.max_recipients = 4;
    config.max_errors = 1000;
    ServerSession session(policy, config);
    ServerActions a = session.start();
    std::size_t chunk = 1 + data[0] % 32;
    for (std::size_t at = 0; at < input.size() && a.next != NextStep::Close; at += chunk) {
        if (a.next == NextStep::Wait) a = session.resume();
        a = session.feed(input.substr(at, chunk));
    }
    if (a.next != NextStep::Close) a = session.idle_timeout();
    FUZZ_CHECK(a.next == NextStep::Close && session.closed());
    return 0;
}
