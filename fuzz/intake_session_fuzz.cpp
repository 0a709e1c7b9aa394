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

bool non_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return true;
    return false;
}

struct AcceptAll final : ServerPolicy {
    bool smtputf8_offered = false;
    bool tls_required = false;
    bool tls_up = false;
    void on_tls(bool ok, const relaylab::tls::Negotiated&) override { tls_up = tls_up || ok; }
    Decision on_message(const Envelope& env, std::string_view body) override {
        // RFC 3207 / smtpd_tls_security_level = encrypt: no transaction before TLS is up.
        if (tls_required) FUZZ_CHECK(tls_up);
        FUZZ_CHECK(!env.rcpt_to.empty() && env.rcpt_to.size() <= 4);
        FUZZ_CHECK(body.size() <= 512);
        // RFC 6531 §3.4/§3.5: an offering session lets a UTF-8 path through only with SMTPUTF8.
        if (smtputf8_offered && !env.mail_params.smtputf8) {
            FUZZ_CHECK(!non_ascii(env.mail_from));
            for (const auto& r : env.rcpt_to) FUZZ_CHECK(!non_ascii(r));
        }
        if (!smtputf8_offered) FUZZ_CHECK(!env.mail_params.smtputf8);
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
    // The first byte's high bit: a session that offers SMTPUTF8 (RFC 6531), as the gateway's intake does.
    policy.smtputf8_offered = (data[0] & 0x80) != 0;
    if (policy.smtputf8_offered) config.capabilities.push_back("SMTPUTF8");
    // Bits 0x40 and 0x20 (the chunk size uses the low five): STARTTLS offered or required (RFC
    // 3207); bit 0x01 whether the driver's handshake succeeds.
    if (data[0] & 0x40) config.tls = (data[0] & 0x20) ? ServerTls::Require : ServerTls::Offer;
    policy.tls_required = config.tls == ServerTls::Require;
    const bool handshake_ok = (data[0] & 0x01) != 0;
    ServerSession session(policy, config);
    ServerActions a = session.start();
    std::size_t chunk = 1 + data[0] % 32;
    for (std::size_t at = 0; at < input.size() && a.next != NextStep::Close; at += chunk) {
        if (a.next == NextStep::Wait) a = session.resume();
        if (a.next == NextStep::StartTls) {
            FUZZ_CHECK(config.tls != ServerTls::None);
            a = session.tls_started(handshake_ok, {});
            if (a.next == NextStep::Close) break;
        }
        a = session.feed(input.substr(at, chunk));
    }
    if (a.next != NextStep::Close) a = session.idle_timeout();
    FUZZ_CHECK(a.next == NextStep::Close && session.closed());
    return 0;
}
