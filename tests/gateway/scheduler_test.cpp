// The scheduler (gw::Relay, Postfix's qmgr) alone: a delivery agent of the test's own answers each
// attempt from a script and holds it in flight for a scripted time, on a VirtualClock. No sockets,
// no DNS: due order, backoff, lifetime and expiry, concurrency limits, operators' edits while a
// job is in flight, notices, and recovery from the spool.
#include "bounce/shipped_policies.hpp"
#include "clock/timer.hpp"
#include "delivery/agent.hpp"
#include "queue/spool.hpp"
#include "relay/queue_admin.hpp"
#include "relay/relay.hpp"
#include "asio/spawn.hpp"
#include "scenarios/virtual_loop.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <fstream>
#include <functional>
#include <map>

using namespace relaylab;
using relaylab::test::TempDir;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

const TimePoint t0 = TimePoint{} + 1'243'850'400s;  // 2009-06-01T10:00:00Z

// What the agent answers for one attempt of one recipient. Refuse: a 421 greeting ("too many
// connections"), the whole session refused.
enum class Answer { Deliver, Defer, Bounce, Refuse };

struct Call {
    TimePoint at;
    gw::MessageId message;
    std::string domain;
    unsigned attempt;
    std::size_t recipients;
    std::size_t in_flight;  // the agent's attempts in flight when this one started, this one included
};

class ScriptedAgent final : public gw::DeliveryAgent {
public:
    ScriptedAgent(asio::any_io_executor ex, Clock& clock) : ex_(ex), clock_(clock) {}

    // Every attempt takes `d` of (virtual) time before it answers.
    Duration duration = 10s;
    // Per recipient address, the answers of its attempts in order; the last one repeats. Default: Deliver.
    std::map<std::string, std::vector<Answer>> script;

    // Refuse every session that would be the destination's n-th in flight at once, n > this (0: never).
    std::size_t refuse_beyond = 0;
    // Sessions parked per domain, as gw::Delivery would report them.
    std::map<std::string, std::size_t> parked;

    std::vector<Call> calls;
    std::size_t in_flight = 0;
    std::size_t max_in_flight = 0;
    std::map<std::string, std::size_t> in_flight_to;
    std::map<std::string, std::size_t> max_in_flight_to;

    std::size_t parked_sessions(const std::string& domain) const override {
        auto it = parked.find(domain);
        return it == parked.end() ? 0 : it->second;
    }

    asio::awaitable<std::vector<gw::DeliveryOutcome>> attempt(const gw::QueuedMessage& message, const gw::DeliveryJob& job,
                                                              unsigned attempt) override {
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        const std::size_t here = ++in_flight_to[job.domain];
        max_in_flight_to[job.domain] = std::max(max_in_flight_to[job.domain], here);
        calls.push_back({clock_.now(), message.id, job.domain, attempt, job.recipients.size(), in_flight});
        const bool refused = refuse_beyond > 0 && here > refuse_beyond;
        const std::string domain = job.domain;
        // The job's message may be edited while we wait: copy what the answer needs first.
        const std::string sender = message.envelope.sender;
        std::vector<std::string> rcpts;
        for (auto idx : job.recipients) rcpts.push_back(message.recipients.at(idx).address);
        Timer t(ex_, clock_);
        t.expires_after(refused ? Duration(1s) : duration);  // a refusal comes at the greeting
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        --in_flight;
        --in_flight_to[domain];
        std::vector<gw::DeliveryOutcome> out;
        for (const auto& r : rcpts) out.push_back(outcome(sender, r, refused ? Answer::Refuse : answer_for(r, attempt), attempt));
        co_return out;
    }

private:
    Answer answer_for(const std::string& rcpt, unsigned attempt) const {
        auto it = script.find(rcpt);
        if (it == script.end() || it->second.empty()) return Answer::Deliver;
        return it->second.at(std::min<std::size_t>(attempt, it->second.size()) - 1);
    }

