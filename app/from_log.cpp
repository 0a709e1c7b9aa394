// `relaylab scenario from-log FILE`: a scenario file that reproduces a bounce or a log line.
#include "app/command.hpp"
#include "diagnosis/scenario_from_log.hpp"

#include <fstream>
#include <iostream>

namespace relaylab::app {
namespace {

constexpr const char* usage =
    "usage: relaylab scenario from-log FILE|- [-o OUT]\n"
    "Turns a Postfix/Exim log line, a bounce or a relaylab JSON log line into a scenario file for\n"
    "`relaylab run` (DNS zone, a remote answering that reply at that stage, the submission, expectations).\n"
    "Exit status: 0 written, 1 the input says too little to reproduce, 2 usage or unreadable file.";

int from_log(int argc, char** argv) {
    std::string file, out_file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << usage << "\n";
            return exit_ok;
        }
        if ((a == "-o" || a == "--output") && i + 1 < argc) out_file = argv[++i];
        else if (file.empty() && (a == "-" || a.empty() || a[0] != '-')) file = a;
        else {
            std::cerr << "relaylab scenario from-log: unexpected argument '" << a << "'\n" << usage << "\n";
            return exit_usage;
        }
    }
    if (file.empty()) {
        std::cerr << usage << "\n";
        return exit_usage;
    }
    std::string input(diag::max_input_octets, '\0');
    if (file == "-") {
        std::cin.read(input.data(), static_cast<std::streamsize>(input.size()));
        input.resize(static_cast<std::size_t>(std::cin.gcount()));
    } else {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::cerr << "relaylab scenario from-log: cannot read " << file << "\n";
            return exit_usage;
        }
        in.read(input.data(), static_cast<std::streamsize>(input.size()));
        input.resize(static_cast<std::size_t>(in.gcount()));
    }
    const auto finding = diag::read_any(input);
    const auto scenario = diag::scenario_from_finding(finding);
    if (!scenario) {
        std::cerr << "relaylab scenario from-log: cannot tell from this input which stage failed and how; found:\n";
        for (const auto& f : finding.found) std::cerr << "  " << f << "\n";
        return exit_failed;
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
