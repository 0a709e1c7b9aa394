// `relaylab notice show` on notices written by the gateway's own notice writer (gw::render_notice,
// delivered with gw::deliver_to_maildir, as serve does): decoded subject and words, the
// delivery-status fields in a handset's order, Maildirs and folders, and clear refusals.
#include "clock/duration.hpp"
#include "bounce/maildir.hpp"
#include "bounce/notice.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relaylab;
using namespace relaylab::test;

namespace {

gw::HandsetNotice incident_notice(std::string subject, std::string body, std::uint64_t sequence) {
    gw::HandsetNotice n;
    n.from_address = "MAILER-DAEMON@relay.docomo.example";
    n.to_address = "q.@docomo.ne.jp";
    n.date = *parse_time("2009-06-01T10:00:00Z");
    n.sequence = sequence;
    n.hostname = "relay.docomo.example";
    n.subject = std::move(subject);
    n.body = std::move(body);
    n.original_headers = "From: q.@docomo.ne.jp\r\nTo: user@isp.example\r\nSubject: meeting\r\n";
    n.reporting_mta = "relay.docomo.example";
    n.arrival_date = n.date;
    gw::NoticeRecipient r;
    r.final_recipient = "user@isp.example";
    r.status = "5.1.7";
    r.remote_mta = "mx1.isp.example";
    r.remote_mta_ip = "127.0.0.10";
    r.diagnostic_code = "smtp; 553 malformed address";
    r.last_attempt = n.date;
    n.recipients.push_back(r);
    return n;
}

// Writes the notice into MAILBOXES/<handset>/new/ as the relay does; returns the file.
std::filesystem::path deliver(const std::filesystem::path& mailboxes, const gw::HandsetNotice& n) {
    gw::NoticeMessage m = gw::render_notice(n);
    auto d = gw::deliver_to_maildir(mailboxes, n.to_address, m.bytes, {n.date, n.sequence, 1234, n.hostname});
    REQUIRE(d.ok());
    return *d;
}

int show(const std::vector<std::string>& args, std::string& out, bool merge = true) {
    std::vector<std::string> argv{relaylab_binary(), "notice"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out, merge);
}

const char* const legacy_subject = "送信メールエラー";
const char* const legacy_body = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown\n";

}  // namespace

TEST_CASE("notice show decodes an ISO-2022-JP notice in the order a handset shows it", "[notice]") {
    TempDir dir("relaylab-notice-show");
    auto file = deliver(dir.path(), incident_notice(legacy_subject, legacy_body, 1));
    REQUIRE(read_file(file).find("=?ISO-2022-JP?B?") != std::string::npos);  // really encoded on disk
    std::string out;
    REQUIRE(show({"show", file.string()}, out, false) == 0);
    CHECK(out ==
          "Subject: 送信メールエラー\n"
          "From:    Mail Delivery System <MAILER-DAEMON@relay.docomo.example>\n"
          "Date:    Mon, 01 Jun 2009 10:00:00 +0000\n"
          "To:      \"q.\"@docomo.ne.jp\n"
          "\n"
          "ホストが見つかりません。@以後をご確認ください。\n"
          "Host Unknown\n"
          "\n"
          "-- delivery-status (RFC 3464) --\n"
          "  Final-Recipient: rfc822; user@isp.example\n"
          "  Action: failed\n"
          "  Status: 5.1.7\n"
          "  Remote-MTA: dns; mx1.isp.example\n"
          "  Diagnostic-Code: smtp; 553 malformed address\n");

    SECTION("--all adds the other delivery-status fields") {
        REQUIRE(show({"show", "--all", file.string()}, out, false) == 0);
        INFO(out);
        CHECK(out.find("  Reporting-MTA: dns; relay.docomo.example\n") != std::string::npos);
        CHECK(out.find("  X-Remote-MTA-IP: 127.0.0.10\n") != std::string::npos);
        CHECK(out.find("  Last-Attempt-Date: Mon, 01 Jun 2009 10:00:00 +0000\n") != std::string::npos);
    }
}

