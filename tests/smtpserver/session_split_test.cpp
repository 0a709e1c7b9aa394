// The server core does not care where TCP cuts the bytes: whole dialogues fed split at every byte
// position (and, for a short one, at every pair of positions) give the same replies and the same
// recorded envelopes and messages as the dialogue fed at once (Beast's "parsegrind", for SMTP).
#include "smtpserver/session.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace relaylab;
using namespace relaylab::smtp;

namespace {

// Records what the session hands its policy; accepts everything.
struct RecordingPolicy : ServerPolicy {
    std::vector<std::string> lines;
    std::vector<std::string> messages;
    std::vector<std::string> envelopes;
    std::optional<CloseReason> closed;

    void on_command_line(std::string_view l) override { lines.emplace_back(l); }
    Decision on_message(const Envelope& env, std::string_view body) override {
        std::string e = env.helo + (env.esmtp ? " esmtp" : " smtp") + " from=<" + env.mail_from + ">";
        for (const auto& [k, v] : env.mail_params.all) e += " " + k + "=" + v;
        for (const auto& r : env.rcpt_to) e += " to=<" + r + ">";
        envelopes.push_back(e);
        messages.emplace_back(body);
        return {};
    }
    void on_closed(CloseReason why) override { closed = why; }
};

struct Run {
    std::string written;  // every reply, in order
    NextStep last = NextStep::Read;
    std::vector<std::string> lines, messages, envelopes;
    std::optional<CloseReason> closed;
    bool operator==(const Run&) const = default;
};

ServerConfig config() {
    ServerConfig c;
    c.hostname = "mx.test";
    c.max_message_bytes = 1000;
    return c;
}

// Feeds `dialogue` cut at `cuts` (ascending positions), stopping at a Close.
Run feed_in_pieces(const std::string& dialogue, const std::vector<std::size_t>& cuts) {
    RecordingPolicy p;
    ServerSession s(p, config());
    Run run;
    auto a = s.start();
    run.written += a.write;
    std::size_t from = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(dialogue.size());
    for (std::size_t end : ends) {
        if (a.next == NextStep::Close) break;
        if (end <= from) continue;
        a = s.feed(std::string_view(dialogue).substr(from, end - from));
        run.written += a.write;
        from = end;
    }
    run.last = a.next;
    run.lines = p.lines;
    run.messages = p.messages;
    run.envelopes = p.envelopes;
    run.closed = p.closed;
    return run;
}

// Two transactions, pipelined, with a dot-stuffed line, a line that is only dots, an unknown
// command, RSET and NOOP, a bare LF inside the text and a QUIT.
const std::string long_dialogue =
    "EHLO handset.example\r\n"
    "MAIL FROM:<q.@docomo.ne.jp> SIZE=120 BODY=8BITMIME\r\nRCPT TO:<a@isp.example>\r\nRCPT TO:<b@isp.example>\r\nDATA\r\n"
    "Subject: hi\r\n\r\n..leading dot\r\n...\r\nbare\nlf\r\n.\r\n"
    "BOGUS\r\nNOOP\r\nRSET\r\n"
    "MAIL FROM:<>\r\nRCPT TO:<c@isp.example>\r\nDATA\r\nsecond\r\n.\r\n"
    "QUIT\r\n";
const std::string short_dialogue = "HELO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n";

}  // namespace

TEST_CASE("server session: a dialogue split at every byte gives the same replies and envelope", "[smtpserver][session]") {
    for (const auto* dialogue : {&long_dialogue, &short_dialogue}) {
        const Run whole = feed_in_pieces(*dialogue, {});
        REQUIRE(whole.messages.size() == (dialogue == &long_dialogue ? 2u : 1u));
        REQUIRE(whole.closed == CloseReason::Quit);
        REQUIRE(whole.last == NextStep::Close);
        SECTION(dialogue == &long_dialogue ? "the long dialogue, one cut" : "the short dialogue, one cut") {
            for (std::size_t cut = 1; cut < dialogue->size(); ++cut) {
                INFO("cut at " << cut);
                CHECK(feed_in_pieces(*dialogue, {cut}) == whole);
            }
        }
        SECTION(dialogue == &long_dialogue ? "the long dialogue, byte by byte" : "the short dialogue, byte by byte") {
            std::vector<std::size_t> every;
            for (std::size_t i = 1; i < dialogue->size(); ++i) every.push_back(i);
            CHECK(feed_in_pieces(*dialogue, every) == whole);
        }
    }
    SECTION("the short dialogue, every pair of cuts") {
        const Run whole = feed_in_pieces(short_dialogue, {});
        std::size_t mismatches = 0;
        for (std::size_t i = 1; i < short_dialogue.size(); ++i)
            for (std::size_t j = i + 1; j < short_dialogue.size(); ++j)
                if (!(feed_in_pieces(short_dialogue, {i, j}) == whole)) {
                    UNSCOPED_INFO("cuts at " << i << " and " << j);
                    ++mismatches;
                }
        CHECK(mismatches == 0);
    }
}
