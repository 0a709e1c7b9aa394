// Batch inputs (diagnosis/batch): folders walked in order, Maildirs, mbox splitting, bounds; and
// triage's reading of a bounce's own words (diagnosis/triage).
#include "diagnosis/batch.hpp"
#include "diagnosis/triage.hpp"
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using namespace relaylab;
using namespace relaylab::diag;
using relaylab::test::TempDir;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> names(const std::vector<BatchFile>& files) {
    std::vector<std::string> out;
    for (const auto& f : files) out.push_back(f.name + (f.error.empty() ? "" : " !"));
    return out;
}

std::vector<BatchInput> read_all_inputs(const std::vector<std::string>& paths) {
    std::vector<BatchInput> out;
    for (const auto& f : list_inputs(paths)) read_inputs(f, [&](BatchInput&& in) { out.push_back(std::move(in)); });
    return out;
}

bool has_claim(const std::vector<WordsClaim>& claims, gw::Claim c) {
    for (const auto& w : claims)
        if (w.claim == c) return true;
    return false;
}

}  // namespace

TEST_CASE("mbox splitting (RFC 4155, mboxrd quoting)", "[diagnosis][batch]") {
    SECTION("separators only at the start or after an empty line; the From_ line is not part of a message") {
        const auto m = split_mbox("From a@b Mon Jun  1 10:00:00 2009\nSubject: one\n\nbody\nFrom here on\n\n"
                                  "From c@d Mon Jun  1 10:01:00 2009\nSubject: two\n\n>From quoted\n>>From twice\n");
        REQUIRE(m.size() == 2);
        CHECK(m[0] == "Subject: one\n\nbody\nFrom here on\n\n");
        CHECK(m[1] == "Subject: two\n\nFrom quoted\n>From twice\n");
    }
    SECTION("CRLF lines; text before the first separator is a message of its own") {
        const auto m = split_mbox("stray text\r\n\r\nFrom x Tue\r\nSubject: a\r\n");
        REQUIRE(m.size() == 2);
        CHECK(m[0] == "stray text\r\n\r\n");
        CHECK(m[1] == "Subject: a\r\n");
    }
    SECTION("leading blank lines are no message; an empty input gives none") {
        CHECK(split_mbox("\n\nFrom x\nA: b\n").size() == 1);
        CHECK(split_mbox("").empty());
    }
    SECTION("fed byte by byte, the same messages as fed at once") {
        const std::string box = "From a\nX: 1\n\nFrom b\nX: 2\n>From c\n\nFrom d\n";
        std::vector<std::string> got;
        MboxSplitter s([&](std::string m, bool) { got.push_back(std::move(m)); });
        for (const char c : box) s.feed(std::string_view(&c, 1));
        s.finish();
        CHECK(got == split_mbox(box));
        CHECK(got.size() == 3);
        CHECK(got[2].empty());
    }
    SECTION("a message over the cap is cut and marked; the next one is whole") {
        std::vector<std::pair<std::string, bool>> got;
        MboxSplitter s([&](std::string m, bool t) { got.emplace_back(std::move(m), t); }, 10);
        s.feed("From a\n0123456789abcdef\n\nFrom b\nshort\n");
        s.finish();
        REQUIRE(got.size() == 2);
        CHECK(got[0] == std::pair<std::string, bool>{"0123456789", true});
        CHECK(got[1] == std::pair<std::string, bool>{"short\n", false});
    }
    SECTION("a line longer than max_line_octets is kept whole, and a separator's long line dropped") {
        const std::string long_line(3 * max_line_octets, 'x');
        const auto m = split_mbox("From " + long_line + "\nA: b\n" + long_line + "\n\nFrom c\n");
        REQUIRE(m.size() == 2);
        CHECK(m[0] == "A: b\n" + long_line + "\n\n");
    }
}

