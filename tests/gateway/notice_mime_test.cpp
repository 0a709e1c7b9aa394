// The handset notice's bytes: MIME structure, ISO-2022-JP text, RFC 2047 subject, UTF-8 option,
// and Python's email package as an independent MIME parser.
#include "bounce/notice.hpp"

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <iconv.h>

#include <fstream>
#include <string>
#include <vector>

using namespace relaylab;
using namespace relaylab::gw;

namespace {

const std::string kSubject2009 = "送信メールエラー";
const std::string kBody2009 = "ホストが見つかりません。@以後をご確認ください。\nHost Unknown\n";

TimePoint at(std::int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }

// The 2009 incident: 553 malformed address at MAIL FROM, worded "Host Unknown" by the legacy policy.
HandsetNotice incident_notice() {
    HandsetNotice n;
    n.from_address = "MAILER-DAEMON@gw.docomo.example";
    n.to_address = "p..q.@docomo.ne.jp";
    n.date = at(1243850400);  // 2009-06-01 10:00:00 UTC
    n.sequence = 42;
    n.hostname = "gw.docomo.example";
    n.subject = kSubject2009;
    n.body = kBody2009;
    n.original_headers =
        "From: p..q.@docomo.ne.jp\r\nTo: user@isp.example\r\nSubject: test\r\nDate: Mon, 01 Jun 2009 "
        "09:59:58 +0000\r\n\r\nbody must not be quoted\r\n";
    n.reporting_mta = "gw.docomo.example";
    n.arrival_date = at(1243850398);
    NoticeRecipient r;
    r.final_recipient = "user@isp.example";
    r.action = DsnAction::Failed;
    r.status = "5.1.7";
    r.remote_mta = "mx1.isp.example";
    r.remote_mta_ip = "127.0.0.11";
    r.diagnostic_code = "smtp; 553 malformed address";
    r.last_attempt = at(1243850400);
    n.recipients.push_back(r);
    return n;
}

// Whole-string conversion by glibc, the reference the notice's line-by-line bytes must match.
std::string iconv_convert(const std::string& text, const char* to, const char* from) {
    iconv_t cd = iconv_open(to, from);
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(text.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(text.data());
    std::size_t in_left = text.size();
    char* o = out.data();
    std::size_t o_left = out.size();
    std::size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
    iconv(cd, nullptr, nullptr, &o, &o_left);
    iconv_close(cd);
    REQUIRE(rc != static_cast<std::size_t>(-1));
    out.resize(out.size() - o_left);
    return out;
}

std::string base64_decode(const std::string& s) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : s) {
        auto k = alphabet.find(c);
        if (k == std::string::npos) continue;
        v = (v << 6) | static_cast<unsigned>(k);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xFF);
        }
    }
    return out;
}

std::vector<std::string> lines_of(const std::string& bytes) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < bytes.size()) {
        std::size_t e = bytes.find("\r\n", start);
        if (e == std::string::npos) e = bytes.size();
        lines.push_back(bytes.substr(start, e - start));
        start = e + 2;
    }
    return lines;
}

// The lines between "--boundary" k (0-based) and the next boundary line.
std::string part(const NoticeMessage& r, int k) {
    std::string delim = "\r\n--" + r.boundary + "\r\n";
    std::size_t pos = 0;
    for (int i = 0; i <= k; ++i) {
        pos = r.bytes.find(delim, pos);
        REQUIRE(pos != std::string::npos);
        pos += delim.size();
    }
    std::size_t end = r.bytes.find("\r\n--" + r.boundary, pos);
    REQUIRE(end != std::string::npos);
    return r.bytes.substr(pos, end - pos);
}

std::string header_section(const std::string& bytes) { return bytes.substr(0, bytes.find("\r\n\r\n") + 2); }

}  // namespace

