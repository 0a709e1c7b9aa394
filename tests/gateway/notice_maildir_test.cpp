// Maildir delivery of handset notices: directory names from hostile addresses, tmp → new.
#include "bounce/maildir.hpp"

#include "tests/support/process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace relaylab;
using namespace relaylab::gw;
namespace fs = std::filesystem;

namespace {

TimePoint at(std::int64_t unix_seconds, std::int64_t usec = 0) {
    return TimePoint(std::chrono::seconds(unix_seconds)) + std::chrono::microseconds(usec);
}

std::size_t entries(const fs::path& p) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(p), fs::directory_iterator()));
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// True when `p`, with every symlink and ".." resolved, lies under `root`.
bool inside(const fs::path& p, const fs::path& root) {
    std::string c = fs::weakly_canonical(p).string();
    std::string r = fs::weakly_canonical(root).string() + "/";
    return c.rfind(r, 0) == 0;
}

}  // namespace

TEST_CASE("mailbox directory names", "[maildir]") {
    SECTION("an ordinary address is kept as it is") {
        CHECK(mailbox_directory_name("p..q.@docomo.ne.jp") == "p..q.@docomo.ne.jp");
    }
    SECTION("traversal: ../../x@y") { CHECK(mailbox_directory_name("../../x@y") == "%2E.%2F..%2Fx@y"); }
    SECTION(". and ..") {
        CHECK(mailbox_directory_name(".") == "%2E");
        CHECK(mailbox_directory_name("..") == "%2E.");
        CHECK(mailbox_directory_name(".hidden@x") == "%2Ehidden@x");
    }
    SECTION("a slash inside") { CHECK(mailbox_directory_name("a/b@c") == "a%2Fb@c"); }
    SECTION("NUL and control bytes, and '%' itself so escapes stay unambiguous") {
        CHECK(mailbox_directory_name(std::string("a\0b@c", 5)) == "a%00b@c");
        CHECK(mailbox_directory_name("a\r\n\x7f@c") == "a%0D%0A%7F@c");
        CHECK(mailbox_directory_name("a%2Fb@c") == "a%252Fb@c");
    }
    SECTION("empty") { CHECK(mailbox_directory_name("") == "%empty"); }
    SECTION("300 characters: bounded, with a hash that keeps distinct addresses apart") {
        std::string a(300, 'a');
        std::string b = a;
        b.back() = 'b';
        std::string na = mailbox_directory_name(a + "@x");
        std::string nb = mailbox_directory_name(b + "@x");
        CHECK(na.size() == kMaxMailboxNameOctets);
        CHECK(na.substr(na.size() - 18, 2) == "%h");
        CHECK(na != nb);
        CHECK(mailbox_directory_name(a + "@x") == na);  // stable
    }
    SECTION("cut never splits an escape") {
        std::string slashes(300, '/');
        std::string n = mailbox_directory_name(slashes);
        CHECK(n.size() <= kMaxMailboxNameOctets);
        std::string head = n.substr(0, n.find("%h"));
        CHECK(head.size() % 3 == 0);
        CHECK(head.find("%2F") == 0);
    }
}

TEST_CASE("maildir file names", "[maildir]") {
    SECTION("time.MusecPpidQseq.host") {
        CHECK(maildir_file_name({at(1243850400, 123), 5, 1234, "relaylab"}) == "1243850400.M000123P1234Q5.relaylab");
    }
    SECTION("'/' and ':' in the host are escaped as maildir(5) says") {
        CHECK(maildir_file_name({at(1), 1, 0, "a/b:c"}) == "1.M000000P0Q1.a\\057b\\072c");
    }
}

TEST_CASE("maildir delivery", "[maildir]") {
    relaylab::test::TempDir dir("relaylab-maildir");
    const fs::path root = dir.path() / "mailboxes";
    const std::string message = "Subject: x\r\n\r\nbody\r\n";
    const MaildirFileName name{at(1243850400), 1, 0, "gw.example"};

    SECTION("the file lands in new/, tmp/ is empty after, cur/ exists") {
        MaildirDelivery d = deliver_to_maildir(root, "p..q.@docomo.ne.jp", message, name);
        REQUIRE(d.ok());
        CHECK(*d == root / "p..q.@docomo.ne.jp" / "new" / "1243850400.M000000P0Q1.gw.example");
        CHECK(read(*d) == message);
        CHECK(entries(root / "p..q.@docomo.ne.jp" / "new") == 1);
        CHECK(entries(root / "p..q.@docomo.ne.jp" / "tmp") == 0);
        CHECK(fs::is_directory(root / "p..q.@docomo.ne.jp" / "cur"));
    }
    SECTION("hostile addresses stay inside <mailboxes>, one directory each") {
        const std::string hostile[] = {"../../x@y", ".", "..", "a/b@c", std::string("a\0b@c", 5), std::string(300, 'z') + "@c",
                                       "/etc/passwd", ""};
        std::uint64_t seq = 0;
        for (const std::string& a : hostile) {
            MaildirDelivery d = deliver_to_maildir(root, a, message, MaildirFileName{at(1243850400), ++seq, 0, "gw"});
            INFO(a);
            REQUIRE(d.ok());
            CHECK(inside(*d, root));
            CHECK(d->parent_path().parent_path().parent_path() == root);
            CHECK(d->parent_path().filename() == "new");
        }
        CHECK(entries(root) == std::size(hostile));
        CHECK(entries(dir.path()) == 1);  // nothing written beside <mailboxes>
    }
    SECTION("the same unique name twice: typed error, the first message untouched, tmp clean") {
        REQUIRE(deliver_to_maildir(root, "h@x", message, name).ok());
        MaildirDelivery d = deliver_to_maildir(root, "h@x", "other", name);
        REQUIRE_FALSE(d);
        CHECK(d.error().kind == MaildirError::AlreadyDelivered);
        CHECK(read(root / "h@x" / "new" / maildir_file_name(name)) == message);
        CHECK(entries(root / "h@x" / "tmp") == 0);
    }
    SECTION("a mailbox path that is a file: typed error, no crash") {
        fs::create_directories(root);
        std::ofstream(root / "h@x") << "not a directory";
        MaildirDelivery d = deliver_to_maildir(root, "h@x", message, name);
        REQUIRE_FALSE(d);
        CHECK(d.error().kind == MaildirError::CreateDirectory);
        CHECK(d.error().system_error != 0);
        CHECK(to_string(d.error().kind) == "create_directory");
    }
}
