// Hostile remote MTAs against smtp::Client: a raw loopback peer sends exactly the bytes each case
// scripts, on virtual time. Every session must end in a classified outcome (stage + NetError /
// ProtocolError) no later than the deadline of the stage it was in, with bounded memory.
#include "tests/hostile/hostile_peer.hpp"

#include "scenarios/virtual_loop.hpp"
#include "smtpclient/client.hpp"
#include "smtpclient/reply_parser.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::smtp;
using namespace relaylab::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const TimePoint start = TimePoint{} + 1'000'000s;

struct Run {
    SessionStatus status;
    std::vector<RecipientOutcome> outcomes;
    std::vector<TranscriptLine> transcript;
    Duration took{};
    std::size_t peer_received = 0;
    bool done = false;
};

Message small_message() { return Message{"a@carrier.example", {"b@isp.example"}, "Subject: x\r\n\r\nhello\r\n"}; }

asio::awaitable<void> session(Client& client, Remote remote, Message message, Run& run) {
    run.status = co_await client.open(std::move(remote));
    run.outcomes = co_await client.send(std::move(message));
    co_await client.quit();
    run.transcript = client.transcript();
    run.done = true;
}

// One client session against `script`, on virtual time; no case may take an hour of it.
Run against(PeerScript script, Message message = small_message(), ClientConfig config = {}) {
    asio::io_context io;
    VirtualClock clock(start);
    scn::VirtualLoop loop(io, clock);
    HostileListener mta(io, clock, std::move(script));
    Run run;
    {
        Client client(io.get_executor(), clock, config);
        Remote remote{"hostile.test", "127.0.0.1", mta.port()};
        asio::co_spawn(io, session(client, remote, std::move(message), run),
                       [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        loop.run_until([&] { return run.done; }, start + 1h);
        run.took = clock.now() - start;
    }
    // The client has closed; let the peer see it, then tear down.
    loop.run_until([&] { return mta.finished(); }, clock.now() + 1h);
    if (mta.peer()) run.peer_received = mta.peer()->received;
    mta.stop();
    loop.settle();
    REQUIRE(run.done);
    REQUIRE_FALSE(loop.overran());
    return run;
}

// The client keeps at most its transcript limit of lines, each no longer than a reply line may be.
void check_bounded(const Run& run, const ClientConfig& config = {}) {
    CHECK(run.transcript.size() <= config.max_transcript_lines + 1);
    for (const auto& l : run.transcript) CHECK(l.text.size() <= config.reply_limits.max_line_length + 8);
}

const RecipientOutcome& only(const Run& run) {
    REQUIRE(run.outcomes.size() == 1);
    return run.outcomes[0];
}

// The usual dialogue up to the reply to DATA; false if the client went away.
asio::awaitable<bool> up_to_data(RawPeer& p) {
    if (!co_await p.say("220 hostile.test ESMTP\r\n")) co_return false;
    // Named arrays, not braced lists, in coroutines: g++ 12 keeps a range-for's initializer_list
    // array on the stack, where it does not survive a suspension.
    static constexpr const char* replies[] = {"250 hostile.test\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n"};
    for (const char* reply : replies) {
        if (!co_await p.hear()) co_return false;
        if (!co_await p.say(reply)) co_return false;
    }
    if (!co_await p.hear()) co_return false;  // DATA
    co_return co_await p.say("354 go ahead\r\n");
}

// Streams `total` bytes: `head`, then `fill` repeated, in 64 KiB writes from one buffer, so that the
// peer itself stays small. Stops when the client goes away.
asio::awaitable<void> stream(RawPeer& p, std::string head, char fill, std::size_t total) {
    std::string chunk(64 * 1024, fill);
    if (!co_await p.say(head)) co_return;
    for (std::size_t sent = head.size(); sent < total; sent += chunk.size())
        if (!co_await p.say(chunk)) co_return;
}

// A 10 MB reply made of 1000-byte "250-" lines, streamed.
asio::awaitable<void> ten_megabyte_reply(RawPeer& p) {
    if (!co_await p.say("220 hostile.test ESMTP\r\n")) co_return;
    if (!co_await p.hear()) co_return;
    std::string line = "250-" + std::string(994, 'y') + "\r\n";
    std::string chunk;
    while (chunk.size() < 64 * 1024) chunk += line;
    for (std::size_t sent = 0; sent < 10 * 1024 * 1024; sent += chunk.size())
        if (!co_await p.say(chunk)) co_return;
    co_await p.drain();
}

}  // namespace

TEST_CASE("the reply parser holds no more than its limits, whatever it is fed", "[hostile][unit]") {
    ReplyLimits limits;
    std::string chunk(4096, 'x');
    SECTION("10 MB without a line end: LineTooLong after one line's worth") {
        ReplyParser parser(limits);
        std::string first = "220 " + chunk;
        std::size_t taken = parser.put(first);
        for (std::size_t fed = first.size(); fed < 10 * 1024 * 1024 && !parser.failed(); fed += chunk.size())
            taken += parser.put(chunk);
        CHECK(parser.error() == ProtocolError::LineTooLong);
        CHECK(taken <= limits.max_line_length + 1 + chunk.size());
        CHECK(parser.put(chunk) == 0);  // sticky: nothing more is taken
    }
    SECTION("10 MB of continuation lines: ReplyTooLarge at the byte limit") {
        ReplyParser parser(limits);
        std::string lines;
        while (lines.size() < chunk.size()) lines += "250-" + std::string(1000, 'y') + "\r\n";
        std::size_t taken = 0;
        for (std::size_t fed = 0; fed < 10 * 1024 * 1024 && !parser.failed(); fed += lines.size())
            taken += parser.put(lines);
        CHECK(parser.error() == ProtocolError::ReplyTooLarge);
        CHECK(taken <= limits.max_reply_bytes + lines.size());
    }
    SECTION("2,000 short lines: TooManyLines at the line limit") {
        ReplyParser parser(limits);
        std::string lines;
        for (int i = 0; i < 2000; ++i) lines += "250-line " + std::to_string(i) + "\r\n";
        parser.put(lines);
        CHECK(parser.error() == ProtocolError::TooManyLines);
    }
}

TEST_CASE("hostile remote MTAs end in a classified outcome within the stage's deadline", "[hostile][integration]") {
    const ClientConfig defaults;

    SECTION("an endless greeting line is LineTooLong at Greeting, at once, with bounded memory") {
        Run run;
        auto growth = peak_growth_kb([&] {
            run = against([](RawPeer& p) { return stream(p, "220 ", 'x', 10 * 1024 * 1024); });
        });
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Protocol);
        CHECK(run.status.protocol == ProtocolError::LineTooLong);
        CHECK(only(run).stage == Stage::Greeting);
        CHECK(only(run).protocol == ProtocolError::LineTooLong);
        CHECK(run.took == 0s);
        check_bounded(run);
        if (growth) CHECK(*growth < 8 * 1024);
    }
    SECTION("a greeting without a line end is a Timeout at Greeting, at the greeting deadline") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP");
            co_await p.drain();
        });
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Timeout);
        CHECK(run.took == defaults.greeting_timeout);
    }
    SECTION("bare LF line ends are tolerated: the message is delivered") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\n");
            static constexpr const char* replies[] = {"250-hostile.test\n250 8BITMIME\n", "250 2.1.0 Ok\n",
                                                      "250 2.1.5 Ok\n", "354 go\n"};
            for (const char* reply : replies) {
                if (!co_await p.hear()) co_return;
                co_await p.say(reply);
            }
            if (!co_await p.hear_until("\r\n.\r\n")) co_return;
            co_await p.say("250 2.0.0 queued\n");
            co_await p.drain();
        });
        REQUIRE(run.status.ok);
        CHECK(only(run).delivered());
        CHECK(only(run).reply->code == 250);
    }
    SECTION("a 10 MB reply is ReplyTooLarge at Ehlo, with bounded memory") {
        Run run;
        auto growth = peak_growth_kb([&] { run = against(ten_megabyte_reply); });
        CHECK(run.status.stage == Stage::Ehlo);
        CHECK(run.status.net == NetError::Protocol);
        CHECK(run.status.protocol == ProtocolError::ReplyTooLarge);
        CHECK(only(run).protocol == ProtocolError::ReplyTooLarge);
        check_bounded(run);
        if (growth) CHECK(*growth < 8 * 1024);
    }
    SECTION("a continuation line with another code is MismatchedCode at Ehlo") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\r\n");
            if (!co_await p.hear()) co_return;
            co_await p.say("250-hostile.test\r\n251 PIPELINING\r\n");
            co_await p.drain();
        });
        CHECK(run.status.stage == Stage::Ehlo);
        CHECK(run.status.protocol == ProtocolError::MismatchedCode);
    }
    SECTION("a reply line without ' ' or '-' after the code is BadSeparator at Mail") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\r\n");
            if (!co_await p.hear()) co_return;
            co_await p.say("250 hostile.test\r\n");
            if (!co_await p.hear()) co_return;
            co_await p.say("250+2.1.0 Ok\r\n");
            co_await p.drain();
        });
        REQUIRE(run.status.ok);
        CHECK(only(run).stage == Stage::Mail);
        CHECK(only(run).net == NetError::Protocol);
        CHECK(only(run).protocol == ProtocolError::BadSeparator);
    }
    SECTION("a 2,000-line reply is TooManyLines at Ehlo") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\r\n");
            if (!co_await p.hear()) co_return;
            std::string lines;
            for (int i = 0; i < 2000; ++i) lines += "250-KEYWORD" + std::to_string(i) + "\r\n";
            lines += "250 END\r\n";
            co_await p.say(lines);
            co_await p.drain();
        });
        CHECK(run.status.stage == Stage::Ehlo);
        CHECK(run.status.protocol == ProtocolError::TooManyLines);
        check_bounded(run);
    }
    SECTION("one byte per second: the greeting deadline is not reset by each byte") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            std::string greeting = "220 " + std::string(1000, 'z') + "\r\n";
            for (char c : greeting) {
                std::string one(1, c);
                if (!co_await p.say(one)) co_return;
                co_await p.pause(1s);
            }
        });
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Timeout);
        CHECK(run.took == defaults.greeting_timeout);
    }
    SECTION("one byte per second, but complete within the deadlines: delivered") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            static constexpr const char* replies[] = {"220 slow\r\n", "250 slow\r\n", "250 Ok\r\n", "250 Ok\r\n",
                                                      "354 go\r\n"};
            for (const char* reply : replies) {
                if (reply != replies[0] && !co_await p.hear()) co_return;
                for (const char* c = reply; *c; ++c) {
                    std::string one(1, *c);
                    co_await p.say(one);
                    co_await p.pause(1s);
                }
            }
            if (!co_await p.hear_until("\r\n.\r\n")) co_return;
            co_await p.say("250 queued\r\n");
            co_await p.drain();
        });
        INFO("stage " << to_string(only(run).stage) << ", net " << to_string(only(run).net) << ", protocol "
                      << to_string(only(run).protocol));
        CHECK(only(run).delivered());
        CHECK(run.took > 30s);
    }
    SECTION("binary junk as a greeting is BadCode at Greeting") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\xff\r\n";
            co_await p.say(std::string_view(junk, sizeof junk - 1));
            co_await p.drain();
        });
        CHECK(run.status.stage == Stage::Greeting);
        CHECK(run.status.net == NetError::Protocol);
        CHECK(run.status.protocol == ProtocolError::BadCode);
    }
    SECTION("a reset in the middle of DATA is Reset at Data") {
        // 4 MB of text: the client is still writing when the peer resets.
        Message big = small_message();
        big.body = "Subject: big\r\n\r\n";
        std::string line(998, 'b');
        while (big.body.size() < 4 * 1024 * 1024) big.body += line + "\r\n";
        Run run = against(
            [](RawPeer& p) -> asio::awaitable<void> {
                if (!co_await up_to_data(p)) co_return;
                while (p.received < 200 * 1024)
                    if (!co_await p.read_some()) co_return;
                p.reset();
            },
            big);
        REQUIRE(run.status.ok);
        CHECK(only(run).stage == Stage::Data);
        CHECK(only(run).net == NetError::Reset);
        CHECK_FALSE(only(run).delivered());
    }
    SECTION("a half-close after the greeting is Closed at Ehlo") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\r\n");
            p.half_close();
            co_await p.drain();
        });
        CHECK(run.status.stage == Stage::Ehlo);
        CHECK(run.status.net == NetError::Closed);
        CHECK(only(run).net == NetError::Closed);
    }
    SECTION("a half-close after DATA's 354 is Closed at Dot") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            if (!co_await up_to_data(p)) co_return;
            p.half_close();
            co_await p.drain();
        });
        CHECK(only(run).stage == Stage::Dot);
        CHECK(only(run).net == NetError::Closed);
    }
    SECTION("nothing after DATA's end: Timeout at Dot, at the final-dot deadline") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            if (!co_await up_to_data(p)) co_return;
            if (!co_await p.hear_until("\r\n.\r\n")) co_return;
            co_await p.drain();
        });
        CHECK(only(run).stage == Stage::Dot);
        CHECK(only(run).net == NetError::Timeout);
        CHECK(run.took == defaults.dot_timeout);
    }
    SECTION("an unasked-for reply before the greeting is answered is UnexpectedReply") {
        Run run = against([](RawPeer& p) -> asio::awaitable<void> {
            co_await p.say("220 hostile.test ESMTP\r\n250 surprise\r\n");
            co_await p.drain();
        });
        CHECK(run.status.net == NetError::Protocol);
        CHECK(run.status.protocol == ProtocolError::UnexpectedReply);
    }
}