    gw::DeliveryOutcome outcome(const std::string& sender, const std::string& rcpt, Answer a, unsigned attempt) const {
        smtp::RecipientOutcome r;
        r.address = rcpt;
        if (a == Answer::Deliver) {
            r.stage = smtp::Stage::Done;
            r.reply = smtp::Reply{250, smtp::EnhancedCode{2, 0, 0}, {"2.0.0 Ok: queued"}};
        } else if (a == Answer::Defer) {
            r.stage = smtp::Stage::Rcpt;
            r.reply = smtp::Reply{452, smtp::EnhancedCode{4, 2, 2}, {"4.2.2 Mailbox full"}};
        } else if (a == Answer::Bounce) {
            r.stage = smtp::Stage::Rcpt;
            r.reply = smtp::Reply{550, smtp::EnhancedCode{5, 1, 1}, {"5.1.1 User unknown"}};
        } else {
            r.stage = smtp::Stage::Greeting;
            r.reply = smtp::Reply{421, smtp::EnhancedCode{4, 7, 0}, {"4.7.0 Too many concurrent connections"}};
        }
        smtp::Remote remote{"mx1." + gw::destination_of(rcpt), "192.0.2.25", 25};
        return gw::DeliveryOutcome::smtp_result(sender, std::move(r), std::move(remote), attempt, clock_.now());
    }

    asio::any_io_executor ex_;
    Clock& clock_;
};

struct Events final : gw::EventSink {
    std::vector<std::pair<TimePoint, gw::GatewayEvent>> all;
    void on_event(TimePoint at, const gw::GatewayEvent& e) override { all.emplace_back(at, e); }
    template <class T>
    std::vector<std::pair<TimePoint, T>> of() const {
        std::vector<std::pair<TimePoint, T>> out;
        for (const auto& [at, e] : all)
            if (const auto* x = std::get_if<T>(&e)) out.emplace_back(at, *x);
        return out;
    }
};

// The scheduler and its world, members in an order that tears down safely (the clock outlives
// the timers, the relay outlives nothing that points into it).
struct Bench {
    // `mailboxes`: the handsets' Maildirs (default: a directory of the bench's own).
    explicit Bench(gw::RelaySettings s = defaults(), std::string policy = "accurate", std::filesystem::path mailboxes = {})
        : settings(std::move(s)) {
        settings.mailboxes = mailboxes.empty() ? dir.path() / "mailboxes" : mailboxes;
        auto p = gw::load_named_policy(policy);
        REQUIRE(p);
        relay = std::make_unique<gw::Relay>(io.get_executor(), clock, agent, settings, std::move(p).value(), &events);
    }
    static gw::RelaySettings defaults() {
        gw::RelaySettings s;
        s.retry.min_backoff = 5min;
        s.retry.max_backoff = 40min;
        s.retry.lifetime = 2h;
        return s;
    }
    gw::MessageId submit(std::string from, std::vector<std::string> to) {
        auto id = relay->submit(gw::Envelope{std::move(from), std::move(to)}, "Subject: test\r\n\r\nhello\r\n");
        REQUIRE(id != 0);
        return id;
    }
    bool run_until_idle(Duration limit = 24h) { return loop.run_until([&] { return relay->idle(); }, clock.now() + limit); }
    void run_for(Duration d) { loop.run_until([] { return false; }, clock.now() + d); }

    TempDir dir;
    VirtualClock clock{t0};
    asio::io_context io;
    scn::VirtualLoop loop{io, clock};
    ScriptedAgent agent{io.get_executor(), clock};
    Events events;
    gw::RelaySettings settings;
    std::unique_ptr<gw::Relay> relay;
};

std::vector<Duration> attempt_offsets(const ScriptedAgent& a, gw::MessageId id, TimePoint arrival) {
    std::vector<Duration> out;
    for (const auto& c : a.calls)
        if (c.message == id) out.push_back(c.at - arrival);
    return out;
}

}  // namespace

