// `relaylab run` on suites, as CI runs it: folders, --filter, --list, --jobs (reports the same byte
// for byte as --jobs 1), --shard K/N (a partition), the seed's precedence, --quiet's reasons, JUnit
// errors, times and timelines, and the loader's every mistake.
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace relaylab::test;

namespace {

std::filesystem::path library_dir() { return RELAYLAB_LIBRARY_DIR; }

int run_relaylab(const std::vector<std::string>& args, std::string& out, bool merge_stderr = false) {
    std::vector<std::string> argv{relaylab_binary(), "run"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out, merge_stderr, std::chrono::seconds(100));
}

void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::vector<std::string> library_files() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(library_dir()))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

// JUnit's time attributes are wall-clock seconds: the one thing that differs from run to run.
std::string without_times(const std::string& xml) { return std::regex_replace(xml, std::regex(R"( time="[0-9.]+")"), ""); }

const std::string passing = R"({"world": {"dns": {"names": {}}}, "submissions": [{"from": "a@docomo.ne.jp", "to": "b@nowhere.example"}],
  "expect": [{"recipient": "b@nowhere.example", "status": "bounced"}]})";
const std::string failing = R"({"world": {"dns": {"names": {}}}, "submissions": [{"from": "a@docomo.ne.jp", "to": "b@nowhere.example"}],
  "expect": [{"recipient": "b@nowhere.example", "status": "delivered"}, {"nothing_lost": true}]})";

}  // namespace

TEST_CASE("a folder stands for every *.json below it, sorted by path", "[run][suite]") {
    TempDir dir("relaylab-suite-folder");
    write(dir.path() / "b.json", passing);
    write(dir.path() / "a" / "z.json", passing);
    write(dir.path() / "a" / "notes.txt", "not a scenario");
    write(dir.path() / "c" / "deeper" / "y.json", passing);
    SECTION("--list names them with their files, in path order, and runs nothing") {
        std::string out;
        REQUIRE(run_relaylab({"--list", dir.path().string()}, out) == 0);
        CHECK(out == "z\t" + (dir.path() / "a" / "z.json").string() + "\n" + "b\t" + (dir.path() / "b.json").string() + "\n" +
                         "y\t" + (dir.path() / "c" / "deeper" / "y.json").string() + "\n");
    }
    SECTION("running the folder runs them all") {
        std::string out;
        CHECK(run_relaylab({"--quiet", dir.path().string()}, out) == 0);
        CHECK(lines(out).back() == "3 passed, 0 failed");
    }
    SECTION("the library runs as a folder") {
        std::string out;
        CHECK(run_relaylab({"--quiet", library_dir().string()}, out) == 0);
        CHECK(out.find(" 0 failed\n") != std::string::npos);
    }
    SECTION("a folder without scenarios is a usage error") {
        std::string out;
        std::filesystem::create_directories(dir.path() / "empty");
        CHECK(run_relaylab({(dir.path() / "empty").string()}, out, true) == 2);
        CHECK(out.find("a folder with no *.json scenario in it") != std::string::npos);
    }
}

TEST_CASE("run --filter selects scenarios by a regular expression on their names", "[run][suite]") {
    std::string out;
    REQUIRE(run_relaylab({"--list", "--filter", "^2009-.*-legacy$", library_dir().string()}, out) == 0);
    auto got = lines(out);
    REQUIRE(got.size() == 2);
    CHECK(got[0].rfind("2009-consecutive-dots-legacy\t", 0) == 0);
    CHECK(got[1].rfind("2009-trailing-dot-legacy\t", 0) == 0);
    SECTION("a name that matches nothing, and a bad expression, are usage errors") {
        CHECK(run_relaylab({"--filter", "no-such-scenario", library_dir().string()}, out, true) == 2);
        CHECK(out.find("no scenario name matches") != std::string::npos);
        CHECK(run_relaylab({"--filter", "(", library_dir().string()}, out, true) == 2);
        CHECK(out.find("--filter (: not a regular expression") != std::string::npos);
    }
}

