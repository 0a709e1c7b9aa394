// `relaylab scenario from-log INPUT`: a scenario file that reproduces a bounce or a log line.
#include "app/command.hpp"
#include "app/input_text.hpp"
#include "diagnosis/scenario_from_log.hpp"

#include <fstream>
#include <iostream>

namespace relaylab::app {
namespace {

constexpr const char* usage =
    "usage: relaylab scenario from-log FILE|-|TEXT [-o OUT]\n"
    "Turns a Postfix/Exim log line, a bounce or a relaylab JSON log line — a file, - for stdin, or the\n"
    "text itself when no file has that name — into a scenario file for `relaylab run` (DNS zone, a remote\n"
    "answering that reply at that stage, the submission, expectations of the recipient's end and of the\n"
    "sender's notice). The scenario starts at the evidence's date and has a unique name. Every value the\n"
    "evidence does not give (sender, MX host, retry schedule, a syslog stamp's year…) is listed in the\n"
    "scenario's \"made_up\" array and on stderr, and nothing is concluded from it. A report about several\n"
    "recipients gives the scenario of the first one it can reproduce.\n"
    "Exit status: 0 written, 1 the input says too little to reproduce, 2 usage or unreadable input.";

int from_log(int argc, char** argv) {
    std::string arg, out_file;
    bool have_arg = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << usage << "\n";
            return exit_ok;
        }
        if ((a == "-o" || a == "--output") && i + 1 < argc) out_file = argv[++i];
        else if (!have_arg && (a == "-" || a.empty() || a[0] != '-')) {
            arg = a;
            have_arg = true;
        } else {
            std::cerr << "relaylab scenario from-log: unexpected argument '" << a << "'\n" << usage << "\n";
            return exit_usage;
        }
    }
    if (!have_arg) {
        std::cerr << usage << "\n";
        return exit_usage;
    }
    const auto in = inputs_of_argument(arg, gw::Language::En);
    if (!in.error.empty()) {
        std::cerr << "relaylab scenario from-log: " << in.error << "\n";
        return exit_usage;
    }
    std::optional<nlohmann::json> scenario;
    std::vector<std::string> found;
    for (const auto& input : in.inputs) {
        for (const auto& f : diag::read_all(input.text)) {
            if ((scenario = diag::scenario_from_finding(f, input.text))) break;
            found.insert(found.end(), f.found.begin(), f.found.end());
        }
        if (scenario) break;
    }
    if (!scenario) {
        std::cerr << "relaylab scenario from-log: cannot tell from this input which stage failed and how; found:\n";
        for (const auto& f : found) std::cerr << "  " << f << "\n";
        return exit_failed;
    }
    const auto& made_up = (*scenario)["made_up"];
    if (!made_up.empty()) {
        std::cerr << "relaylab scenario from-log: made up (the evidence does not give them; nothing is concluded from them):\n";
        for (const auto& m : made_up)
            std::cerr << "  " << m["field"].get<std::string>() << " = " << m["value"].get<std::string>() << ": "
                      << m["why"].get<std::string>() << "\n";
    }
    const auto text = scenario->dump(2) + "\n";
    if (out_file.empty()) {
        std::cout << text;
    } else {
        std::ofstream out(out_file, std::ios::binary);
        if (!(out << text)) {
            std::cerr << "relaylab scenario from-log: cannot write " << out_file << "\n";
            return exit_usage;
        }
    }
    return exit_ok;
}

int scenario_main(int argc, char** argv) {
    const std::string sub = argc > 1 ? argv[1] : "";
    if (sub == "from-log") return from_log(argc - 1, argv + 1);
    if (sub == "--help" || sub == "-h") {
        std::cout << "usage: relaylab scenario from-log ...\n\n" << usage << "\n";
        return exit_ok;
    }
    std::cerr << "relaylab scenario: unknown sub-command '" << sub << "'\n" << usage << "\n";
    return exit_usage;
}

const Registration registration{{"scenario", "scenario tools: from-log turns a bounce or log line into a scenario", &scenario_main, 63}};

}  // namespace
}  // namespace relaylab::app
