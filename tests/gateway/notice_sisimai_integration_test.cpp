// A bounce analyser reads the truth from the notice's delivery-status part, whatever the human
// part says. Sisimai 4.25 (Debian libsisimai-perl) through perl; skipped when it is missing.
#include "bounce/maildir.hpp"
#include "bounce/notice.hpp"

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace relaylab;
using namespace relaylab::gw;

namespace {

TimePoint at(std::int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }

// The 2009 notice: the legacy policy's "Host Unknown" words over a truthful delivery-status part.
HandsetNotice legacy_notice(const std::string& status, const std::string& diagnostic) {
    HandsetNotice n;
    n.from_address = "MAILER-DAEMON@gw.docomo.example";
    n.to_address = "p..q.@docomo.ne.jp";
    n.date = at(1243850400);
    n.sequence = 7;
    n.hostname = "gw.docomo.example";
    n.subject = "送信メールエラー";
    n.body = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown\n";
    n.original_headers = "From: p..q.@docomo.ne.jp\r\nTo: user@isp.example\r\nSubject: test\r\n";
    n.reporting_mta = "gw.docomo.example";
    n.arrival_date = at(1243850398);
    NoticeRecipient r;
    r.final_recipient = "user@isp.example";
    r.status = status;
    if (!diagnostic.empty()) {
        r.remote_mta = "mx1.isp.example";
        r.remote_mta_ip = "127.0.0.11";
        r.diagnostic_code = diagnostic;
    }
    r.last_attempt = at(1243850400);
    n.recipients.push_back(r);
    return n;
}

// "reason|status|recipient|addresser|diagnostic|rhost|agent" per bounce Sisimai finds in `path`
// (a file or a Maildir).
std::string sisimai(const std::filesystem::path& path) {
    const char* script =
        "use Sisimai; my $v = Sisimai->make($ARGV[0]) || []; for my $e (@$v) { print join('|', $e->reason, "
        "$e->deliverystatus, $e->recipient->address, $e->addresser->address, $e->diagnosticcode, $e->rhost, "
        "$e->smtpagent), qq(\\n) }";
    std::string out;
    int rc = relaylab::test::run_command({"perl", "-e", script, path.string()}, out, true, std::chrono::milliseconds(60000));
    INFO(out);
    CHECK(rc == 0);
    return out;
}

}  // namespace

TEST_CASE("Sisimai reads the truth from the notice", "[notice][integration]") {
    relaylab::test::require_perl_module("Sisimai", "libsisimai-perl");
    relaylab::test::TempDir dir("relaylab-sisimai");
    auto analyse = [&](const HandsetNotice& n) {
        auto path = dir.path() / "notice.eml";
        std::ofstream(path, std::ios::binary) << render_notice(n).bytes;
        return sisimai(path);
    };

    SECTION("553 malformed address at MAIL FROM with Status 5.1.7: rejected (the sender), not host unknown") {
        CHECK(analyse(legacy_notice("5.1.7", "smtp; 553 malformed address")) ==
              "rejected|5.1.7|user@isp.example|p..q.@docomo.ne.jp|553 malformed address|mx1.isp.example|RFC3464\n");
    }
    SECTION("the same reply with Postfix's generic 5.0.0: onhold, why classify keeps X.1.7") {
        CHECK(analyse(legacy_notice("5.0.0", "smtp; 553 malformed address")) ==
              "onhold|5.0.0|user@isp.example|p..q.@docomo.ne.jp|553 malformed address|mx1.isp.example|RFC3464\n");
    }
    SECTION("550 5.1.1 at RCPT TO: userunknown") {
        CHECK(analyse(legacy_notice("5.1.1", "smtp; 550 5.1.1 <user@isp.example>: User unknown")).rfind("userunknown|5.1.1|", 0) == 0);
    }
    SECTION("NXDOMAIN (5.4.4, no Remote-MTA): hostunknown") {
        CHECK(analyse(legacy_notice("5.4.4", "")).rfind("hostunknown|5.4.4|user@isp.example|", 0) == 0);
    }
    SECTION("the UTF-8 notice reads the same") {
        HandsetNotice n = legacy_notice("5.1.7", "smtp; 553 malformed address");
        n.charset = Charset::Utf8;
        CHECK(analyse(n).rfind("rejected|5.1.7|user@isp.example|p..q.@docomo.ne.jp|", 0) == 0);
    }
    SECTION("straight from the handset's Maildir") {
        MaildirDelivery d = deliver_to_maildir(dir.path() / "mailboxes", "p..q.@docomo.ne.jp",
                                               render_notice(legacy_notice("5.1.7", "smtp; 553 malformed address")).bytes,
                                               MaildirFileName{at(1243850400), 7, 0, "gw.docomo.example"});
        REQUIRE(d.ok());
        CHECK(sisimai(d->parent_path()).rfind("rejected|5.1.7|user@isp.example|p..q.@docomo.ne.jp|", 0) == 0);
    }
}
