// Delivery log lines in Postfix's shape, and the same events as JSON lines.
#include "log/logline.hpp"

#include <catch2/catch.hpp>

using namespace relaylab;
using namespace relaylab::gw;

namespace {

DeliveryEvent event(std::string dsn, DeliveryStatus status, DeliveryReason reason, std::optional<LogRelay> relay) {
    DeliveryEvent e;
    e.recipient = "user@isp.example";
    e.relay = std::move(relay);
    e.delay = 0.12;
    e.delays = std::array<double, 4>{0.01, 0, 0.05, 0.06};
    e.dsn = std::move(dsn);
    e.status = status;
    e.reason = std::move(reason);
    return e;
}

const LogRelay kMx1{"mx1.isp.example", "127.0.0.11", 25};

}  // namespace

TEST_CASE("Postfix-shaped log lines name an IPv6 peer as Postfix does: host[2001:db8::1]:25", "[logline][ipv6]") {
    const LogRelay v6{"mx1.isp.example", "2001:db8::1", 25};
    SECTION("sent over IPv6") {
        DeliveryEvent e = event("2.0.0", DeliveryStatus::Sent, AcceptedReason{"250 2.0.0 Ok: queued as 9C3D"}, v6);
        CHECK(format_log_line(e) ==
              "to=<user@isp.example>, relay=mx1.isp.example[2001:db8::1]:25, delay=0.12, delays=0.01/0/0.05/0.06, "
              "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9C3D)");
    }
    SECTION("a reply, a refused connect and a lost connection over IPv6") {
        CHECK(reason_text(RemoteReplyReason{smtp::Stage::Rcpt, "mx1.isp.example", "2001:db8::1", "550 5.1.1 unknown"}) ==
              "host mx1.isp.example[2001:db8::1] said: 550 5.1.1 unknown (in reply to RCPT TO command)");
        CHECK(reason_text(ConnectReason{"mx1.isp.example", "::1", 25, smtp::NetError::ConnectRefused}) ==
              "connect to mx1.isp.example[::1]:25: Connection refused");
        CHECK(reason_text(SessionReason{"mx1.isp.example", "::1", smtp::Stage::Greeting, smtp::NetError::Timeout}) ==
              "conversation with mx1.isp.example[::1] timed out while receiving the initial server greeting");
    }
}

TEST_CASE("Postfix-shaped log lines", "[logline]") {
    SECTION("553 at MAIL FROM: the 2009 incident") {
        DeliveryEvent e = event("5.1.7", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Mail, "mx1.isp.example", "127.0.0.11", "553 malformed address"}, kMx1);
        e.recipient = "q.@docomo.ne.jp";
        CHECK(format_log_line(e) ==
              "to=<q.@docomo.ne.jp>, relay=mx1.isp.example[127.0.0.11]:25, delay=0.12, delays=0.01/0/0.05/0.06, "
              "dsn=5.1.7, status=bounced (host mx1.isp.example[127.0.0.11] said: 553 malformed address (in reply to "
              "MAIL FROM command))");
    }
    SECTION("550 at RCPT TO, with a queue id") {
        DeliveryEvent e = event("5.1.1", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Rcpt, "mx1.isp.example", "127.0.0.11",
                                                  "550 5.1.1 <user@isp.example>: Recipient address rejected: User unknown"},
                                kMx1);
        e.queue_id = "4F1A2B";
        e.delays.reset();
        CHECK(format_log_line(e) ==
              "4F1A2B: to=<user@isp.example>, relay=mx1.isp.example[127.0.0.11]:25, delay=0.12, dsn=5.1.1, "
              "status=bounced (host mx1.isp.example[127.0.0.11] said: 550 5.1.1 <user@isp.example>: Recipient address "
              "rejected: User unknown (in reply to RCPT TO command))");
    }
    SECTION("rejected after the final dot") {
        DeliveryEvent e = event("5.7.1", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Dot, "mx1.isp.example", "127.0.0.11", "554 5.7.1 spam"}, kMx1);
        CHECK(reason_text(e.reason) == "host mx1.isp.example[127.0.0.11] said: 554 5.7.1 spam (in reply to end of DATA command)");
    }
    SECTION("NXDOMAIN: relay=none and the name service words") {
        DeliveryEvent e = event("5.4.4", DeliveryStatus::Bounced, DnsReason{"isp.example", "MX", dns::Status::NxDomain},
                                std::nullopt);
        CHECK(format_log_line(e) ==
              "to=<user@isp.example>, relay=none, delay=0.12, delays=0.01/0/0.05/0.06, dsn=5.4.4, status=bounced (Host "
              "or domain name not found. Name service error for name=isp.example type=MX: Host not found)");
    }
    SECTION("SERVFAIL: try again, deferred") {
        CHECK(reason_text(DnsReason{"isp.example", "MX", dns::Status::ServFail}) ==
              "Host or domain name not found. Name service error for name=isp.example type=MX: Host not found, try again");
    }
    SECTION("null MX") {
        CHECK(reason_text(DnsReason{"isp.example", "MX", dns::Status::NullMx}) ==
              "Domain isp.example does not accept mail (nullMX)");
    }
    SECTION("connection refused") {
        DeliveryEvent e = event("4.4.1", DeliveryStatus::Deferred,
                                ConnectReason{"mx1.isp.example", "127.0.0.11", 25, smtp::NetError::ConnectRefused}, std::nullopt);
        e.delay = 3.04;
        e.delays.reset();
        CHECK(format_log_line(e) ==
              "to=<user@isp.example>, relay=none, delay=3, dsn=4.4.1, status=deferred (connect to "
              "mx1.isp.example[127.0.0.11]:25: Connection refused)");
    }
    SECTION("greeting timeout and a lost connection") {
        CHECK(reason_text(SessionReason{"mx1.isp.example", "127.0.0.11", smtp::Stage::Greeting, smtp::NetError::Timeout}) ==
              "conversation with mx1.isp.example[127.0.0.11] timed out while receiving the initial server greeting");
        CHECK(reason_text(SessionReason{"mx1.isp.example", "127.0.0.11", smtp::Stage::Rcpt, smtp::NetError::Closed}) ==
              "lost connection with mx1.isp.example[127.0.0.11] while sending RCPT TO");
    }
    SECTION("a 554 greeting: refused to talk to me") {
        CHECK(reason_text(RemoteReplyReason{smtp::Stage::Greeting, "mx1.isp.example", "127.0.0.11", "554 go away"}) ==
              "host mx1.isp.example[127.0.0.11] refused to talk to me: 554 go away");
    }
    SECTION("sent") {
        DeliveryEvent e = event("2.0.0", DeliveryStatus::Sent, AcceptedReason{"250 2.0.0 Ok: queued as 9C3D"}, kMx1);
        e.delay = 0.27;
        e.delays = std::array<double, 4>{0.05, 0.01, 0.08, 0.13};
        CHECK(format_log_line(e) ==
              "to=<user@isp.example>, relay=mx1.isp.example[127.0.0.11]:25, delay=0.27, delays=0.05/0.01/0.08/0.13, "
              "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9C3D)");
    }
    SECTION("expired") {
        DeliveryEvent e = event("4.4.1", DeliveryStatus::Expired,
                                ConnectReason{"mx1.isp.example", "127.0.0.11", 25, smtp::NetError::ConnectRefused}, std::nullopt);
        CHECK(format_log_line(e).find(", dsn=4.4.1, status=expired (connect to ") != std::string::npos);
    }
    SECTION("a reply with a line break cannot split the log line") {
        DeliveryEvent e = event("5.0.0", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Mail, "h", "127.0.0.2", "550 a\r\nfake line"}, kMx1);
        CHECK(format_log_line(e).find_first_of("\r\n") == std::string::npos);
    }
}