TEST_CASE("scheduler: due jobs start at once, in arrival order, one job per destination domain", "[scheduler]") {
    Bench b;
    b.relay->start();
    auto m1 = b.submit("a@docomo.ne.jp", {"x@one.example", "y@two.example", "z@one.example"});
    auto m2 = b.submit("b@docomo.ne.jp", {"w@two.example"});
    REQUIRE(b.run_until_idle());
    REQUIRE(b.agent.calls.size() == 3);
    // m1's two destinations first (one job each, x and z together), then m2's.
    CHECK(b.agent.calls[0].message == m1);
    CHECK(b.agent.calls[1].message == m1);
    CHECK(b.agent.calls[2].message == m2);
    std::map<std::string, std::size_t> per_domain;
    for (const auto& c : b.agent.calls)
        if (c.message == m1) per_domain[c.domain] = c.recipients;
    CHECK(per_domain == std::map<std::string, std::size_t>{{"one.example", 2}, {"two.example", 1}});
    for (const auto& c : b.agent.calls) CHECK(c.at == t0);  // nothing waited for a timer
    CHECK(b.relay->notices_written() == 0);
    CHECK(b.clock.now() == t0 + 10s);  // the agents' time, nothing more
}

TEST_CASE("scheduler: a deferred recipient is retried after min_backoff, doubling, capped at max_backoff", "[scheduler]") {
    Bench b;
    b.agent.duration = 0s;
    b.agent.script["x@full.example"] = {Answer::Defer, Answer::Defer, Answer::Defer, Answer::Defer, Answer::Defer,
                                        Answer::Deliver};
    b.relay->start();
    auto id = b.submit("a@docomo.ne.jp", {"x@full.example"});
    REQUIRE(b.run_until_idle());
    // 0, +5m, +10m, +20m, +40m (capped), +40m → offsets from arrival.
    CHECK(attempt_offsets(b.agent, id, t0) == std::vector<Duration>{0s, 5min, 15min, 35min, 75min, 115min});
    auto results = b.events.of<gw::AttemptResult>();
    REQUIRE(results.size() == 6);
    CHECK(results.back().second.disposition == gw::Disposition::Delivered);
    CHECK(b.relay->notices_written() == 0);
}

TEST_CASE("scheduler: at the end of the lifetime the last attempt happens and the recipient expires with a notice",
          "[scheduler]") {
    Bench b;
    b.agent.duration = 0s;
    b.agent.script["x@full.example"] = {Answer::Defer};
    b.relay->start();
    auto id = b.submit("a@docomo.ne.jp", {"x@full.example"});
    REQUIRE(b.run_until_idle());
    auto offsets = attempt_offsets(b.agent, id, t0);
    REQUIRE_FALSE(offsets.empty());
    CHECK(offsets.back() == Duration(2h));  // the lifetime: never scheduled past it, attempted at it
    auto results = b.events.of<gw::AttemptResult>();
    REQUIRE_FALSE(results.empty());
    CHECK(results.back().second.disposition == gw::Disposition::Expired);
    auto notices = b.events.of<gw::NoticeWritten>();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].first == t0 + 2h);
    CHECK(notices[0].second.kind == gw::NoticeKind::Failure);
    CHECK(notices[0].second.handset == "a@docomo.ne.jp");
    CHECK(b.relay->queue().messages() == 0);
}

TEST_CASE("scheduler: a permanent failure bounces at once, with one notice per failed recipient", "[scheduler]") {
    Bench b;
    b.agent.script["x@isp.example"] = {Answer::Bounce};
    b.agent.script["y@isp.example"] = {Answer::Bounce};
    b.relay->start();
    b.submit("a@docomo.ne.jp", {"x@isp.example", "y@isp.example", "z@isp.example"});
    REQUIRE(b.run_until_idle());
    CHECK(b.agent.calls.size() == 1);
    auto notices = b.events.of<gw::NoticeWritten>();
    REQUIRE(notices.size() == 2);
    for (const auto& [at, n] : notices) {
        CHECK(at == t0 + 10s);
        CHECK(n.claims == gw::Claim::UserUnknown);  // the accurate policy names the cause
    }
    CHECK(b.relay->notices_written() == 2);
}

TEST_CASE("scheduler: the null sender gets no notice", "[scheduler]") {
    Bench b;
    b.agent.script["x@isp.example"] = {Answer::Bounce};
    b.relay->start();
    b.submit("", {"x@isp.example"});
    REQUIRE(b.run_until_idle());
    CHECK(b.events.of<gw::NoticeWritten>().empty());
    CHECK(b.relay->notices_written() == 0);
}