TEST_CASE("batch inputs: folders, Maildirs, mboxes, errors", "[diagnosis][batch]") {
    TempDir dir("relaylab-batch");
    const auto root = dir.path();
    write(root / "b.eml", "Subject: b\n\nx\n");
    write(root / "a" / "z.txt", "550 5.1.1 no such user\n");
    write(root / "a" / ".hidden", "skip me\n");
    write(root / "box.mbox", "From x\nSubject: 1\n\nFrom y\nSubject: 2\n");
    write(root / "md" / "cur" / "1", "Subject: cur\n");
    write(root / "md" / "new" / "2", "Subject: new\n");
    write(root / "md" / "tmp" / "3", "Subject: in delivery\n");

    SECTION("sorted within a folder, dot files skipped, a Maildir's tmp/ not read") {
        const auto r = root.string();
        CHECK(names(list_inputs({r})) ==
              std::vector<std::string>{r + "/a/z.txt", r + "/b.eml", r + "/box.mbox", r + "/md/cur/1", r + "/md/new/2"});
    }
    SECTION("an mbox gives PATH#N per message, from 1") {
        const auto in = read_all_inputs({(root / "box.mbox").string()});
        REQUIRE(in.size() == 2);
        CHECK(in[0].name == (root / "box.mbox").string() + "#1");
        CHECK(in[1].name == (root / "box.mbox").string() + "#2");
        CHECK(in[1].text == "Subject: 2\n");
    }
    SECTION("a missing path is an error entry, not an exception") {
        const auto files = list_inputs({(root / "nope").string()});
        REQUIRE(files.size() == 1);
        CHECK_FALSE(files[0].error.empty());
        const auto in = read_all_inputs({(root / "nope").string()});
        REQUIRE(in.size() == 1);
        CHECK_FALSE(in[0].error.empty());
    }
    SECTION("a symlink loop is walked once") {
        std::filesystem::create_directory_symlink(root / "a", root / "a" / "loop");
        const auto files = list_inputs({(root / "a").string()});
        CHECK(names(files) == std::vector<std::string>{(root / "a").string() + "/z.txt"});
    }
    SECTION("a broken symlink and a FIFO are error entries") {
        std::filesystem::create_symlink(root / "gone", root / "a" / "broken");
        REQUIRE(::mkfifo((root / "a" / "fifo").c_str(), 0600) == 0);
        const auto files = list_inputs({(root / "a").string()});
        REQUIRE(files.size() == 3);
        CHECK_FALSE(files[0].error.empty());  // broken
        CHECK_FALSE(files[1].error.empty());  // fifo
        CHECK(files[2].error.empty());
    }
    SECTION("a file over max_input_octets is cut and marked") {
        write(root / "big.eml", "Subject: big\n\n" + std::string(max_input_octets + 10, 'x'));
        const auto in = read_all_inputs({(root / "big.eml").string()});
        REQUIRE(in.size() == 1);
        CHECK(in[0].truncated);
        CHECK(in[0].text.size() == max_input_octets);
    }
}

TEST_CASE("triage: the causes a bounce's own words claim", "[diagnosis][triage]") {
    SECTION("the 2009 wording, in Japanese and English") {
        const auto c = claims_in_words("ホストが見つかりません。@以後をご確認ください。\nHost Unknown\n");
        REQUIRE(c.size() == 1);
        CHECK(c[0].claim == gw::Claim::HostUnknown);
        CHECK(c[0].words == "ホストが見つかりません");
    }
    SECTION("the remote's quoted reply and its continuation lines are not the bounce's words") {
        const auto c = claims_in_words("host mx1[192.0.2.1] said: 550 5.1.1 <p@x>: Recipient address\n"
                                       "    rejected: User unknown in local recipient table\n"
                                       "Your message could not be delivered.\n");
        CHECK(c.empty());
    }
    SECTION("Postfix's temporary DNS words are not a host unknown") {
        const auto c = claims_in_words("Host or domain name not found. Name service error for name=x type=MX: "
                                       "Host not found, try again\n");
        CHECK(has_claim(c, gw::Claim::DnsTemporary));
        CHECK_FALSE(has_claim(c, gw::Claim::HostUnknown));
    }
    SECTION("nothing claimed by a neutral text") {
        CHECK(claims_in_words("Delivery has failed to these recipients or groups:\n").empty());
    }
}
