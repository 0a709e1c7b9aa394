// `relaylab run`: scenario mode. Each scenario runs in its own world on virtual time; the text
// timeline goes to stdout, then "N passed, N failed" over every expectation. Exit 0 iff all held.
// Scenarios run on --jobs threads (each has its own io_context, clock, world and temp folder); the
// reports come out in input order, so they do not depend on --jobs.
#include "app/command.hpp"
#include "scenarios/expectations.hpp"
#include "scenarios/html_report.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/suite.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;
using Seconds = std::chrono::duration<double>;

// More threads than this is a mistake (each scenario is one busy thread; the cores are few).
constexpr unsigned max_jobs = 256;
// The progress line (stderr on a terminal) appears once a run has taken this long, and is redrawn
// this often.
constexpr auto progress_after = std::chrono::seconds(1);
constexpr auto progress_every = std::chrono::milliseconds(200);

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    return static_cast<bool>(out.flush());
}

// Runs work(i) for every i below n on `jobs` threads and calls ready(i) on the calling thread in
// order of i, each as soon as work(i) is done; wait(done) while it waits for the next one.
void in_parallel(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& work,
                 const std::function<void(std::size_t)>& ready, const std::function<void(std::size_t)>& wait) {
    std::mutex m;
    std::condition_variable cv;
    std::vector<char> done(n, 0);
    std::size_t finished = 0;
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < std::min<std::size_t>(jobs, n); ++t)
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < n; i = next++) {
                work(i);
                {
                    std::lock_guard lock(m);
                    done[i] = 1;
                    ++finished;
                }
                cv.notify_all();
            }
        });
    for (std::size_t i = 0; i < n; ++i) {
        std::unique_lock lock(m);
        while (!done[i]) {
            if (cv.wait_for(lock, progress_every) == std::cv_status::timeout) {
                std::size_t f = finished;
                lock.unlock();
                wait(f);
                lock.lock();
            }
        }
        lock.unlock();
        ready(i);
    }
    for (auto& t : threads) t.join();
}

// One scenario file on its way through the run.
struct Entry {
    std::optional<scn::Scenario> scenario;
    scn::ScenarioReport report;
    bool bad_input = false;  // could not be loaded: exit 2
};

void load(Entry& e) {
    auto t0 = std::chrono::steady_clock::now();
    try {
        e.scenario = scn::load_scenario(e.report.file);
        e.report.name = e.scenario->name;
        e.report.description = e.scenario->description;
        e.report.presenter = e.scenario->presenter;
    } catch (const std::exception& x) {
        e.report.error = x.what();
        e.bad_input = true;
    }
    e.report.seconds = Seconds(std::chrono::steady_clock::now() - t0).count();
}

void run(Entry& e, const scn::RunOptions& options) {
    if (!e.scenario) return;
    auto t0 = std::chrono::steady_clock::now();
    try {
        e.report.run = scn::run_scenario(*e.scenario, options);
        e.report.results = scn::check_expectations(*e.scenario, e.report.run);
    } catch (const std::exception& x) {
        e.report.error = x.what();
    }
    e.report.seconds += Seconds(std::chrono::steady_clock::now() - t0).count();
    e.scenario.reset();  // a suite of thousands keeps only the reports
}