TEST_CASE("scheduler: max_sessions and destination_concurrency bound the jobs in flight", "[scheduler]") {
    SECTION("one destination: its concurrency limit") {
        auto s = Bench::defaults();
        s.limits.destination_concurrency = 3;
        Bench b(s);
        b.relay->start();
        for (int i = 0; i < 10; ++i) b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@one.example"});
        REQUIRE(b.run_until_idle());
        CHECK(b.agent.calls.size() == 10);
        CHECK(b.agent.max_in_flight == 3);
        // Three waves of 10 s and a fourth with one job: 40 s of virtual time.
        CHECK(b.clock.now() == t0 + 40s);
    }
    SECTION("many destinations: the session limit") {
        auto s = Bench::defaults();
        s.limits.max_sessions = 4;
        Bench b(s);
        b.relay->start();
        for (int i = 0; i < 10; ++i) b.submit("a@docomo.ne.jp", {"r@d" + std::to_string(i) + ".example"});
        REQUIRE(b.run_until_idle());
        CHECK(b.agent.calls.size() == 10);
        CHECK(b.agent.max_in_flight == 4);
    }
}

TEST_CASE("scheduler: operators' edits while a job is in flight", "[scheduler]") {
    Bench b;
    b.agent.duration = 1min;
    b.agent.script["x@full.example"] = {Answer::Defer, Answer::Deliver};
    b.relay->start();
    auto id = b.submit("a@docomo.ne.jp", {"x@full.example"});
    b.run_for(30s);  // the first attempt is in flight
    REQUIRE(b.relay->in_flight() == 1);

    SECTION("delete is refused while a recipient is in flight, and the attempt settles normally") {
        auto edit = b.relay->admin().remove(id);
        REQUIRE_FALSE(edit);
        CHECK(edit.error() == gw::QueueEditError::InFlight);
        CHECK(b.relay->queue().find(id) != nullptr);
        REQUIRE(b.run_until_idle());
        CHECK(attempt_offsets(b.agent, id, t0) == std::vector<Duration>{0s, 6min});  // 1 min + 5 min backoff
    }
    SECTION("retry-now of an in-flight message changes nothing; once deferred it makes it due at once") {
        auto edit = b.relay->admin().retry_now(id);
        REQUIRE(edit.ok());
        CHECK(*edit == 0);
        b.run_for(1min);  // the attempt ends (deferred to +6 min)
        REQUIRE(b.relay->in_flight() == 0);
        auto now = b.clock.now();
        edit = b.relay->admin().retry_now(id);
        REQUIRE(edit.ok());
        CHECK(*edit == 1);
        REQUIRE(b.run_until_idle());
        auto offsets = attempt_offsets(b.agent, id, t0);
        REQUIRE(offsets.size() == 2);
        CHECK(offsets[1] == now - t0);  // at once, not at +6 min
    }
    SECTION("delete of a waiting message: gone, no notice, nothing more attempted") {
        b.run_for(1min);
        REQUIRE(b.relay->in_flight() == 0);
        auto edit = b.relay->admin().remove(id);
        REQUIRE(edit.ok());
        CHECK(*edit == 1);
        CHECK(b.relay->admin().remove(id).error() == gw::QueueEditError::NoSuchMessage);
        REQUIRE(b.run_until_idle());
        CHECK(b.agent.calls.size() == 1);
        CHECK(b.events.of<gw::NoticeWritten>().empty());
    }
}

TEST_CASE("scheduler: a delay warning goes out once, after delay_warning, and the message still delivers",
          "[scheduler]") {
    auto s = Bench::defaults();
    s.retry.delay_warning = 30min;
    Bench b(s);
    b.agent.duration = 0s;
    b.agent.script["x@full.example"] = {Answer::Defer, Answer::Defer, Answer::Defer, Answer::Defer, Answer::Deliver};
    b.relay->start();
    b.submit("a@docomo.ne.jp", {"x@full.example"});
    REQUIRE(b.run_until_idle());
    auto notices = b.events.of<gw::NoticeWritten>();
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].first == t0 + 30min);
    CHECK(notices[0].second.kind == gw::NoticeKind::Delay);
    CHECK(b.events.of<gw::AttemptResult>().back().second.disposition == gw::Disposition::Delivered);
}