TEST_CASE("notice structure", "[notice]") {
    NoticeMessage r = render_notice(incident_notice());
    const std::string head = header_section(r.bytes);

    SECTION("every line ends in CRLF, none is longer than 998 octets, all bytes 7-bit") {
        CHECK(r.bytes.size() >= 2);
        CHECK(r.bytes.substr(r.bytes.size() - 2) == "\r\n");
        for (std::size_t i = 0; i < r.bytes.size(); ++i) {
            if (r.bytes[i] == '\n') CHECK(i > 0);
            if (r.bytes[i] == '\n') CHECK(r.bytes[i - 1] == '\r');
            if (r.bytes[i] == '\r') CHECK(r.bytes[i + 1] == '\n');
            CHECK(static_cast<unsigned char>(r.bytes[i]) < 0x80);
        }
        for (const std::string& l : lines_of(r.bytes)) CHECK(l.size() <= kMaxLineOctets);
    }
    SECTION("top-level headers") {
        CHECK(head.find("Date: Mon, 01 Jun 2009 10:00:00 +0000\r\n") == 0);
        CHECK(head.find("\r\nFrom: Mail Delivery System <MAILER-DAEMON@gw.docomo.example>\r\n") != std::string::npos);
        // "p..q." is no dot-atom: RFC 5322 §3.4.1 wants it quoted in a header.
        CHECK(head.find("\r\nTo: \"p..q.\"@docomo.ne.jp\r\n") != std::string::npos);
        CHECK(head.find("\r\nMessage-ID: <20090601100000.000042@gw.docomo.example>\r\n") != std::string::npos);
        CHECK(r.message_id == "<20090601100000.000042@gw.docomo.example>");
        CHECK(head.find("\r\nAuto-Submitted: auto-replied\r\n") != std::string::npos);
        CHECK(head.find("\r\nMIME-Version: 1.0\r\n") != std::string::npos);
        CHECK(head.find("\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" +
                        r.boundary + "\"\r\n") != std::string::npos);
        CHECK(head.find("\r\nSubject: =?ISO-2022-JP?B?") != std::string::npos);
    }
    SECTION("the boundary is derived from the inputs: same inputs, same bytes") {
        CHECK(r.boundary == "1243850400.42/gw.docomo.example");
        CHECK(render_notice(incident_notice()).bytes == r.bytes);
        HandsetNotice other = incident_notice();
        other.sequence = 43;
        NoticeMessage r2 = render_notice(other);
        CHECK(r2.boundary != r.boundary);
        CHECK(r2.message_id != r.message_id);
    }
    SECTION("three parts in order, closed by the final boundary") {
        std::size_t p1 = r.bytes.find("\r\n--" + r.boundary + "\r\nContent-Description: Notification\r\n"
                                      "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
        std::size_t p2 = r.bytes.find("\r\n--" + r.boundary + "\r\nContent-Description: Delivery report\r\n"
                                      "Content-Type: message/delivery-status\r\n\r\n");
        std::size_t p3 = r.bytes.find("\r\n--" + r.boundary + "\r\nContent-Description: Undelivered Message Headers\r\n"
                                      "Content-Type: text/rfc822-headers\r\n\r\n");
        REQUIRE(p1 != std::string::npos);
        REQUIRE(p2 != std::string::npos);
        REQUIRE(p3 != std::string::npos);
        CHECK(p1 < p2);
        CHECK(p2 < p3);
        CHECK(r.bytes.substr(r.bytes.size() - r.boundary.size() - 6) == "--" + r.boundary + "--\r\n");
    }
    SECTION("delivery-status: per-message fields, blank line, per-recipient fields (RFC 3464 order)") {
        CHECK(part(r, 1) ==
              "Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
              "Reporting-MTA: dns; gw.docomo.example\r\n"
              "Arrival-Date: Mon, 01 Jun 2009 09:59:58 +0000\r\n"
              "\r\n"
              "Final-Recipient: rfc822; user@isp.example\r\n"
              "Action: failed\r\n"
              "Status: 5.1.7\r\n"
              "Remote-MTA: dns; mx1.isp.example\r\n"
              "Diagnostic-Code: smtp; 553 malformed address\r\n"
              "Last-Attempt-Date: Mon, 01 Jun 2009 10:00:00 +0000\r\n"
              "X-Remote-MTA-IP: 127.0.0.11\r\n");
    }
    SECTION("the original headers, not the body") {
        std::string p = part(r, 2);
        CHECK(p.find("\r\n\r\nFrom: p..q.@docomo.ne.jp\r\nTo: user@isp.example\r\nSubject: test\r\n") != std::string::npos);
        CHECK(p.find("body must not be quoted") == std::string::npos);
    }
    SECTION("a delayed recipient carries Will-Retry-Until") {
        HandsetNotice n = incident_notice();
        n.recipients[0].action = DsnAction::Delayed;
        n.recipients[0].status = "4.4.1";
        n.recipients[0].will_retry_until = at(1243850400 + 5 * 86400);
        std::string p = part(render_notice(n), 1);
        CHECK(p.find("Action: delayed\r\nStatus: 4.4.1\r\n") != std::string::npos);
        CHECK(p.find("Last-Attempt-Date: Mon, 01 Jun 2009 10:00:00 +0000\r\nWill-Retry-Until: Sat, 06 Jun 2009 10:00:00 +0000\r\n") !=
              std::string::npos);
    }
    SECTION("an MTA known only by its address is named by its address literal (RFC 5321 §4.1.3)") {
        HandsetNotice n = incident_notice();
        n.recipients[0].remote_mta.clear();
        n.recipients[0].remote_mta_ip = "2001:db8::1";
        CHECK(part(render_notice(n), 1).find("Remote-MTA: dns; [IPv6:2001:db8::1]\r\n") != std::string::npos);
        n.recipients[0].remote_mta_ip = "127.0.0.11";
        CHECK(part(render_notice(n), 1).find("Remote-MTA: dns; [127.0.0.11]\r\n") != std::string::npos);
    }
    SECTION("an IPv6 address tried is written as it is in X-Remote-MTA-IP") {
        HandsetNotice n = incident_notice();
        n.recipients[0].remote_mta_ip = "2001:db8::1";
        std::string p = part(render_notice(n), 1);
        CHECK(p.find("Remote-MTA: dns; mx1.isp.example\r\n") != std::string::npos);
        CHECK(p.find("X-Remote-MTA-IP: 2001:db8::1\r\n") != std::string::npos);
    }
    SECTION("a DNS failure names no Remote-MTA") {
        HandsetNotice n = incident_notice();
        n.recipients[0].remote_mta.clear();
        n.recipients[0].remote_mta_ip.clear();
        std::string p = part(render_notice(n), 1);
        CHECK(p.find("Remote-MTA") == std::string::npos);
        CHECK(p.find("X-Remote-MTA-IP") == std::string::npos);
    }
    SECTION("a long multi-line diagnostic is folded, never a line over 78 where spaces allow") {
        HandsetNotice n = incident_notice();
        n.recipients[0].diagnostic_code = "smtp; 550-5.1.1 The email account that you tried to reach does not exist.\r\n"
                                          "550 5.1.1 Please try double-checking the recipient's email address for typos";
        NoticeMessage rn = render_notice(n);
        std::string p = part(rn, 1);
        CHECK(p.find("Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach\r\n"
                     " does not exist. 550 5.1.1 Please try double-checking the recipient's email\r\n"
                     " address for typos\r\n") != std::string::npos);
        for (const std::string& l : lines_of(rn.bytes)) CHECK(l.size() <= kPreferredLineOctets);
    }
    SECTION("header injection through an address or a diagnostic is impossible") {
        HandsetNotice n = incident_notice();
        n.to_address = "a@b\r\nBcc: victim@example.com";
        n.recipients[0].diagnostic_code = "smtp; 553 x\r\n\r\n--" + render_notice(n).boundary + "--";
        NoticeMessage rn = render_notice(n);
        CHECK(rn.bytes.find("\r\nBcc:") == std::string::npos);
        CHECK(rn.bytes.find("\r\n--" + rn.boundary + "--\r\n") == rn.bytes.size() - rn.boundary.size() - 8);
    }
    SECTION("original header lines over 998 octets are split, input beyond the limit cut") {
        HandsetNotice n = incident_notice();
        n.original_headers = "X-Long: " + std::string(3000, 'a') + "\n" + std::string(kMaxQuotedHeaderOctets, 'b') + "\n";
        NoticeMessage rn = render_notice(n);
        CHECK(rn.truncated);
        for (const std::string& l : lines_of(rn.bytes)) CHECK(l.size() <= kMaxLineOctets);
        CHECK(rn.bytes.size() < 2 * kMaxQuotedHeaderOctets);
    }
}

TEST_CASE("notice text in ISO-2022-JP", "[notice]") {
    NoticeMessage r = render_notice(incident_notice());
    std::string human = part(r, 0);
    std::string body = human.substr(human.find("\r\n\r\n") + 4);

    SECTION("the 2009 body, byte for byte as glibc converts each line") {
        std::string line1 = iconv_convert("ホストが見つかりません。@以後をご確認ください。", "ISO-2022-JP", "UTF-8");
        // Known bytes: JIS X 0208 row 5 (katakana) and row 4 (hiragana), back to ASCII for '@'.
        CHECK(line1.find("\x1b$B%[%9%H$,8+$D$+$j$^$;$s!#\x1b(B@\x1b$B") == 0);
        CHECK(line1.substr(line1.size() - 3) == "\x1b(B");
        CHECK(body == line1 + "\r\nHost Unknown\r\n");
    }
    SECTION("the body decodes back to the policy's text") {
        CHECK(iconv_convert(body, "UTF-8", "ISO-2022-JP") == "ホストが見つかりません。@以後をご確認ください。\r\nHost Unknown\r\n");
    }
    SECTION("every line ends in ASCII mode") {
        for (const std::string& l : lines_of(body)) {
            auto esc = l.rfind('\x1b');
            if (esc != std::string::npos) CHECK(l.substr(esc, 3) == "\x1b(B");
        }
    }
    SECTION("the subject: encoded-words of at most 75 characters that decode back") {
        std::string head = header_section(r.bytes);
        std::size_t s = head.find("\r\nSubject: ") + 2;
        std::string field = head.substr(s, head.find("\r\n", head.find("?=", s)) - s);
        CHECK(field == "Subject: =?ISO-2022-JP?B?" + base64(iconv_convert(kSubject2009, "ISO-2022-JP", "UTF-8")) + "?=");
    }
    SECTION("a long subject is split on character boundaries, each word standing alone") {
        std::string subject;
        for (int i = 0; i < 8; ++i) subject += "送信メールエラー ";
        HandsetNotice n = incident_notice();
        n.subject = subject;
        NoticeMessage rn = render_notice(n);
        std::string head = header_section(rn.bytes);
        std::size_t s = head.find("Subject: ") + 9;
        std::size_t e = head.find("\r\nMessage-ID:");
        std::vector<std::string> words;
        std::string decoded;
        std::size_t pos = s;
        while (pos < e) {
            std::size_t b = head.find("=?", pos);
            if (b == std::string::npos || b >= e) break;
            std::size_t q = head.find("?=", b + 16);
            std::string word = head.substr(b, q + 2 - b);
            CHECK(word.size() <= kMaxEncodedWord);
            REQUIRE(word.rfind("=?ISO-2022-JP?B?", 0) == 0);
            std::string raw = base64_decode(word.substr(16, word.size() - 18));
            auto esc = raw.rfind('\x1b');
            if (esc != std::string::npos) CHECK(raw.substr(esc, 3) == "\x1b(B");  // ends in ASCII
            decoded += iconv_convert(raw, "UTF-8", "ISO-2022-JP");          // decodes alone
            words.push_back(word);
            pos = q + 2;
        }
        CHECK(words.size() > 2);
        CHECK(decoded == subject);
        for (const std::string& l : lines_of(head)) CHECK(l.size() <= 76);  // RFC 2047 §2
    }
    SECTION("what ISO-2022-JP cannot carry becomes the geta mark, counted") {
        HandsetNotice n = incident_notice();
        n.body = "絵文字\xF0\x9F\x98\x80です\xFF\n";  // an emoji and a byte that is no UTF-8
        NoticeMessage rn = render_notice(n);
        CHECK(rn.replaced == 2);
        std::string h = part(rn, 0);
        CHECK(iconv_convert(h.substr(h.find("\r\n\r\n") + 4), "UTF-8", "ISO-2022-JP") == "絵文字〓です〓\r\n");
    }
    SECTION("control characters never reach the body (an ESC would switch modes)") {
        HandsetNotice n = incident_notice();
        n.body = "a\x1b$Bb\x0e\rc\n";
        std::string h = part(render_notice(n), 0);
        CHECK(h.substr(h.find("\r\n\r\n") + 4) == "a$Bbc\r\n");
    }
    SECTION("a very long line is wrapped at 998 octets between characters") {
        HandsetNotice n = incident_notice();
        std::string longline;
        for (int i = 0; i < 700; ++i) longline += "あ";
        n.body = longline;
        std::string h = part(render_notice(n), 0);
        std::string b = h.substr(h.find("\r\n\r\n") + 4);
        std::vector<std::string> ls = lines_of(b);
        CHECK(ls.size() == 2);
        for (const std::string& l : ls) CHECK(l.size() <= kMaxLineOctets);
        std::string joined;
        for (const std::string& l : ls) joined += iconv_convert(l, "UTF-8", "ISO-2022-JP");
        CHECK(joined == longline);
    }
}

TEST_CASE("notice text in UTF-8", "[notice]") {
    HandsetNotice n = incident_notice();
    n.charset = Charset::Utf8;

    SECTION("base64 by default, 76-character lines, decoding to the text") {
        NoticeMessage r = render_notice(n);
        std::string h = part(r, 0);
        CHECK(h.find("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n") != std::string::npos);
        std::string b = h.substr(h.find("\r\n\r\n") + 4);
        for (const std::string& l : lines_of(b)) CHECK(l.size() <= kBase64LineChars);
        CHECK(base64_decode(b) == "ホストが見つかりません。@以後をご確認ください。\r\nHost Unknown\r\n");
        CHECK(header_section(r.bytes).find("Subject: =?UTF-8?B?" + base64(kSubject2009) + "?=\r\n") != std::string::npos);
        CHECK(header_section(r.bytes).find("Content-Transfer-Encoding: 7bit\r\n") != std::string::npos);
    }
    SECTION("8bit on request, declared at the top too") {
        n.utf8_transfer = Utf8Transfer::EightBit;
        NoticeMessage r = render_notice(n);
        CHECK(part(r, 0) ==
              "Content-Description: Notification\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n\r\n"
              "ホストが見つかりません。@以後をご確認ください。\r\nHost Unknown\r\n");
        CHECK(header_section(r.bytes).find("Content-Transfer-Encoding: 8bit\r\n") != std::string::npos);
    }
    SECTION("an ASCII subject stays readable") {
        n.subject = "Undelivered Mail Returned to Sender";
        CHECK(header_section(render_notice(n).bytes).find("\r\nSubject: Undelivered Mail Returned to Sender\r\n") !=
              std::string::npos);
    }
}

TEST_CASE("notice parsed by Python's email package", "[notice]") {
    relaylab::test::require_program("python3", "python3");
    relaylab::test::TempDir dir("relaylab-notice");
    const char* script = R"(
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
out = []
out.append(m.get_content_type())
out.append(m.get_param('report-type'))
out.append(m['Subject'])
out.append(str(m['To'].addresses[0].addr_spec))
parts = m.get_payload()
out.append(str(len(parts)))
out += [p.get_content_type() for p in parts]
out.append(parts[0].get_content().replace('\r\n', '\n').replace('\n', '|'))
ds = parts[1].get_payload()
out.append(str(len(ds)))
out.append(ds[0]['Reporting-MTA'])
for k in ('Final-Recipient', 'Action', 'Status', 'Remote-MTA', 'Diagnostic-Code'):
    out.append(k + '=' + ds[1][k])
out.append(parts[2].get_content().split('\n')[0])
out.append('defects=%d' % (len(m.defects) + sum(len(p.defects) for p in m.walk())))
sys.stdout.buffer.write(('\n'.join(out) + '\n').encode('utf-8'))
)";
    auto parse = [&](const HandsetNotice& n) {
        auto path = dir.path() / "notice.eml";
        std::ofstream(path, std::ios::binary) << render_notice(n).bytes;
        std::string out;
        int rc = relaylab::test::run_command({"python3", "-c", script, path.string()}, out, true,
                                             std::chrono::milliseconds(30000));
        INFO(out);
        CHECK(rc == 0);
        return out;
    };
    const std::string expected_tail =
        "3\ntext/plain\nmessage/delivery-status\ntext/rfc822-headers\n"
        "ホストが見つかりません。@以後をご確認ください。|Host Unknown|\n"
        "2\ndns; gw.docomo.example\n"
        "Final-Recipient=rfc822; user@isp.example\nAction=failed\nStatus=5.1.7\n"
        "Remote-MTA=dns; mx1.isp.example\nDiagnostic-Code=smtp; 553 malformed address\n"
        "From: p..q.@docomo.ne.jp\ndefects=0\n";

    SECTION("ISO-2022-JP") {
        CHECK(parse(incident_notice()) == "multipart/report\ndelivery-status\n送信メールエラー\np..q.@docomo.ne.jp\n" +
                                              expected_tail);
    }
    SECTION("UTF-8, base64") {
        HandsetNotice n = incident_notice();
        n.charset = Charset::Utf8;
        CHECK(parse(n) == "multipart/report\ndelivery-status\n送信メールエラー\np..q.@docomo.ne.jp\n" + expected_tail);
    }
    SECTION("a long Japanese subject still decodes to the same text") {
        HandsetNotice n = incident_notice();
        std::string subject;
        for (int i = 0; i < 6; ++i) subject += "送信メールエラー";
        n.subject = subject;
        std::string out = parse(n);
        CHECK(out.find("\n" + subject + "\n") != std::string::npos);
    }
}