// "relaylab run: " before every line of a message that may have several (a loader's mistakes).
std::string error_lines(const std::string& text) {
    std::string out;
    std::size_t at = 0;
    while (at <= text.size()) {
        auto nl = text.find('\n', at);
        out += "relaylab run: " + text.substr(at, nl == std::string::npos ? std::string::npos : nl - at) + "\n";
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return out;
}

// The progress line: on stderr, only when stderr is a terminal, redrawn in place.
class Progress {
public:
    explicit Progress(std::size_t total) : total_(total), on_(::isatty(STDERR_FILENO) == 1), t0_(std::chrono::steady_clock::now()) {}
    void show(std::size_t done, std::size_t failed) {
        auto now = std::chrono::steady_clock::now();
        auto elapsed = now - t0_;
        if (!on_ || elapsed < progress_after || (shown_ && now - drawn_ < progress_every)) return;
        drawn_ = now;
        std::cerr << "\r\033[Krelaylab run: " << done << "/" << total_ << " scenarios, " << failed << " with failures, "
                  << static_cast<long long>(Seconds(elapsed).count()) << "s" << std::flush;
        shown_ = true;
    }
    // Before anything else is written to the terminal.
    void clear() {
        if (shown_) std::cerr << "\r\033[K" << std::flush;
        shown_ = false;
    }


private:
    std::size_t total_;
    bool on_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point t0_, drawn_;
};

int usage_error(const std::string& message, const po::options_description& opts) {
    std::cerr << "relaylab run: " << message << "\n\n" << opts << "\n";
    return exit_usage;
}

int run_main(int argc, char** argv) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    po::options_description opts(
        "usage: relaylab run [OPTIONS] SCENARIO|FOLDER...\n\n"
        "Runs scenario files (docs/scenarios.md): a scripted world on loopback, the live gateway code,\n"
        "virtual time. A FOLDER stands for every *.json file below it, sorted by path. Prints each\n"
        "scenario's timeline and PASS/FAIL per expectation, in input order, then a last line\n"
        "\"N passed, N failed\" counting expectations (a scenario that cannot load or run counts as one\n"
        "failure). The same scenarios and seed give the same reports byte for byte, whatever --jobs\n"
        "(only the JUnit time attributes, wall-clock seconds, vary). On a terminal a long run shows a\n"
        "progress line on stderr.\n"
        "Seed: a scenario's own \"seed\" wins; --seed N seeds the scenarios that pin none; without\n"
        "either the seed is 1.\n"
        "Exit status: 0 every expectation held, 1 some failed, 2 bad command line or scenario file\n"
        "(including two scenarios with the same name).\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "seed", po::value<std::uint64_t>()->value_name("N"), "seed for the random choices (the MX shuffle) of the scenarios that pin none")(
        "filter", po::value<std::string>()->value_name("REGEX"), "run only the scenarios whose name matches REGEX (ECMAScript, anywhere in the name)")(
        "shard", po::value<std::string>()->value_name("K/N"),
        "run only shard K of N: the selected scenarios (after --filter, in input order) whose position "
        "mod N is K-1. The N shards are disjoint and together the whole suite (a CI matrix)")(
        "jobs,j", po::value<unsigned>()->default_value(cores)->value_name("N"), "run N scenarios at a time (default: the number of cores)")(
        "list", po::bool_switch(), "print the selected scenarios' names and files (tab-separated) and run nothing")(
        "json", po::value<std::string>()->value_name("FILE"), "write the full report as JSON to FILE")(
        "junit", po::value<std::string>()->value_name("FILE"),
        "write JUnit XML to FILE (a testsuite per scenario with its timeline as system-out and its time, a testcase "
        "per expectation; a file that cannot be loaded or run is an error)")(
        "html", po::value<std::string>()->value_name("FILE"),
        "write a self-contained HTML training report to FILE: sequence diagram with step-through, the notices "
        "as phone screens side by side, the truthful delivery-status, the expectations")(
        "presenter", po::bool_switch(),
        "with --html: the presenter form for a projector (docs/training.md): one language, the incident's title "
        "and story, a caption per step in plain words, DNS and EHLO lines folded, opening on the decisive step, "
        "the scenarios side by side")(
        "lang", po::value<std::string>()->value_name("ja|en"), "with --html: the page's language (implies --presenter)")(
        "large", po::bool_switch(), "with --html: larger type still (implies --presenter)")(
        "tz", po::value<std::string>()->value_name("+HH:MM"),
        "with --html: show times at this offset from UTC, e.g. +09:00 for Japan (implies --presenter; default Z)")(
        "quiet,q", po::bool_switch(), "print only PASS/FAIL lines (each FAIL with its reasons), errors and the summary, not the timelines");
    po::options_description hidden;
    hidden.add_options()("scenario", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("scenario", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return usage_error(e.what(), opts);
    }
    if (vm.count("help")) {
        std::cout << opts << "\n";
        return exit_ok;
    }
    if (!vm.count("scenario")) return usage_error("name at least one scenario file or folder", opts);
    scn::RunOptions options;
    if (vm.count("seed")) options.seed = vm["seed"].as<std::uint64_t>();
    const bool quiet = vm["quiet"].as<bool>();
    const unsigned jobs = vm["jobs"].as<unsigned>();
    if (jobs < 1 || jobs > max_jobs)
        return usage_error("--jobs " + std::to_string(jobs) + ": expected 1 to " + std::to_string(max_jobs), opts);
    std::optional<std::regex> filter;
    if (vm.count("filter")) {
        try {
            filter.emplace(vm["filter"].as<std::string>(), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return usage_error("--filter " + vm["filter"].as<std::string>() + ": not a regular expression: " + e.what(), opts);
        }
    }
    // The presenter form: any of its options asks for it.
    const bool presenter = vm["presenter"].as<bool>() || vm.count("lang") || vm["large"].as<bool>() || vm.count("tz");
    scn::PresenterOptions page;
    page.large = vm["large"].as<bool>();
    if (vm.count("lang")) {
        auto l = scn::lang_from_string(vm["lang"].as<std::string>());
        if (!l) return usage_error("--lang " + vm["lang"].as<std::string>() + ": expected ja or en", opts);
        page.lang = *l;
    }
    if (vm.count("tz")) {
        auto z = scn::parse_zone_offset(vm["tz"].as<std::string>());
        if (!z) return usage_error("--tz " + vm["tz"].as<std::string>() + ": expected an offset such as +09:00, -05:30 or Z", opts);
        page.zone_minutes = *z;
    }
    if (presenter && !vm.count("html")) return usage_error("--presenter, --lang, --large and --tz shape the --html page: add --html FILE", opts);
    std::optional<scn::Shard> shard;
    if (vm.count("shard")) {
        std::string why;
        shard = scn::parse_shard(vm["shard"].as<std::string>(), why);
        if (!shard) return usage_error("--shard " + vm["shard"].as<std::string>() + ": " + why, opts);
    }

    std::vector<std::string> files;
    try {
        files = scn::expand_scenario_paths(vm["scenario"].as<std::vector<std::string>>());
    } catch (const std::exception& e) {
        std::cerr << "relaylab run: " << e.what() << "\n";
        return exit_usage;
    }

    // Load everything (names are needed to filter), then select.
    std::vector<Entry> loaded(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        loaded[i].report.file = files[i];
        loaded[i].report.name = std::filesystem::path(files[i]).stem().string();
    }
    in_parallel(loaded.size(), jobs, [&](std::size_t i) { load(loaded[i]); }, [](std::size_t) {}, [](std::size_t) {});
    std::vector<Entry> entries;
    for (auto& e : loaded)
        if (!filter || std::regex_search(e.report.name, *filter)) entries.push_back(std::move(e));
    if (filter && entries.empty()) {
        std::cerr << "relaylab run: --filter " << vm["filter"].as<std::string>() << ": no scenario name matches\n";
        return exit_usage;
    }
    // JUnit and CI dashboards merge suites of the same name: a second one is an error, not a run.
    // Checked before sharding, so that every shard agrees with the whole suite.
    std::map<std::string, std::string> first_file;
    for (auto& e : entries) {
        auto [it, fresh] = first_file.emplace(e.report.name, e.report.file);
        if (fresh || e.report.error) continue;
        e.report.error = "scenario name \"" + e.report.name + "\" is also the name of " + it->second + ": rename one";
        e.scenario.reset();
        e.bad_input = true;
    }

    if (shard) {
        std::vector<Entry> mine;
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (scn::in_shard(i, *shard)) mine.push_back(std::move(entries[i]));
        entries = std::move(mine);
    }
    if (vm["list"].as<bool>()) {
        bool bad = false;
        for (const auto& e : entries) {
            std::cout << e.report.name << "\t" << e.report.file << "\n";
            if (e.report.error) std::cerr << error_lines(*e.report.error);
            bad = bad || e.bad_input;
        }
        return bad ? exit_usage : exit_ok;
    }

    Progress progress(entries.size());
    const bool stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1;
    std::size_t done = 0, with_failures = 0;
    in_parallel(
        entries.size(), jobs, [&](std::size_t i) { run(entries[i], options); },
        [&](std::size_t i) {
            const scn::ScenarioReport& r = entries[i].report;
            if (r.error || stdout_is_terminal) progress.clear();  // the line is in the way of this output
            if (r.error) std::cerr << error_lines(*r.error);
            std::cout << (quiet ? scn::quiet_report(r) : scn::text_report(r) + "\n") << std::flush;
            ++done;
            if (r.failed() > 0) ++with_failures;
            progress.show(done, with_failures);
        },
        [&](std::size_t) { progress.show(done, with_failures); });
    progress.clear();

    std::vector<scn::ScenarioReport> reports;
    reports.reserve(entries.size());
    bool bad_input = false;
    for (auto& e : entries) {
        bad_input = bad_input || e.bad_input;
        reports.push_back(std::move(e.report));
    }
    std::cout << scn::summary_line(reports) << "\n";

    if (vm.count("json") && !write_file(vm["json"].as<std::string>(), json_text(scn::json_report(reports), 2) + "\n")) {
        std::cerr << "relaylab run: cannot write " << vm["json"].as<std::string>() << "\n";
        return exit_usage;
    }
    if (vm.count("junit") && !write_file(vm["junit"].as<std::string>(), scn::junit_report(reports))) {
        std::cerr << "relaylab run: cannot write " << vm["junit"].as<std::string>() << "\n";
        return exit_usage;
    }
    if (vm.count("html") &&
        !write_file(vm["html"].as<std::string>(), presenter ? scn::presenter_report(reports, page) : scn::html_report(reports))) {
        std::cerr << "relaylab run: cannot write " << vm["html"].as<std::string>() << "\n";
        return exit_usage;
    }
    if (bad_input) return exit_usage;
    for (const auto& r : reports)
        if (r.failed() > 0) return exit_failed;
    return exit_ok;
}

const Registration registration{
    {"run", "run scenario files or folders in virtual time, in parallel, and check their expectations", run_main, 20}};

}  // namespace
}  // namespace relaylab::app