TEST_CASE("scheduler: a notice that cannot be written is retried with backoff and written once", "[scheduler]") {
    Bench b;
    b.agent.script["x@isp.example"] = {Answer::Bounce};
    // The handset's Maildir path is taken by a file: every write fails until it is removed.
    const auto blocked = b.settings.mailboxes / "a@docomo.ne.jp";
    std::filesystem::create_directories(b.settings.mailboxes);
    { std::ofstream(blocked) << "not a Maildir"; }
    b.relay->start();
    b.submit("a@docomo.ne.jp", {"x@isp.example"});
    b.run_for(20min);  // tries at +10 s, +5 min 10 s, +15 min 10 s
    auto failed = b.events.of<gw::NoticeFailed>();
    REQUIRE(failed.size() == 3);
    CHECK(failed[0].first == t0 + 10s);
    CHECK(failed[1].first == t0 + 10s + 5min);
    CHECK(failed[2].first == t0 + 10s + 15min);
    CHECK(b.relay->notices_pending() == 1);
    CHECK(b.events.of<gw::NoticeWritten>().empty());
    CHECK_FALSE(b.relay->idle());
    std::filesystem::remove(blocked);
    REQUIRE(b.run_until_idle());
    auto written = b.events.of<gw::NoticeWritten>();
    REQUIRE(written.size() == 1);
    CHECK(written[0].first == t0 + 10s + 35min);  // the next try: backoff 20 min after the third
    CHECK(b.relay->notice_errors() == 3);
    CHECK(b.relay->notices_written() == 1);
}

TEST_CASE("scheduler: recovery from the spool resumes each recipient where it stood", "[scheduler]") {
    TempDir spool_dir;
    gw::MessageId waiting = 0;
    {
        auto opened = gw::Spool::open(spool_dir.path());  // outlives the relay that writes to it
        REQUIRE(opened);
        Bench b;
        b.agent.duration = 0s;
        b.agent.script["x@full.example"] = {Answer::Defer};
        b.relay->recover(**opened);
        b.relay->start();
        waiting = b.submit("a@docomo.ne.jp", {"x@full.example", "y@fine.example"});
        b.run_for(1min);  // x deferred to +5 min, y delivered
        REQUIRE(b.agent.calls.size() == 2);
    }
    auto opened = gw::Spool::open(spool_dir.path());
    REQUIRE(opened);
    Bench b;  // a new process: the same spool, a clock a little later
    b.agent.duration = 0s;
    b.clock.advance_to(t0 + 2min);
    CHECK(b.relay->recover(**opened) == 1);
    b.relay->start();
    REQUIRE(b.run_until_idle());
    REQUIRE(b.agent.calls.size() == 1);  // only x: y was delivered before the restart
    CHECK(b.agent.calls[0].message == waiting);
    CHECK(b.agent.calls[0].domain == "full.example");
    CHECK(b.agent.calls[0].attempt == 2);
    CHECK(b.agent.calls[0].at == t0 + 5min);  // its recorded due time, not the restart's
    CHECK(b.relay->interrupted_attempts() == 0);
}

