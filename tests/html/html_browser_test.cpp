// `relaylab run --html` as a trainer uses it: the 2009 incident under legacy-2009 and accurate, opened
// in headless Chromium (Debian's `chromium`). Checks what the page shows after its script ran, and
// keeps a screenshot as a CI artefact: ${CMAKE_BINARY_DIR}/artifacts/html-report.png.
#include "tests/support/process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace relaylab::test;
using namespace std::chrono_literals;

namespace {

const std::string library = std::string(RELAYLAB_SOURCE_DIR) + "/scenarios/library/";
const std::string legacy = library + "2009-trailing-dot-legacy.json";
const std::string accurate = library + "2009-trailing-dot-accurate.json";

int run_html(const std::filesystem::path& html, const std::vector<std::string>& scenarios,
             const std::vector<std::string>& options = {}) {
    std::vector<std::string> argv{relaylab_binary(), "run", "--quiet", "--html", html.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), scenarios.begin(), scenarios.end());
    std::string out;
    int rc = run_command(argv, out, true, 100s);
    INFO(out);
    return rc;
}

// Headless Chromium with everything that could reach the network switched off. `timeout` kills the
// whole process group (renderers included) if Chromium ever hangs.
int chromium(const TempDir& dir, const std::vector<std::string>& args, std::string& out) {
    require_program("timeout", "coreutils");
    std::vector<std::string> argv{"timeout", "-k", "5", "60", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                  "--disable-sync", "--disable-quic", "--disable-dev-shm-usage", "--log-level=3",
                                  "--user-data-dir=" + (dir.path() / "chromium-profile").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, out, false, 90s);
}

std::string file_url(const std::filesystem::path& p) { return "file://" + std::filesystem::absolute(p).string(); }

std::uint32_t be32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s.at(at + i));
    return v;
}

}  // namespace

TEST_CASE("the report is one self-contained file, the same bytes on every run", "[html]") {
    TempDir dir("relaylab-html-file");
    REQUIRE(run_html(dir.path() / "a.html", {legacy, accurate}) == 0);
    REQUIRE(run_html(dir.path() / "b.html", {legacy, accurate}) == 0);
    const std::string html = read_file(dir.path() / "a.html");
    REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html == read_file(dir.path() / "b.html"));
    for (const char* s : {"http://", "https://", " src=", "<link", "url(", "@import", "@font-face", "<iframe"}) {
        INFO("external reference: " << s);
        CHECK(html.find(s) == std::string::npos);
    }
}