TEST_CASE("run --jobs N gives the same reports, byte for byte, as --jobs 1, in input order", "[run][suite]") {
    TempDir dir("relaylab-suite-jobs");
    // The library, a failing scenario and one that cannot load: every kind of report entry.
    write(dir.path() / "in" / "failing.json", failing);
    write(dir.path() / "in" / "broken.json", R"({"world": {}, "submissions": [], "expect": [{"recipient": "x", "stage": "rcp"}]})");
    std::vector<std::string> outputs, jsons, junits, htmls;
    for (std::string jobs : {"1", "2", "5"}) {
        INFO("--jobs " << jobs);
        std::string out;
        auto base = dir.path() / ("j" + jobs);
        CHECK(run_relaylab({"--jobs", jobs, "--json", base.string() + ".json", "--junit", base.string() + ".xml", "--html",
                            base.string() + ".html", library_dir().string(), (dir.path() / "in").string()},
                           out) == 2);
        outputs.push_back(out);
        jsons.push_back(read_file(base.string() + ".json"));
        junits.push_back(read_file(base.string() + ".xml"));
        htmls.push_back(read_file(base.string() + ".html"));
    }
    CHECK(outputs[0].find("=== 2009-consecutive-dots-accurate") < outputs[0].find("=== tarpit-greeting-next-mx"));
    CHECK(outputs[0].find("=== tarpit-greeting-next-mx") < outputs[0].find("=== broken"));
    CHECK(outputs[0].find("=== broken") < outputs[0].find("=== failing"));
    for (std::size_t i = 1; i < outputs.size(); ++i) {
        CHECK(outputs[i] == outputs[0]);
        CHECK(jsons[i] == jsons[0]);
        CHECK(htmls[i] == htmls[0]);
        CHECK(without_times(junits[i]) == without_times(junits[0]));
    }
}

TEST_CASE("run --shard K/N splits the selected scenarios into N disjoint shards that make the whole suite", "[run][suite]") {
    std::string out;
    REQUIRE(run_relaylab({"--list", library_dir().string()}, out) == 0);
    const auto whole = lines(out);
    REQUIRE(whole.size() == library_files().size());
    for (int n : {1, 2, 3, 7, 50}) {
        std::multiset<std::string> together;
        std::size_t smallest = whole.size(), largest = 0;
        for (int k = 1; k <= n; ++k) {
            INFO("--shard " << k << "/" << n);
            REQUIRE(run_relaylab({"--list", "--shard", std::to_string(k) + "/" + std::to_string(n), library_dir().string()}, out) == 0);
            auto part = lines(out);
            together.insert(part.begin(), part.end());
            smallest = std::min(smallest, part.size());
            largest = std::max(largest, part.size());
        }
        CHECK(together == std::multiset<std::string>(whole.begin(), whole.end()));  // disjoint, and the whole
        CHECK(largest - smallest <= 1);
    }
    SECTION("the shard is the same from run to run, and runs what it lists") {
        std::string a, b, run;
        REQUIRE(run_relaylab({"--list", "--shard", "2/3", library_dir().string()}, a) == 0);
        REQUIRE(run_relaylab({"--list", "--shard", "2/3", library_dir().string()}, b) == 0);
        CHECK(a == b);
        REQUIRE(run_relaylab({"--quiet", "--shard", "2/3", library_dir().string()}, run) == 0);
        std::set<std::string> ran;
        for (const auto& l : lines(run))
            if (l.rfind("PASS ", 0) == 0) ran.insert(l.substr(5, l.find(':') - 5));
        std::set<std::string> listed;
        for (const auto& l : lines(a)) listed.insert(l.substr(0, l.find('\t')));
        CHECK(ran == listed);
    }
    SECTION("a shard after --filter partitions the filtered list") {
        std::string all, one, two;
        REQUIRE(run_relaylab({"--list", "--filter", "^2009-", library_dir().string()}, all) == 0);
        REQUIRE(run_relaylab({"--list", "--filter", "^2009-", "--shard", "1/2", library_dir().string()}, one) == 0);
        REQUIRE(run_relaylab({"--list", "--filter", "^2009-", "--shard", "2/2", library_dir().string()}, two) == 0);
        CHECK(lines(one).size() + lines(two).size() == lines(all).size());
    }
    SECTION("a shard that does not exist is a precise usage error") {
        CHECK(run_relaylab({"--shard", "3/2", library_dir().string()}, out, true) == 2);
        CHECK(out.rfind("relaylab run: --shard 3/2: K (this shard) must be from 1 to N=2\n", 0) == 0);
        CHECK(run_relaylab({"--shard", "0/2", library_dir().string()}, out, true) == 2);
        CHECK(out.find("K (this shard) must be from 1 to N=2") != std::string::npos);
        CHECK(run_relaylab({"--shard", "1/0", library_dir().string()}, out, true) == 2);
        CHECK(out.find("N (the number of shards) must be from 1 to") != std::string::npos);
        CHECK(run_relaylab({"--shard", "two", library_dir().string()}, out, true) == 2);
        CHECK(out.find("expected K/N with whole numbers") != std::string::npos);
    }
}