TEST_CASE("scheduler: live, a compaction due while an fdatasync runs follows it on the sync thread", "[scheduler][spool]") {
    // Before, a message that finished while a commit's fdatasync ran skipped compaction (it ran on
    // the loop, and not while the log's descriptor was being synced); now it waits for the slot.
    TempDir spool_dir;
    gw::SpoolLimits limits;
    limits.compact_min_dead_bytes = 1;  // every finished message makes a compaction due
    auto opened = gw::Spool::open(spool_dir.path(), limits);
    REQUIRE(opened);
    gw::Spool& spool = **opened;
    const auto opening = spool.compactions();
    asio::io_context io;
    RealClock clock;
    ScriptedAgent agent(io.get_executor(), clock);
    agent.duration = 0s;
    auto settings = Bench::defaults();
    settings.mailboxes = spool_dir.path() / "mailboxes";
    auto p = gw::load_named_policy("accurate");
    REQUIRE(p);
    gw::Relay relay(io.get_executor(), clock, agent, settings, std::move(p).value());
    relay.recover(spool);
    relay.start();
    // As intake does: accept, then commit before the 250. Each delivery is done at once, so each
    // message finishes while an fdatasync is on its way.
    std::vector<std::optional<std::optional<gw::SpoolError>>> commits(3);
    for (auto& c : commits) {
        auto a = relay.accept(gw::Envelope{"a@docomo.ne.jp", {"x@fine.example"}}, "Subject: t\r\n\r\nhi\r\n");
        REQUIRE(a);
        relaylab::spawn(io.get_executor(), relay.commit(a->commit), [&c](std::optional<gw::SpoolError> e) { c = e; });
    }
    auto settled = [&] {
        return relay.idle() && !relay.compacting() &&
               std::all_of(commits.begin(), commits.end(), [](const auto& c) { return c.has_value(); });
    };
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!settled() && std::chrono::steady_clock::now() < until) io.run_one_for(100ms);
    REQUIRE(settled());
    for (const auto& c : commits) CHECK_FALSE(*c);
    CHECK(agent.calls.size() == 3);
    CHECK(spool.compactions() > opening);
    CHECK_FALSE(spool.wants_compaction());  // nothing finished is left in the log
    CHECK(relay.spool_errors() == 0);
    CHECK(spool.durable() == spool.appended());
    relay.stop();
    io.poll();

    auto r = gw::read_spool(spool_dir.path());
    REQUIRE_FALSE(r.error);
    CHECK(r.replay.live.empty());
    CHECK(r.replay.max_id == 3);
    CHECK(r.replay.dropped_tail_bytes == 0);
}

TEST_CASE("scheduler: a notice pending at a stop is written once after the restart", "[scheduler][spool]") {
    TempDir spool_dir, maildirs;
    const auto mailboxes = maildirs.path() / "mailboxes";
    const auto blocked = mailboxes / "a@docomo.ne.jp";  // a file where the handset's Maildir goes
    std::filesystem::create_directories(mailboxes);
    { std::ofstream(blocked) << "not a Maildir"; }
    auto notices_on_disk = [&] {
        std::size_t n = 0;
        if (std::filesystem::is_directory(blocked / "new"))
            for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(blocked / "new")) ++n;
        return n;
    };
    gw::MessageId bounced = 0;
    {
        auto opened = gw::Spool::open(spool_dir.path());
        REQUIRE(opened);
        Bench b(Bench::defaults(), "accurate", mailboxes);
        b.agent.duration = 0s;
        b.agent.script["x@isp.example"] = {Answer::Bounce};
        b.relay->recover(**opened);
        b.relay->start();
        bounced = b.submit("a@docomo.ne.jp", {"x@isp.example"});
        b.run_for(1min);
        REQUIRE(b.events.of<gw::NoticeFailed>().size() == 1);
        CHECK(b.relay->notices_pending() == 1);
        CHECK(b.relay->queue().messages() == 0);  // the message is finished: only the notice is left
        b.relay->stop();
    }
    // The stop left the notice on disk, pending (its message's records are gone).
    {
        auto r = gw::read_spool(spool_dir.path());
        REQUIRE_FALSE(r.error);
        CHECK(r.replay.live.empty());
        REQUIRE(r.replay.notices.size() == 1);
        const auto& kept = r.replay.notices.begin()->second;
        CHECK(kept.id == bounced);
        CHECK(kept.written == gw::SpoolEventKind::FailureNotice);
        CHECK(kept.handset == "a@docomo.ne.jp");
        CHECK(kept.bytes.find("multipart/report") != std::string::npos);
        // Kept before the recipient's failure was recorded: no B without its notice on disk.
        const std::string log = test::read_file(spool_dir.path() / gw::kSpoolLogName);
        const auto p = log.find("\nP " + std::to_string(bounced) + " ");
        const auto b = log.find("\nB " + std::to_string(bounced) + " ");
        REQUIRE(p != std::string::npos);
        REQUIRE(b != std::string::npos);
        CHECK(p < b);
    }
    std::filesystem::remove(blocked);  // the Maildir is writable again
    std::string written_bytes;
    {
        auto opened = gw::Spool::open(spool_dir.path());  // a restart (and its compaction)
        REQUIRE(opened);
        Bench b(Bench::defaults(), "accurate", mailboxes);
        b.clock.advance_to(t0 + 10min);
        CHECK(b.relay->recover(**opened) == 0);
        CHECK(b.relay->notices_pending() == 1);
        b.relay->start();
        REQUIRE(b.run_until_idle());
        auto written = b.events.of<gw::NoticeWritten>();
        REQUIRE(written.size() == 1);
        CHECK(written[0].second.id == bounced);
        CHECK(written[0].second.kind == gw::NoticeKind::Failure);
        CHECK(b.agent.calls.empty());  // nothing is delivered again
        CHECK(notices_on_disk() == 1);
        written_bytes = test::read_file(written[0].second.path);
    }
    CHECK(written_bytes.find("x@isp.example") != std::string::npos);
    // Written means recorded: a third start finds nothing pending and writes nothing more.
    {
        auto opened = gw::Spool::open(spool_dir.path());
        REQUIRE(opened);
        CHECK((*opened)->recovered().notices.empty());
        Bench b(Bench::defaults(), "accurate", mailboxes);
        b.clock.advance_to(t0 + 20min);
        b.relay->recover(**opened);
        CHECK(b.relay->notices_pending() == 0);
        b.relay->start();
        b.run_for(1h);
        CHECK(b.events.of<gw::NoticeWritten>().empty());
    }
    CHECK(notices_on_disk() == 1);
}

