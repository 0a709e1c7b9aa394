// The live log's lines and when they reach the file: once per turn of the loop, not per line.
#include "log/journal.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

using namespace relaylab;

namespace {

// A stream buffer that keeps what was written and counts flushes (each flush is a write(2) on a file).
class CountingBuf final : public std::stringbuf {
public:
    int flushes = 0;

protected:
    int sync() override {
        ++flushes;
        return std::stringbuf::sync();
    }
};

const TimePoint at = TimePoint{} + std::chrono::seconds(1'243'850'400);  // 2009-06-01T10:00Z

gw::MessageAccepted accepted(gw::MessageId id) { return {id, "q.@docomo.ne.jp", {"user@isp.example"}, 1281}; }

}  // namespace

TEST_CASE("the journal flushes once per loop turn, whatever the number of lines", "[journal]") {
    boost::asio::io_context io;
    CountingBuf buf;
    std::ostream out(&buf);
    gw::Journal journal(out, false, io.get_executor());
    for (gw::MessageId id = 1; id <= 50; ++id) journal.on_event(at, accepted(id));
    CHECK(buf.flushes == 0);
    io.poll();
    CHECK(buf.flushes == 1);
    std::string text = buf.str();
    CHECK(std::count(text.begin(), text.end(), '\n') == 50);
    CHECK(text.rfind("2009-06-01T10:00:00.000Z relaylab/qmgr: 1: from=<q.@docomo.ne.jp>, size=1281, nrcpt=1 (queue active)\n", 0) == 0);

    journal.on_event(at, accepted(51));  // the next turn: one more flush
    io.restart();
    io.poll();
    CHECK(buf.flushes == 2);
    io.restart();
    io.poll();
    CHECK(buf.flushes == 2);  // nothing new, no flush
}

TEST_CASE("without a loop the journal flushes every line, and lines left at the end are flushed", "[journal]") {
    CountingBuf buf;
    std::ostream out(&buf);
    {
        gw::Journal journal(out, true);
        journal.on_event(at, accepted(7));
        CHECK(buf.flushes == 1);
        journal.on_event(at, accepted(8));
        CHECK(buf.flushes == 2);
        CHECK(buf.str().find(R"("queue_id":"7")") != std::string::npos);
    }
    int before = buf.flushes;
    boost::asio::io_context io;
    {
        gw::Journal journal(out, false, io.get_executor());
        journal.on_event(at, accepted(9));
        CHECK(buf.flushes == before);
    }  // destroyed before its posted flush ran: flushed on the way out, and the flush posted is harmless
    CHECK(buf.flushes == before + 1);
    io.poll();
    CHECK(buf.flushes == before + 1);
}

TEST_CASE("JSON lines survive bytes that are not UTF-8 (a raw 8-bit MAIL FROM)", "[journal]") {
    CountingBuf buf;
    std::ostream out(&buf);
    gw::Journal journal(out, true);
    gw::MessageAccepted m{3, "j\xfcrgen@docomo.ne.jp", {"user@isp.example"}, 10};
    REQUIRE_NOTHROW(journal.on_event(at, m));  // nlohmann's dump() threw here: the live relay died
    auto line = nlohmann::json::parse(buf.str());
    CHECK(line["from"] == "j\xef\xbf\xbdrgen@docomo.ne.jp");
}

TEST_CASE("an address whose connect failed gets a line of its own, as Postfix logs it, IPv6 included", "[journal][ipv6]") {
    CountingBuf buf;
    std::ostream out(&buf);
    gw::SmtpSession refused{1, smtp::Remote{"mx1.isp.example", "2001:db8::1", 25}, {}, smtp::NetError::ConnectRefused};
    gw::SmtpSession opened{1, smtp::Remote{"mx1.isp.example", "192.0.2.1", 25}, {}, std::nullopt};
    SECTION("Postfix lines") {
        gw::Journal journal(out, false);
        journal.on_event(at, refused);
        journal.on_event(at, opened);
        CHECK(buf.str() == "2009-06-01T10:00:00.000Z relaylab/smtp: connect to mx1.isp.example[2001:db8::1]:25: "
                           "Connection refused\n");
    }
    SECTION("JSON lines") {
        gw::Journal journal(out, true);
        journal.on_event(at, refused);
        auto j = nlohmann::json::parse(buf.str());
        CHECK(j["event"] == "connect_failed");
        CHECK(j["ip"] == "2001:db8::1");
        CHECK(j["port"] == 25);
        CHECK(j["text"] == "connect to mx1.isp.example[2001:db8::1]:25: Connection refused");
    }
}