TEST_CASE("the seed: a scenario's own wins, --seed seeds the others, 1 otherwise", "[run][suite]") {
    TempDir dir("relaylab-suite-seed");
    std::string shuffle = read_file(library_dir() / "mx-shuffle-seed.json");
    const std::string pin = "  \"seed\": 1,\n";
    REQUIRE(shuffle.find(pin) != std::string::npos);
    auto unpinned = dir.path() / "unpinned.json", pinned2 = dir.path() / "pinned2.json";
    std::string u = shuffle, p2 = shuffle;
    u.erase(u.find(pin), pin.size());
    p2.replace(p2.find(pin), pin.size(), "  \"seed\": 2,\n");
    write(unpinned, u);
    write(pinned2, p2);
    std::string out;
    SECTION("the library passes with any --seed (mx-shuffle-seed pins its own)") {
        for (std::string seed : {"2", "7", "123456789"}) {
            INFO("--seed " << seed);
            CHECK(run_relaylab({"--quiet", "--seed", seed, library_dir().string()}, out) == 0);
        }
    }
    SECTION("without a seed in the file, --seed decides; without either, 1") {
        CHECK(run_relaylab({unpinned.string()}, out) == 0);
        CHECK(out.find("    seed 1, start") != std::string::npos);
        CHECK(run_relaylab({"--seed", "2", unpinned.string()}, out) == 1);
        CHECK(out.find("    seed 2, start") != std::string::npos);
        CHECK(out.find("remote: expected \"mxb.isp.example\", got \"mxa.isp.example\"") != std::string::npos);
    }
    SECTION("a pinned seed wins over --seed, and the report says whose it is") {
        CHECK(run_relaylab({"--seed", "1", pinned2.string()}, out) == 1);
        CHECK(out.find("    seed 2 (the scenario's), start") != std::string::npos);
    }
}

TEST_CASE("run --quiet prints each FAIL with its reasons", "[run][suite]") {
    TempDir dir("relaylab-suite-quiet");
    write(dir.path() / "wrong.json", failing);
    std::string out;
    CHECK(run_relaylab({"--quiet", (dir.path() / "wrong.json").string()}, out) == 1);
    CHECK(out == "FAIL wrong: 1: recipient b@nowhere.example\n"
                 "       status: expected \"delivered\", got \"bounced\"\n"
                 "PASS wrong: 2: nothing lost\n"
                 "1 passed, 1 failed\n");
}