// Destination shaping (docs/shaping.md): per destination limits and Postfix's concurrency feedback.

TEST_CASE("scheduler: a destination's own concurrency limit bounds its sessions, others keep the default",
          "[scheduler][shaping]") {
    auto s = Bench::defaults();
    s.limits.destination_concurrency = 5;
    s.limits.destinations["slow.example"] = gw::DestinationLimits{2, 0, 0};
    Bench b(s);
    b.relay->start();
    for (int i = 0; i < 6; ++i) {
        b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@slow.example"});
        b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@fast.example"});
    }
    REQUIRE(b.run_until_idle());
    CHECK(b.agent.calls.size() == 12);
    CHECK(b.agent.max_in_flight_to["slow.example"] == 2);
    CHECK(b.agent.max_in_flight_to["fast.example"] == 5);
}

TEST_CASE("scheduler: new sessions per minute hold a destination back, and reused sessions do not count",
          "[scheduler][shaping]") {
    auto s = Bench::defaults();
    s.limits.destinations["rate.example"] = gw::DestinationLimits{20, 0, 3};
    Bench b(s);
    SECTION("no parked sessions: three a minute") {
        b.relay->start();
        for (int i = 0; i < 7; ++i) b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@rate.example"});
        b.submit("a@docomo.ne.jp", {"other@free.example"});
        REQUIRE(b.run_until_idle());
        std::vector<Duration> rate_starts;
        for (const auto& c : b.agent.calls)
            if (c.domain == "rate.example") rate_starts.push_back(c.at - t0);
        CHECK(rate_starts == std::vector<Duration>{0s, 0s, 0s, 60s, 60s, 60s, 120s});
        // Another destination is not held back by it.
        CHECK(std::any_of(b.agent.calls.begin(), b.agent.calls.end(),
                          [](const Call& c) { return c.domain == "free.example" && c.at == t0; }));
        CHECK(b.relay->notices_written() == 0);
    }
    SECTION("a parked session to take: the job opens none") {
        b.agent.parked["rate.example"] = 10;
        b.relay->start();
        for (int i = 0; i < 7; ++i) b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@rate.example"});
        REQUIRE(b.run_until_idle());
        REQUIRE(b.agent.calls.size() == 7);
        for (const auto& c : b.agent.calls) CHECK(c.at == t0);
    }
}