TEST_CASE("Postfix delay format", "[logline]") {
    SECTION("two significant digits, two decimals at most, whole seconds from 10") {
        CHECK(format_delay(0) == "0");
        CHECK(format_delay(-1) == "0");
        CHECK(format_delay(0.001) == "0");
        CHECK(format_delay(0.123) == "0.12");
        CHECK(format_delay(0.1) == "0.1");
        CHECK(format_delay(1) == "1");
        CHECK(format_delay(4.34) == "4.3");
        CHECK(format_delay(9.99) == "10");
        CHECK(format_delay(123.4) == "123");
        CHECK(format_delay(432000) == "432000");
    }
}

TEST_CASE("JSON lines", "[logline]") {
    SECTION("the typed pieces and the words") {
        DeliveryEvent e = event("5.1.7", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Mail, "mx1.isp.example", "127.0.0.11", "553 malformed address"}, kMx1);
        e.time = TimePoint(std::chrono::seconds(1243850400));
        nlohmann::json j = nlohmann::json::parse(format_json_line(e));
        CHECK(j["time"] == "2009-06-01T10:00:00.000Z");
        CHECK(j["to"] == "user@isp.example");
        CHECK(j["relay"] == nlohmann::json({{"host", "mx1.isp.example"}, {"ip", "127.0.0.11"}, {"port", 25}}));
        CHECK(j["delay"] == 0.12);
        CHECK(j["delays"].size() == 4);
        CHECK(j["dsn"] == "5.1.7");
        CHECK(j["status"] == "bounced");
        CHECK(j["reason"] == nlohmann::json({{"kind", "remote_reply"},
                                             {"stage", "mail"},
                                             {"host", "mx1.isp.example"},
                                             {"ip", "127.0.0.11"},
                                             {"reply", "553 malformed address"}}));
        CHECK(j["text"] == "host mx1.isp.example[127.0.0.11] said: 553 malformed address (in reply to MAIL FROM command)");
        CHECK(format_json_line(e).find('\n') == std::string::npos);
    }
    SECTION("relay none is null; DNS reason typed") {
        DeliveryEvent e = event("5.4.4", DeliveryStatus::Bounced, DnsReason{"isp.example", "MX", dns::Status::NxDomain},
                                std::nullopt);
        nlohmann::json j = to_json(e);
        CHECK(j["relay"].is_null());
        CHECK(j["reason"] == nlohmann::json({{"kind", "dns"}, {"name", "isp.example"}, {"type", "MX"}, {"status", "nxdomain"}}));
        CHECK(!j.contains("time"));
    }
    SECTION("invalid UTF-8 from a remote does not throw") {
        DeliveryEvent e = event("5.0.0", DeliveryStatus::Bounced,
                                RemoteReplyReason{smtp::Stage::Mail, "h", "127.0.0.2", "550 \xff\xfe"}, kMx1);
        CHECK_NOTHROW(format_json_line(e));
    }
}
