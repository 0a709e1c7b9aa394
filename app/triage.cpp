// `relaylab triage PATH…`: the summary a support lead reads over a mailbox of bounces — counts by
// reason, stage, recipient domain and remote host, what cannot be told, and the bounces whose own
// words mislabel the cause (judged as `relaylab audit` judges a policy's words).
#include "app/command.hpp"
#include "diagnosis/batch.hpp"
#include "diagnosis/triage.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

// The progress line is redrawn at most once per this many inputs (a terminal is slow to write to).
constexpr std::size_t progress_every = 100;

constexpr const char* usage =
    "usage: relaylab triage [--json] [--lang en|ja] [--fail-on-mislabel] PATH…\n"
    "Reads every bounce under each PATH — a file, a folder (recursively; a Maildir's cur/ and new/), an\n"
    "mbox (one input per message), or - for stdin — and prints a summary: recipients and inputs, how many\n"
    "can be told, counts by reason (Sisimai's names), report kind, stage, who must act, recipient domain\n"
    "and remote host, then the bounces whose own words mislabel the cause (\"Host Unknown\" over a sender\n"
    "refused at MAIL FROM), what cannot be told and what could not be read. --json prints the same as one\n"
    "object with every row and up to 1000 examples per list. On a terminal, a progress line goes to stderr.\n"
    "Exit status: 0 read, 1 with --fail-on-mislabel and some bounce mislabels its cause, 2 usage or no\n"
    "input could be read.";

int triage_main(int argc, char** argv) {
    po::options_description opts("options");
    std::vector<std::string> paths;
    std::string lang_name = "en";
    opts.add_options()
        ("help,h", "this help")
        ("json", "print one JSON object")
        ("lang", po::value(&lang_name)->default_value(lang_name), "language: en | ja")
        ("fail-on-mislabel", "exit 1 when some bounce's own words mislabel the cause");
    po::options_description hidden;
    hidden.add_options()("path", po::value(&paths));
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("path", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos)
                      .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                      .run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab triage: " << e.what() << "\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n\n" << opts << "\n";
        return exit_ok;
    }
    const auto lang = gw::language_from_string(lang_name);
    if (!lang) {
        std::cerr << "relaylab triage: --lang must be en or ja\n" << usage << "\n";
        return exit_usage;
    }
    if (paths.empty()) {
        std::cerr << "relaylab triage: no PATH given\n" << usage << "\n";
        return exit_usage;
    }
    const bool progress = ::isatty(STDERR_FILENO) == 1;
    diag::TriageSummary summary;
    std::size_t read = 0, records = 0;
    const auto show_progress = [&](bool last) {
        if (!progress) return;
        std::cerr << "\r" << (*lang == gw::Language::Ja ? "読んだ入力 " : "inputs read ") << read
                  << (*lang == gw::Language::Ja ? "、宛先 " : ", recipients ") << records << (last ? "\n" : "")
                  << std::flush;
    };
    const auto take = [&](diag::BatchInput&& input) {
        if (input.error.empty()) summary.add_input();
        for (const auto& r : diag::triage_input(input)) {
            summary.add(r);
            ++records;
        }
        if (++read % progress_every == 0) show_progress(false);
    };
    for (const auto& path : paths) {
        if (path == "-") diag::read_stream_inputs(STDIN_FILENO, "-", take);
        else
            for (const auto& file : diag::list_inputs({path})) diag::read_inputs(file, take);
    }
    show_progress(true);
    const auto j = summary.to_json();
    if (vm.count("json")) std::cout << json_text(j, 2) << "\n";
    else std::cout << summary.render(*lang);
    if (read > 0 && summary.unreadable() == read) return exit_usage;
    if (vm.count("fail-on-mislabel") && j["mislabelled"].get<std::size_t>() > 0) return exit_failed;
    return exit_ok;
}

const Registration registration{
    {"triage", "summarise a mailbox of bounces: reasons, stages, domains, mislabelled causes", &triage_main, 62}};

}  // namespace
}  // namespace relaylab::app