TEST_CASE("JUnit: times, the timeline as system-out, an unloadable file as an error, duplicate names", "[run][suite]") {
    TempDir dir("relaylab-suite-junit");
    write(dir.path() / "ok.json", passing);
    write(dir.path() / "wrong.json", failing);
    write(dir.path() / "bad.json", "{\"world\": {},\n \"submisions\": []}");
    auto xml_path = dir.path() / "r.xml";
    std::string out;
    CHECK(run_relaylab({"--junit", xml_path.string(), (dir.path() / "ok.json").string(), (dir.path() / "wrong.json").string(),
                        (dir.path() / "bad.json").string()},
                       out) == 2);
    std::string xml = read_file(xml_path);
    CHECK(std::regex_search(xml, std::regex(R"(<testsuites name="relaylab run" tests="4" failures="1" errors="1" time="[0-9]+\.[0-9]{3}">)")));
    CHECK(std::regex_search(xml, std::regex(R"(<testsuite name="ok" file="[^"]*ok.json" tests="1" failures="0" errors="0" time="[0-9]+\.[0-9]{3}">)")));
    CHECK(std::regex_search(xml, std::regex(R"(<testsuite name="bad" file="[^"]*bad.json" tests="1" failures="0" errors="1" time=)")));
    CHECK(std::regex_search(xml, std::regex(R"(<testcase classname="ok" name="1: recipient b@nowhere.example" time="0.000"/>)")));
    CHECK(std::regex_search(xml, std::regex(R"(<testcase classname="bad" name="load and run" time="[0-9.]+">\n      <error message="[^"]*bad.json:2:2: )")));
    CHECK(xml.find("<failure message=\"status: expected &quot;delivered&quot;, got &quot;bounced&quot;\">") != std::string::npos);
    // The timeline, readable: line breaks kept, markup escaped.
    CHECK(xml.find("<system-out>=== ok (") != std::string::npos);
    CHECK(xml.find("\nPASS 1: recipient b@nowhere.example\n</system-out>") != std::string::npos);
    CHECK(xml.find("relay: message 1 queued from &lt;a@docomo.ne.jp&gt;") != std::string::npos);

    SECTION("two scenarios with one name: the second is an error, not a run") {
        write(dir.path() / "other" / "ok.json", passing);
        CHECK(run_relaylab({"--junit", xml_path.string(), (dir.path() / "ok.json").string(),
                            (dir.path() / "other" / "ok.json").string()},
                           out, true) == 2);
        CHECK(out.find("scenario name \"ok\" is also the name of " + (dir.path() / "ok.json").string() + ": rename one") !=
              std::string::npos);
        xml = read_file(xml_path);
        CHECK(xml.find("errors=\"1\"") != std::string::npos);
        CHECK(xml.find("<error message=\"scenario name &quot;ok&quot; is also the name of") != std::string::npos);
        // Checked over the whole suite, before sharding: the shard holding the second says so.
        std::vector<std::string> both{(dir.path() / "ok.json").string(), (dir.path() / "other" / "ok.json").string()};
        std::vector<std::string> first{"--shard", "1/2"}, second{"--shard", "2/2"};
        first.insert(first.end(), both.begin(), both.end());
        second.insert(second.end(), both.begin(), both.end());
        CHECK(run_relaylab(first, out, true) == 0);
        CHECK(run_relaylab(second, out, true) == 2);
        CHECK(out.find("is also the name of") != std::string::npos);
    }
}

TEST_CASE("a scenario file with several mistakes: all of them, each at file:line:col, exit 2", "[run][suite]") {
    TempDir dir("relaylab-suite-mistakes");
    auto f = dir.path() / "m.json";
    write(f, R"({"world": {},
  "submissions": [{"from": "a@b", "to": "c@d", "at": "soon"}],
  "expect": [{"recipient": "c@d", "stage": "rcp"},
             {"notice": "a@b", "claims": "host_unknwon"}]})");
    std::string out;
    CHECK(run_relaylab({"--quiet", f.string()}, out, true) == 2);
    CHECK(out.find("relaylab run: " + f.string() + ":2:48: at /submissions/0/at: at: expected a duration") != std::string::npos);
    CHECK(out.find("relaylab run: " + f.string() + ":3:35: at /expect/0/stage: stage: \"rcp\" is not a stage") != std::string::npos);
    CHECK(out.find("relaylab run: " + f.string() + ":4:32: at /expect/1/claims: claims: \"host_unknwon\" is not a claim") !=
          std::string::npos);
    CHECK(out.find("0 passed, 1 failed") != std::string::npos);
}

TEST_CASE("run --help describes every option", "[run][suite]") {
    std::string out;
    REQUIRE(run_relaylab({"--help"}, out) == 0);
    for (const char* option : {"--seed", "--filter", "--shard", "--jobs", "--list", "--json", "--junit", "--html", "--quiet"}) {
        INFO(option);
        CHECK(out.find(option) != std::string::npos);
    }
    CHECK(out.find("FOLDER") != std::string::npos);
    CHECK(run_relaylab({"--jobs", "0", library_dir().string()}, out, true) == 2);
    CHECK(out.find("--jobs 0: expected 1 to") != std::string::npos);
}

TEST_CASE("the schema types every gateway key that config --defaults prints, delay_warning included", "[run][schema]") {
    std::string out;
    REQUIRE(run_command({relaylab_binary(), "config", "--defaults"}, out) == 0);
    auto defaults = nlohmann::json::parse(out);
    CHECK(defaults["retry"]["delay_warning"] == "0s");  // off, as Postfix's delay_warning_time = 0
    auto schema = nlohmann::json::parse(read_file(std::filesystem::path(RELAYLAB_SOURCE_DIR) / "scenarios/scenario.schema.json"));
    const auto& gateway = schema["properties"]["gateway"];
    CHECK(gateway["additionalProperties"] == false);
    for (const auto& [key, value] : defaults.items()) {
        INFO(key);
        REQUIRE(gateway["properties"].contains(key));
        const auto& typed = gateway["properties"][key];
        CHECK((typed.contains("type") || typed.contains("enum") || typed.contains("$ref")));
        CHECK(typed.contains("description"));
        if (value.is_object())
            for (const auto& [sub, v] : value.items()) {
                INFO(key << "." << sub);
                CHECK(typed["properties"].contains(sub));
                CHECK(typed["properties"][sub].contains("description"));
            }
    }
    SECTION("a scenario may set delay_warning; \"0s\" is off") {
        TempDir dir("relaylab-suite-delay");
        auto f = dir.path() / "d.json";
        write(f, R"({"world": {"dns": {"names": {"isp.example": {"mx": [{"preference": 10, "host": "mx.isp.example"}]}}},
    "remotes": {"mx.isp.example": {"script": {"rcpt": {"reply": "451 4.3.0 try later"}}}}},
  "gateway": {"retry": {"lifetime": "3h", "delay_warning": "0s"}},
  "submissions": [{"from": "a@docomo.ne.jp", "to": "b@isp.example"}],
  "expect": [{"notice": "a@docomo.ne.jp", "kind": "failure"}, {"handset": "a@docomo.ne.jp", "notices": 1}]})");
        CHECK(run_relaylab({"--quiet", f.string()}, out) == 0);
    }
}

namespace {

// Runs relaylab with stderr on a pseudo-terminal (stdout to /dev/null); returns what the terminal got.
std::string run_on_terminal(const std::vector<std::string>& args) {
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        std::vector<std::string> argv_s{relaylab_binary(), "run"};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    std::string got;
    char buf[4096];
    for (;;) {
        auto n = ::read(master, buf, sizeof buf);
        if (n <= 0) break;  // EIO once the child has gone
        got.append(buf, static_cast<std::size_t>(n));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(master);
    return got;
}

}  // namespace

TEST_CASE("a long run shows a progress line on stderr when stderr is a terminal, and erases it", "[run][suite]") {
    // An external MTA keeps real time: refused connections for a 3 s lifetime make a run of ~3 s.
    TempDir dir("relaylab-suite-progress");
    auto port = free_port("127.0.0.1");
    auto f = dir.path() / "slow.json";
    write(f, R"({"world": {"dns": {"names": {"isp.example": {"mx": [{"preference": 10, "host": "mx.isp.example"}]}}},
    "remotes": {"mx.isp.example": {"external": "127.0.0.1:)" + std::to_string(port) + R"("}}},
  "gateway": {"retry": {"min_backoff": "1s", "max_backoff": "1s", "lifetime": "3s"}},
  "submissions": [{"from": "a@docomo.ne.jp", "to": "b@isp.example"}],
  "expect": [{"recipient": "b@isp.example", "status": "expired"}]})");
    std::string out = run_on_terminal({"--quiet", f.string()});
    CHECK(std::regex_search(out, std::regex("\r\033\\[Krelaylab run: 0/1 scenarios, 0 with failures, [0-9]+s")));
    CHECK(out.size() >= 4);
    CHECK(out.substr(out.size() - 4) == "\r\033[K");  // erased at the end
    SECTION("never when stderr is a file or a pipe") {
        CHECK(run_relaylab({"--quiet", f.string()}, out, true) == 0);
        CHECK(out.find("scenarios,") == std::string::npos);
        CHECK(out.find('\r') == std::string::npos);
    }
}
