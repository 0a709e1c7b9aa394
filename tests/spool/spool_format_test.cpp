// The spool log on disk: records written, read back, a torn or corrupt tail ignored, compaction,
// the lock, and the offline edits behind `relaylab queue`.
#include "queue/spool.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <thread>
#include <sstream>

using namespace relaylab;
using namespace relaylab::gw;
using namespace std::chrono_literals;

namespace {

const TimePoint t0 = TimePoint{} + std::chrono::seconds(1'243'850'400);

QueuedMessage message(MessageId id, std::string sender, std::vector<std::string> rcpts, std::string content) {
    QueuedMessage m;
    m.id = id;
    m.arrival = t0;
    m.envelope = Envelope{std::move(sender), rcpts};
    m.content = std::move(content);
    for (auto& r : rcpts) {
        QueuedRecipient q;
        q.address = r;
        q.domain = destination_of(r);
        q.due = t0;
        m.recipients.push_back(q);
    }
    return m;
}

std::filesystem::path log_of(const test::TempDir& d) { return d.path() / kSpoolLogName; }

void spit(const std::filesystem::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << s;
}

// Writes one message (two recipients) and a few state changes; returns the log's bytes.
void write_sample(const std::filesystem::path& dir) {
    auto opened = Spool::open(dir);
    REQUIRE(opened);
    auto& s = **opened;
    auto m = message(7, "p..q.@docomo.ne.jp", {"bob@isp.example", "eve@other.example"}, "Subject: x\r\n\r\nhi\r\n");
    auto a = s.append_message(m);
    REQUIRE_FALSE(a.error);
    REQUIRE_FALSE(s.commit(a.sequence));
    s.append_event(7, SpoolEvent{SpoolEventKind::AttemptStarted, t0, 0, 0, {}});
    s.append_event(7, SpoolEvent{SpoolEventKind::Deferred, t0 + 1s, 0, 1, t0 + 10min});
    s.append_event(7, SpoolEvent{SpoolEventKind::AttemptStarted, t0, 1, 0, {}});
    s.append_event(7, SpoolEvent{SpoolEventKind::Delivered, t0 + 2s, 1, 1, {}});
}

}  // namespace

TEST_CASE("spool records are read back as the queue left them", "[spool]") {
    test::TempDir d("relaylab-spool");
    write_sample(d.path());
    auto r = read_spool(d.path());
    REQUIRE_FALSE(r.error);
    REQUIRE(r.replay.live.size() == 1);
    const auto& s = r.replay.live.at(7);
    CHECK(r.replay.max_id == 7);
    CHECK(r.replay.dropped_tail_bytes == 0);

    SECTION("envelope and content, byte for byte") {
        CHECK(s.message.envelope.sender == "p..q.@docomo.ne.jp");
        CHECK(s.message.envelope.recipients == std::vector<std::string>{"bob@isp.example", "eve@other.example"});
        CHECK(s.message.content == "Subject: x\r\n\r\nhi\r\n");
        CHECK(s.message.arrival == t0);
    }
    SECTION("recipient states: deferred with its due time, delivered") {
        CHECK(s.message.recipients[0].state == RecipientState::Waiting);
        CHECK(s.message.recipients[0].due == t0 + 10min);
        CHECK(s.message.recipients[0].attempts == 1);
        CHECK(s.message.recipients[1].state == RecipientState::Delivered);
        CHECK(s.interrupted == 0);
    }
    SECTION("history in order") {
        REQUIRE(s.history.size() == 5);
        CHECK(s.history[0].kind == SpoolEventKind::Accepted);
        CHECK(s.history[2].kind == SpoolEventKind::Deferred);
        CHECK(s.history[4].kind == SpoolEventKind::Delivered);
    }
}

TEST_CASE("addresses with any byte survive the field encoding", "[spool]") {
    test::TempDir d("relaylab-spool");
    {
        auto opened = Spool::open(d.path());
        REQUIRE(opened);
        std::string odd = "a b%c\xff\x01\"q.\"@x.example";
        auto m = message(1, "", {odd, "plain@x.example"}, std::string("\0binary\r\n.\r\n", 12));
        REQUIRE_FALSE((*opened)->append_message(m).error);
    }
    auto r = read_spool(d.path());
    REQUIRE(r.replay.live.size() == 1);
    const auto& m = r.replay.live.at(1).message;
    SECTION("the null sender stays empty") { CHECK(m.envelope.sender.empty()); }
    SECTION("spaces, percent, 8-bit and control bytes") {
        CHECK(m.envelope.recipients[0] == "a b%c\xff\x01\"q.\"@x.example");
        CHECK(m.recipients[0].domain == "x.example");
    }
    SECTION("content with NUL and a lone dot") { CHECK(m.content == std::string("\0binary\r\n.\r\n", 12)); }
}

TEST_CASE("a torn or corrupt tail is ignored, never a crash", "[spool]") {
    test::TempDir d("relaylab-spool");
    write_sample(d.path());
    const std::string whole = test::read_file(log_of(d));
    const auto full = read_spool(d.path()).replay;
    const std::size_t last_record = frame_record("O 7 0000000000000 1 1 0").size();  // same shape as the tail

    SECTION("cut at every byte of the last record: the delivery is forgotten, the rest kept") {
        for (std::size_t cut = 1; cut < last_record; ++cut) {
            spit(log_of(d), whole.substr(0, whole.size() - cut));
            auto r = read_spool(d.path());
            REQUIRE_FALSE(r.error);
            REQUIRE(r.replay.live.size() == 1);
            CHECK(r.replay.dropped_tail_bytes > 0);
            const auto& s = r.replay.live.at(7);
            // The delivered record is gone: recipient 1's attempt started and left no result.
            CHECK(s.message.recipients[1].state == RecipientState::Waiting);
            CHECK(s.interrupted == 1);
            CHECK(s.message.recipients[0].due == t0 + 10min);
        }
    }
    SECTION("a flipped byte in the last record fails its checksum") {
        std::string bad = whole;
        bad[bad.size() - 3] ^= 0x01;
        spit(log_of(d), bad);
        auto r = read_spool(d.path());
        CHECK(r.replay.records == full.records - 1);
        CHECK(r.replay.live.at(7).message.recipients[1].state == RecipientState::Waiting);
    }
    SECTION("garbage appended after the last record") {
        spit(log_of(d), whole + "99999999999999999999 zz\n\x01\x02");
        auto r = read_spool(d.path());
        CHECK(r.replay.records == full.records);
        CHECK(r.replay.dropped_tail_bytes == 26);
    }
    SECTION("an absurd length is refused before any allocation") {
        spit(log_of(d), whole + "18446744073709551615 00000000\n");
        auto r = read_spool(d.path());
        CHECK(r.replay.records == full.records);
    }
    SECTION("open() drops the torn tail and appends after the last good record") {
        spit(log_of(d), whole.substr(0, whole.size() - 5));
        {
            auto opened = Spool::open(d.path());
            REQUIRE(opened);
            CHECK((*opened)->recovered().dropped_tail_bytes > 0);
            auto a = (*opened)->append_event(7, SpoolEvent{SpoolEventKind::Delivered, t0 + 5s, 1, 2, {}});
            REQUIRE_FALSE(a.error);
        }
        auto r = read_spool(d.path());
        CHECK(r.replay.dropped_tail_bytes == 0);
        CHECK(r.replay.live.at(7).message.recipients[1].state == RecipientState::Delivered);
    }
    SECTION("a file that is not a spool is an error, not a guess") {
        spit(log_of(d), "From: someone\r\n\r\nnot a spool\r\n");
        auto r = read_spool(d.path());
        REQUIRE(r.error);
        CHECK(r.error->kind == SpoolErrorKind::BadHeader);
        CHECK(Spool::open(d.path()).error().kind == SpoolErrorKind::BadHeader);
    }
}

TEST_CASE("finished messages are compacted away, and ids are never reused", "[spool]") {
    test::TempDir d("relaylab-spool");
    {
        auto opened = Spool::open(d.path());
        auto& s = **opened;
        for (MessageId id = 1; id <= 3; ++id) REQUIRE_FALSE(s.append_message(message(id, "a@x", {"b@y"}, "x\r\n")).error);
        s.append_event(2, SpoolEvent{SpoolEventKind::Delivered, t0, 0, 1, {}});
        s.append_event(2, SpoolEvent{SpoolEventKind::Finished, t0, 0, 0, {}});
        s.append_event(3, SpoolEvent{SpoolEventKind::Bounced, t0, 0, 1, {}});
        s.append_event(3, SpoolEvent{SpoolEventKind::FailureNotice, t0, 0, 1, {}});
        s.append_event(3, SpoolEvent{SpoolEventKind::Finished, t0, 0, 0, {}});
    }
    auto before = test::read_file(log_of(d)).size();
    {
        auto opened = Spool::open(d.path());
        REQUIRE(opened);
        CHECK((*opened)->recovered().live.size() == 1);
        CHECK((*opened)->recovered().max_id == 3);
    }
    auto after = test::read_file(log_of(d)).size();
    CHECK(after < before);
    auto r = read_spool(d.path());
    CHECK(r.replay.live.size() == 1);
    CHECK(r.replay.live.count(1) == 1);
    CHECK(r.replay.max_id == 3);
}

TEST_CASE("one process at a time holds a spool", "[spool]") {
    test::TempDir d("relaylab-spool");
    auto first = Spool::open(d.path());
    REQUIRE(first);
    auto second = Spool::open(d.path());
    REQUIRE_FALSE(second);
    CHECK(second.error().kind == SpoolErrorKind::Locked);
    SECTION("offline edits refuse while it is held") {
        auto e = force_retry(d.path(), 1, t0);
        REQUIRE(e);
        CHECK(e->kind == SpoolErrorKind::Locked);
    }
    SECTION("released when the holder closes") {
        first->reset();
        CHECK(Spool::open(d.path()).ok());
    }
}

TEST_CASE("offline retry and delete", "[spool]") {
    test::TempDir d("relaylab-spool");
    write_sample(d.path());
    SECTION("retry makes every waiting recipient due now") {
        REQUIRE_FALSE(force_retry(d.path(), 7, t0 + 1min));
        auto r = read_spool(d.path());
        CHECK(r.replay.live.at(7).message.recipients[0].due == t0 + 1min);
        CHECK(r.replay.live.at(7).history.back().kind == SpoolEventKind::RetryForced);
    }
    SECTION("delete removes the message") {
        REQUIRE_FALSE(delete_message(d.path(), 7, t0 + 1min));
        CHECK(read_spool(d.path()).replay.live.empty());
    }
    SECTION("an unknown id is a typed error") {
        auto e = delete_message(d.path(), 99, t0);
        REQUIRE(e);
        CHECK(e->kind == SpoolErrorKind::NoSuchMessage);
    }
}

TEST_CASE("commit syncs once for everything appended before it", "[spool]") {
    test::TempDir d("relaylab-spool");
    auto opened = Spool::open(d.path());
    auto& s = **opened;
    auto syncs = s.syncs();
    auto a = s.append_message(message(1, "a@x", {"b@y"}, "1"));
    auto b = s.append_message(message(2, "a@x", {"b@y"}, "2"));
    REQUIRE_FALSE(s.commit(a.sequence));
    CHECK(s.syncs() == syncs + 1);
    REQUIRE_FALSE(s.commit(b.sequence));  // already durable: the first commit covered it
    CHECK(s.syncs() == syncs + 1);
    CHECK(s.durable() == b.sequence);
}

TEST_CASE("compaction in steps: the rewrite on another thread, the records appended meanwhile kept", "[spool]") {
    test::TempDir d("relaylab-spool");
    SpoolLimits limits;
    limits.compact_min_dead_bytes = 1;
    auto opened = Spool::open(d.path(), limits);
    REQUIRE(opened);
    Spool& s = **opened;
    for (MessageId id = 1; id <= 3; ++id) REQUIRE_FALSE(s.append_message(message(id, "a@x", {"b@y"}, "x\r\n")).error);
    s.append_event(2, SpoolEvent{SpoolEventKind::Delivered, t0, 0, 1, {}});
    s.append_event(2, SpoolEvent{SpoolEventKind::Finished, t0, 0, 0, {}});
    REQUIRE(s.wants_compaction());
    const auto ticket = s.begin_compaction();
    CHECK_FALSE(s.wants_compaction());  // one at a time
    // While the rewrite runs elsewhere, the owner goes on appending: a new message, a state change
    // of a live one, and the end of another.
    REQUIRE_FALSE(s.append_message(message(4, "a@x", {"b@y"}, "four\r\n")).error);
    REQUIRE_FALSE(s.append_event(1, SpoolEvent{SpoolEventKind::Deferred, t0 + 1s, 0, 1, t0 + 10min}).error);
    REQUIRE_FALSE(s.append_event(3, SpoolEvent{SpoolEventKind::Finished, t0 + 1s, 0, 0, {}}).error);
    std::optional<Result<Spool::CompactedLog, SpoolError>> compacted;
    std::thread rewrite([&] { compacted.emplace(Spool::compact_log(ticket)); });
    rewrite.join();
    REQUIRE(compacted);
    REQUIRE(compacted->ok());
    auto sync = s.end_compaction(std::move(*compacted));
    REQUIRE(sync);
    CHECK(sync->directory == d.path());  // the rename is made durable with the switch's sync
    REQUIRE_FALSE(s.end_sync(*sync, Spool::run_sync(*sync)));
    CHECK(s.durable() == s.appended());
    CHECK(s.compactions() == 2);  // open's, and this one
    // Appends go to the new log.
    REQUIRE_FALSE(s.append_event(4, SpoolEvent{SpoolEventKind::Deferred, t0 + 2s, 0, 1, t0 + 20min}).error);

    auto r = read_spool(d.path());
    REQUIRE_FALSE(r.error);
    CHECK(r.replay.dropped_tail_bytes == 0);
    // I, M1, M3 (live when the rewrite began), then the tail: M4, D1, F3; then D4. Message 2 is gone.
    CHECK(r.replay.records == 7);
    CHECK(r.replay.max_id == 4);
    REQUIRE(r.replay.live.size() == 2);
    REQUIRE(r.replay.live.count(1) == 1);
    CHECK(r.replay.live.at(1).message.recipients[0].due == t0 + 10min);
    REQUIRE(r.replay.live.count(4) == 1);
    CHECK(r.replay.live.at(4).message.content == "four\r\n");
    CHECK(r.replay.live.at(4).message.recipients[0].due == t0 + 20min);
}

TEST_CASE("a pending notice's record: read back byte for byte, kept past its message until written", "[spool]") {
    test::TempDir d("relaylab-spool");
    SpooledNotice n;
    n.id = 1;
    n.recipient = 0;
    n.written = SpoolEventKind::FailureNotice;
    n.attempts = 1;
    n.at = t0 + 5s;
    n.sequence = 3;
    n.handset = "p..q.@docomo.ne.jp";
    n.subject = "送信メールエラー";
    n.body = "ホストが見つかりません。\n100% sure";
    n.claims = "host_unknown";
    n.bytes = "Subject: x\r\n\r\nline one\r\n\r\n1234 deadbeef\nnot a record\r\n";
    {
        auto opened = Spool::open(d.path());
        REQUIRE(opened);
        Spool& s = **opened;
        REQUIRE_FALSE(s.append_message(message(1, n.handset, {"x@isp.example"}, "Subject: x\r\n\r\nhi\r\n")).error);
        REQUIRE_FALSE(s.append_notice(n).error);
        s.append_event(1, SpoolEvent{SpoolEventKind::Bounced, t0 + 5s, 0, 1, {}});
        s.append_event(1, SpoolEvent{SpoolEventKind::Finished, t0 + 5s, 0, 0, {}});
    }
    {
        auto opened = Spool::open(d.path());  // compacts: the message goes, its pending notice stays
        REQUIRE(opened);
        const auto& r = (*opened)->recovered();
        CHECK(r.live.empty());
        REQUIRE(r.notices.size() == 1);
        const SpooledNotice& got = r.notices.begin()->second;
        CHECK(key_of(got) == key_of(n));
        CHECK(got.at == n.at);
        CHECK(got.attempts == 1);
        CHECK(got.sequence == 3);
        CHECK(got.handset == n.handset);
        CHECK(got.subject == n.subject);
        CHECK(got.body == n.body);
        CHECK(got.claims == n.claims);
        CHECK(got.bytes == n.bytes);
        // Written: the N record of the same message and recipient.
        (*opened)->append_event(1, SpoolEvent{SpoolEventKind::FailureNotice, t0 + 1min, 0, 1, {}});
    }
    auto opened = Spool::open(d.path());
    REQUIRE(opened);
    CHECK((*opened)->recovered().notices.empty());
    CHECK(read_spool(d.path()).replay.notices.empty());
    CHECK(test::read_file(log_of(d)).find(n.bytes) == std::string::npos);  // compacted away
}