TEST_CASE("notice show reads a Maildir, a folder of Maildirs, and UTF-8 notices", "[notice]") {
    TempDir dir("relaylab-notice-dir");
    auto first = deliver(dir.path(), incident_notice(legacy_subject, legacy_body, 1));
    // Long enough for the writer to split it into two encoded-words, the first ending in '=' padding
    // (GMime alone cut it there: diagnosis/mime_message.cpp decodes word by word).
    auto utf8 = incident_notice("送信エラー: 送信元アドレスが受信側に拒否されました", "応答: 553 malformed address\n", 2);
    utf8.charset = gw::Charset::Utf8;
    auto second = deliver(dir.path(), utf8);
    REQUIRE(read_file(second).find("=?UTF-8?B?6YCB5L+h44Ko44Op44O8OiDpgIHkv6HlhYPjgqLjg4njg6zjgrk=?=") != std::string::npos);
    // A read notice moves to cur/ (maildir(5)); it is still shown, after new/.
    std::filesystem::create_directories(second.parent_path().parent_path() / "cur");
    std::filesystem::rename(second, second.parent_path().parent_path() / "cur" / (second.filename().string() + ":2,S"));
    const auto maildir = first.parent_path().parent_path();

    for (const auto& target : {maildir, dir.path()}) {
        INFO(target);
        std::string out;
        REQUIRE(show({"show", target.string()}, out, false) == 0);
        INFO(out);
        auto a = out.find("Subject: 送信メールエラー"), b = out.find("Subject: 送信エラー: 送信元アドレスが受信側に拒否されました\n");
        REQUIRE(a != std::string::npos);
        REQUIRE(b != std::string::npos);
        CHECK(a < b);
        CHECK(out.find("応答: 553 malformed address\n") != std::string::npos);
        CHECK(out.rfind("==> ", 0) == 0);
        CHECK(out.find("/new/" + first.filename().string() + " <==\n") != std::string::npos);
    }
}

TEST_CASE("notice show refuses what is not a notice, clearly, and shows the rest", "[notice]") {
    TempDir dir("relaylab-notice-bad");
    auto good = deliver(dir.path(), incident_notice(legacy_subject, legacy_body, 1));
    std::string out;

    SECTION("a missing file") {
        CHECK(show({"show", (dir.path() / "nothing").string()}, out) == 2);
        CHECK(out.find("cannot read " + (dir.path() / "nothing").string() + ": no such file or folder") != std::string::npos);
    }
    SECTION("a plain mail beside a notice") {
        const auto plain = dir.path() / "plain.eml";
        std::ofstream(plain) << "From: a@b.example\r\nSubject: hello\r\n\r\nnot a report\r\n";
        CHECK(show({"show", plain.string(), good.string()}, out) == 2);
        CHECK(out.find(plain.string() + ": not a handset notice") != std::string::npos);
        CHECK(out.find("Subject: 送信メールエラー") != std::string::npos);
    }
    SECTION("binary junk and an unreadable file") {
        const auto junk = dir.path() / "junk";
        std::ofstream(junk, std::ios::binary) << std::string("\0\xff\x1b[2J\x01", 6);
        CHECK(show({"show", junk.string()}, out) == 2);
        CHECK(out.find("not a handset notice") != std::string::npos);
        if (::geteuid() != 0) {  // root reads anything
            std::filesystem::permissions(good, std::filesystem::perms::none);
            CHECK(show({"show", good.string()}, out) == 2);
            CHECK(out.find("cannot read") != std::string::npos);
        }
    }
    SECTION("an empty Maildir") {
        std::filesystem::create_directories(dir.path() / "empty" / "new");
        CHECK(show({"show", (dir.path() / "empty").string()}, out) == 1);
        CHECK(out.find("no files") != std::string::npos);
    }
    SECTION("the command line") {
        CHECK(show({"show", "--help"}, out) == 0);
        CHECK(out.find("usage: relaylab notice show") != std::string::npos);
        CHECK(show({"--help"}, out) == 0);
        CHECK(show({}, out) == 2);
        CHECK(show({"show"}, out) == 2);
        CHECK(show({"show", "--colour", good.string()}, out) == 2);
        CHECK(show({"list"}, out) == 2);
    }
    SECTION("no escape sequence from a notice reaches the terminal") {
        // The gateway never writes control characters (bounce/charset.hpp); a hostile file may.
        auto n = incident_notice("subject", "line MARK\n", 3);
        n.charset = gw::Charset::Utf8;
        n.utf8_transfer = gw::Utf8Transfer::EightBit;
        std::string bytes = gw::render_notice(n).bytes;
        auto at = bytes.find("MARK");
        REQUIRE(at != std::string::npos);
        bytes.replace(at, 4, "\x1b[2J\x1b]0;owned\x07");
        const auto f = dir.path() / "hostile.eml";
        std::ofstream(f, std::ios::binary) << bytes;
        REQUIRE(show({"show", f.string()}, out, false) == 0);
        CHECK(out.find('\x1b') == std::string::npos);
        CHECK(out.find('\x07') == std::string::npos);
        CHECK(out.find("line ?[2J?]0;owned?") != std::string::npos);
    }
}
