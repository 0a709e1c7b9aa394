// relaylab: a carrier's outbound mail gateway, live or in scripted worlds. See README.md.
#include "app/command.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <string_view>

namespace relaylab::app {

std::vector<Command>& registered_commands() {
    static std::vector<Command> commands;
    return commands;
}

namespace {

constexpr std::string_view version = "relaylab 0.1.0";

std::vector<Command> sorted_commands() {
    auto cs = registered_commands();
    std::stable_sort(cs.begin(), cs.end(), [](const Command& a, const Command& b) {
        return a.order != b.order ? a.order < b.order : a.name < b.name;
    });
    return cs;
}

void usage(std::ostream& out) {
    out << "usage: relaylab [--version] [--help] <command> [options]\n\n"
           "A simulator of a mobile carrier's outbound mail gateway.\n\ncommands:\n";
    for (const auto& c : sorted_commands()) {
        out << "  " << c.name;
        for (std::size_t i = c.name.size(); i < 10; ++i) out << ' ';
        out << "  " << c.summary << "\n";
    }
    out << "\n`relaylab <command> --help` describes each command.\n";
}

}  // namespace
}  // namespace relaylab::app

int main(int argc, char** argv) {
    using namespace relaylab::app;
    if (argc < 2) {
        usage(std::cerr);
        return exit_usage;
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h" || first == "help") {
        usage(std::cout);
        return exit_ok;
    }
    if (first == "--version") {
        std::cout << version << "\n";
        return exit_ok;
    }
    for (const auto& c : registered_commands())
        if (c.name == first) return c.main(argc - 1, argv + 1);
    std::cerr << "relaylab: unknown command '" << first << "'\n\n";
    usage(std::cerr);
    return exit_usage;
}
