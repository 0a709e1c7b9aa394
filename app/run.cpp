// `relaylab run`: scenario mode. Each scenario runs in its own world on virtual time; the text
// timeline goes to stdout, then "N passed, N failed" over every expectation. Exit 0 iff all held.
#include "app/command.hpp"
#include "scenarios/expectations.hpp"
#include "scenarios/html_report.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    return static_cast<bool>(out.flush());
}

int run_main(int argc, char** argv) {
    po::options_description opts(
        "usage: relaylab run [--seed N] [--json FILE] [--junit FILE] [--html FILE] [--quiet] SCENARIO...\n\n"
        "Runs scenario files (docs/scenarios.md): a scripted world on loopback, the live gateway code,\n"
        "virtual time. Prints each scenario's timeline and PASS/FAIL per expectation, then a last line\n"
        "\"N passed, N failed\" counting expectations (a scenario that cannot load or run counts as one\n"
        "failure). The same scenario and seed give the same report byte for byte.\n"
        "Exit status: 0 every expectation held, 1 some failed, 2 bad command line or scenario file.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "seed", po::value<std::uint64_t>()->default_value(1), "fixes every random choice (the MX shuffle)")(
        "json", po::value<std::string>(), "write the full report as JSON to FILE")(
        "junit", po::value<std::string>(), "write JUnit XML to FILE (a testsuite per scenario, a testcase per expectation)")(
        "html", po::value<std::string>(),
        "write a self-contained HTML training report to FILE: sequence diagram with step-through, the notices "
        "as phone screens side by side, the truthful delivery-status, the expectations")(
        "quiet,q", po::bool_switch(), "print only PASS/FAIL lines and the summary, not the timelines");
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
        std::cerr << "relaylab run: " << e.what() << "\n\n" << opts << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << opts << "\n";
        return exit_ok;
    }
    if (!vm.count("scenario")) {
        std::cerr << "relaylab run: name at least one scenario file\n\n" << opts << "\n";
        return exit_usage;
    }
    scn::RunOptions options;
    options.seed = vm["seed"].as<std::uint64_t>();
    const bool quiet = vm["quiet"].as<bool>();

    std::vector<scn::ScenarioReport> reports;
    bool bad_input = false;
    for (const auto& file : vm["scenario"].as<std::vector<std::string>>()) {
        scn::ScenarioReport r;
        r.file = file;
        r.name = std::filesystem::path(file).stem().string();
        try {
            scn::Scenario s = scn::load_scenario(file);
            r.name = s.name;
            r.description = s.description;
            r.run = scn::run_scenario(s, options);
            r.results = scn::check_expectations(s, r.run);
        } catch (const JsonSourceError& e) {
            r.error = e.what();
            bad_input = true;
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        if (r.error) std::cerr << "relaylab run: " << *r.error << "\n";
        std::string text = scn::text_report(r);
        if (quiet) {
            text.clear();
            for (const auto& x : r.results) text += (x.passed ? "PASS " : "FAIL ") + r.name + ": " + x.name + "\n";
            if (r.error) text += "ERROR " + r.name + ": " + *r.error + "\n";
        }
        std::cout << text << (quiet ? "" : "\n") << std::flush;
        reports.push_back(std::move(r));
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
    if (vm.count("html") && !write_file(vm["html"].as<std::string>(), scn::html_report(reports))) {
        std::cerr << "relaylab run: cannot write " << vm["html"].as<std::string>() << "\n";
        return exit_usage;
    }
    if (bad_input) return exit_usage;
    for (const auto& r : reports)
        if (r.failed() > 0) return exit_failed;
    return exit_ok;
}

const Registration registration{{"run", "run scenario files in virtual time and check their expectations", run_main, 20}};

}  // namespace
}  // namespace relaylab::app