TEST_CASE("Chromium shows both phones, the truthful delivery-status, the lanes and the step controls", "[html]") {
    require_program("chromium", "chromium");
    TempDir dir("relaylab-html-browser");
    const auto html = dir.path() / "report.html";
    REQUIRE(run_html(html, {legacy, accurate}) == 0);

    std::string dom;
    REQUIRE(chromium(dir, {"--dump-dom", file_url(html)}, dom) == 0);
    INFO(dom.substr(0, 2000));
    // Both handsets' screens, side by side: the 2009 lie and the accurate words.
    CHECK(dom.find("<h3 class=\"mail-subject\">送信メールエラー</h3>") != std::string::npos);
    CHECK(dom.find("<h3 class=\"mail-subject\">送信エラー: 送信元アドレスが受信側に拒否されました</h3>") != std::string::npos);
    CHECK(dom.find("Host Unknown") != std::string::npos);
    CHECK(dom.find("class=\"verdict mislabel\"") != std::string::npos);
    CHECK(dom.find("class=\"verdict truthful\"") != std::string::npos);
    // The truth beside them, once: the delivery-status part is the same under both policies.
    CHECK(dom.find("<dt>Status</dt><dd class=\"main\">5.1.7</dd>") != std::string::npos);
    CHECK(dom.find("<dd class=\"main\">smtp; 553 malformed address</dd>") != std::string::npos);
    CHECK(dom.find("<dd class=\"main\">dns; mx1.isp.example</dd>") != std::string::npos);
    CHECK(dom.find("<dt>Action</dt><dd class=\"main\">failed</dd>") != std::string::npos);
    CHECK(dom.find("The same in every notice") != std::string::npos);
    // The lanes of the sequence diagram.
    for (const char* lane : {"<b>handset</b>", "<b>gateway</b>", "<b>DNS</b>", "<b>mx1.isp.example</b>"}) {
        INFO(lane);
        CHECK(dom.find(lane) != std::string::npos);
    }
    CHECK(dom.find("MAIL FROM:&lt;q.@docomo.ne.jp&gt; SIZE=294") != std::string::npos);
    // The step controls, and proof that the script ran: it marks the current step of each scenario.
    for (const char* control : {"data-go=\"first\"", "data-go=\"prev\"", "data-go=\"next\"", "data-go=\"last\"",
                                "type=\"range\""}) {
        INFO(control);
        CHECK(dom.find(control) != std::string::npos);
    }
    CHECK(dom.find("data-at-step=\"") != std::string::npos);
    CHECK(dom.find("row notice tone-neutral current\"") != std::string::npos);
    CHECK(dom.find("<b class=\"vt\">+0s</b>") != std::string::npos);
    CHECK(dom.find("PASS</span> the handset is told 'Host Unknown' (the 2009 lie)") != std::string::npos);

    // The picture a trainer sees, kept for CI.
    std::filesystem::create_directories(RELAYLAB_ARTIFACTS_DIR);
    const auto png = std::filesystem::path(RELAYLAB_ARTIFACTS_DIR) / "html-report.png";
    std::filesystem::remove(png);
    std::string out;
    REQUIRE(chromium(dir, {"--screenshot=" + png.string(), "--window-size=1280,1600", "--hide-scrollbars", file_url(html)},
                     out) == 0);
    const std::string image = read_file(png);
    REQUIRE(image.size() > 24);
    CHECK(image.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(be32(image, 16) == 1280);
    CHECK(be32(image, 20) == 1600);
    CHECK(image.size() > 50000);  // a blank page compresses to a few kilobytes
}

TEST_CASE("a hostile scenario's text stays text in the browser", "[html]") {
    require_program("chromium", "chromium");
    TempDir dir("relaylab-html-hostile");
    auto s = nlohmann::json::parse(read_file(legacy));
    const std::string evil = "</title><img id=\"pwned\" src=x onerror=\"document.body.id='pwned'\"><script>document.title='pwned'</script>";
    s["name"] = "hostile " + evil;
    s["description"] = evil;
    s["submissions"][0]["subject"] = evil;
    s["expect"][0]["name"] = evil;
    const auto file = dir.path() / "hostile.json";
    std::ofstream(file) << s.dump(2);
    const auto html = dir.path() / "hostile.html";
    REQUIRE(run_html(html, {file.string()}) == 0);

    std::string dom;
    REQUIRE(chromium(dir, {"--dump-dom", file_url(html)}, dom) == 0);
    INFO(dom.substr(0, 2000));
    CHECK(dom.find("<img") == std::string::npos);
    CHECK(dom.find("<body id=") == std::string::npos);  // no handler ran
    CHECK(dom.find("<title>pwned") == std::string::npos);
    CHECK(dom.find("&lt;img id=\"pwned\"") != std::string::npos);  // shown as text (quotes need no escape in text)
    CHECK(dom.find("data-at-step=\"") != std::string::npos);        // the page's own script still ran
}

// The presenter form on a 1920×1080 projector: the page opens on the decisive step (the 553), in
// Japanese or English, with the carrier's clock. Screenshots for CI (and for a person to look at:
// Japanese must show as Japanese, which needs fonts-ipafont-gothic):
// ${CMAKE_BINARY_DIR}/artifacts/presenter-ja.png, presenter-en-large.png.
TEST_CASE("the presenter page at 1920x1080 opens on the decisive step", "[html][presenter]") {
    require_program("chromium", "chromium");
    TempDir dir("relaylab-html-presenter");
    std::filesystem::create_directories(RELAYLAB_ARTIFACTS_DIR);
    struct Form {
        std::vector<std::string> options;
        const char* png;
        const char* lang;
        const char* refusal;  // the decisive step's caption
    };
    for (const Form& f : {Form{{"--lang", "ja", "--tz", "+09:00"}, "presenter-ja.png", "ja", "サーバーが送信元アドレスを拒否します（553）"},
                          Form{{"--lang", "en", "--large"}, "presenter-en-large.png", "en",
                               "The server refuses the sender's address for good (553)"}}) {
        INFO(f.png);
        const auto html = dir.path() / (std::string(f.lang) + ".html");
        REQUIRE(run_html(html, {legacy, accurate}, f.options) == 0);
        const std::string page = read_file(html);
        CHECK(page.find(RELAYLAB_SOURCE_DIR) == std::string::npos);  // no machine path
        CHECK(page.find("host_unknown") == std::string::npos);
        CHECK(page.find("sender_rejected") == std::string::npos);

        std::string dom;
        REQUIRE(chromium(dir, {"--dump-dom", "--window-size=1920,1080", file_url(html)}, dom) == 0);
        INFO(dom.substr(0, 1500));
        CHECK(dom.find(std::string("<html lang=\"") + f.lang + "\">") != std::string::npos);
        // The script ran, opened the page on the decisive step of each column and marked it current.
        CHECK(dom.find("data-opened=\"decisive-1\"") != std::string::npos);
        CHECK(dom.find("class=\"row tone-permanent decisive current\" id=\"decisive-1\"") != std::string::npos);
        CHECK(dom.find("class=\"row tone-permanent decisive current\" id=\"decisive-2\"") != std::string::npos);
        CHECK(dom.find(f.refusal) != std::string::npos);
        CHECK(dom.find("data-at-step=\"9\"") != std::string::npos);
        CHECK(dom.find("<details><summary>") != std::string::npos);
        CHECK(dom.find(std::string(f.lang) == "ja" ? "<span class=\"t\">19:00</span>" : "<span class=\"t\">10:00</span>") !=
              std::string::npos);

        const auto png = std::filesystem::path(RELAYLAB_ARTIFACTS_DIR) / f.png;
        std::filesystem::remove(png);
        std::string out;
        REQUIRE(chromium(dir, {"--screenshot=" + png.string(), "--window-size=1920,1080", "--hide-scrollbars", file_url(html)},
                         out) == 0);
        const std::string image = read_file(png);
        REQUIRE(image.size() > 24);
        CHECK(image.substr(0, 8) == "\x89PNG\r\n\x1a\n");
        CHECK(be32(image, 16) == 1920);
        CHECK(be32(image, 20) == 1080);
        // A page scrolled away from its content screenshots blank (about 8 kB); the decisive view is text.
        CHECK(image.size() > 100000);
    }
}