TEST_CASE("notice: UTF-8 addresses (RFC 6533)", "[notice][smtputf8]") {
    const std::string user = "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6\xe3\x83\xbc";  // ユーザー
    SECTION("a UTF-8 recipient is of type utf-8, in utf-8-addr-xtext; the text and subject turn UTF-8") {
        HandsetNotice n = incident_notice();
        REQUIRE(n.charset == Charset::Iso2022Jp);
        n.recipients[0].final_recipient = user + "@isp.example";
        n.recipients[0].original_recipient = user + "@isp.example";
        n.recipients[0].status = "5.6.7";
        NoticeMessage r = render_notice(n);
        std::string p = part(r, 1);
        CHECK(p.find("Original-Recipient: utf-8; \\x{30E6}\\x{30FC}\\x{30B6}\\x{30FC}@isp.example\r\n") != std::string::npos);
        CHECK(p.find("Final-Recipient: utf-8; \\x{30E6}\\x{30FC}\\x{30B6}\\x{30FC}@isp.example\r\n") != std::string::npos);
        CHECK(r.bytes.find("charset=UTF-8") != std::string::npos);
        CHECK(r.bytes.find("Subject: =?UTF-8?") != std::string::npos);
    }
    SECTION("a UTF-8 handset: UTF-8 text; its ASCII recipient stays rfc822") {
        HandsetNotice n = incident_notice();
        n.to_address = user + "@docomo.ne.jp";
        NoticeMessage r = render_notice(n);
        CHECK(part(r, 1).find("Final-Recipient: rfc822; user@isp.example\r\n") != std::string::npos);
        CHECK(r.bytes.find("charset=UTF-8") != std::string::npos);
    }
    SECTION("ASCII addresses keep the configured ISO-2022-JP") {
        NoticeMessage r = render_notice(incident_notice());
        CHECK(r.bytes.find("charset=ISO-2022-JP") != std::string::npos);
        CHECK(part(r, 1).find("Final-Recipient: rfc822; user@isp.example\r\n") != std::string::npos);
    }
}