TEST_CASE("scheduler: a refused session lowers the destination's window, its messages wait uncounted, deliveries raise "
          "it back",
          "[scheduler][shaping]") {
    Bench b;
    b.agent.refuse_beyond = 2;  // the remote takes two sessions at once; the third gets 421
    b.relay->start();
    for (int i = 0; i < 10; ++i) b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@busy.example"});
    REQUIRE(b.run_until_idle());

    // Every message delivered at its first counted attempt, no notice of any kind.
    auto results = b.events.of<gw::AttemptResult>();
    std::size_t delivered = 0;
    for (const auto& [at, r] : results) {
        if (r.disposition == gw::Disposition::Delivered) {
            ++delivered;
            CHECK(r.outcome.outcome.attempt == 1);
        } else {
            CHECK(r.disposition == gw::Disposition::Deferred);
            REQUIRE(r.next_attempt);
            CHECK(*r.next_attempt == at);  // waits again at once, for a place in the window
        }
    }
    CHECK(delivered == 10);
    CHECK(b.events.of<gw::NoticeWritten>().empty());

    auto windows = b.events.of<gw::DestinationWindow>();
    REQUIRE_FALSE(windows.empty());
    // The first refusal came with ten sessions in flight: nine, then one fewer per refusal, down to two.
    CHECK(windows.front().second.change.from == 20);
    CHECK(windows.front().second.change.to == 9);
    CHECK(windows.front().second.reply == "421 4.7.0 Too many concurrent connections");
    std::size_t lowest = 20;
    bool raised = false;
    for (const auto& [at, w] : windows) {
        CHECK_FALSE(w.change.held_until);
        if (w.reply.empty()) {
            raised = true;
            CHECK(w.change.to == w.change.from + 1);
        } else {
            lowest = std::min(lowest, w.change.to);
        }
    }
    CHECK(lowest == 2);
    CHECK(raised);
    // After the first burst the destination never had more than one session beyond what it takes.
    for (const auto& c : b.agent.calls)
        if (c.at > t0) CHECK(c.in_flight <= 3);
}

TEST_CASE("scheduler: a destination refused at window 1 is held until the retry time and does not spin",
          "[scheduler][shaping]") {
    Bench b;  // min_backoff 5 min, lifetime 2 h
    for (int i = 0; i < 3; ++i) b.agent.script["r" + std::to_string(i) + "@dead.example"] = {Answer::Refuse};
    b.relay->start();
    for (int i = 0; i < 3; ++i) b.submit("a@docomo.ne.jp", {"r" + std::to_string(i) + "@dead.example"});
    b.run_for(1h);
    REQUIRE(b.agent.calls.size() >= 3);
    // The first three at once; after that one session at a time, never sooner than the retry time.
    for (std::size_t i = 3; i < b.agent.calls.size(); ++i) {
        CHECK(b.agent.calls[i].in_flight == 1);
        CHECK(b.agent.calls[i].at - b.agent.calls[i - 1].at >= Duration(5min));
    }
    CHECK(b.agent.calls.size() <= 3 + 12);
    auto windows = b.events.of<gw::DestinationWindow>();
    REQUIRE(windows.size() >= 3);
    CHECK(windows[2].second.change.to == 1);
    REQUIRE(windows[2].second.change.held_until);
    CHECK(*windows[2].second.change.held_until == t0 + 10s + 5min);  // refused at the end of its 10 s
    CHECK(b.events.of<gw::NoticeWritten>().empty());  // within the lifetime: no notice yet
    // At the lifetime's end the recipients expire as usual, each with its notice. The hold never
    // pushes a last attempt past the expiry: at window 1 the three last attempts go one after the
    // other (10 s each) from the expiry instant, not a retry time later.
    REQUIRE(b.run_until_idle());
    CHECK(b.relay->notices_written() == 3);
    for (const auto& c : b.agent.calls) CHECK(c.at <= t0 + 2h + 20s);
    for (const auto& [at, r] : b.events.of<gw::AttemptResult>())
        if (r.disposition == gw::Disposition::Expired) CHECK(at <= t0 + 2h + 30s);
}
