// One relaylab sub-command: its name, a one-line summary for `relaylab --help`, and its entry point.
// Each command parses its own options and prints its own `--help`. A command registers itself from
// its own file (app/*.cpp are linked straight into the binary, so registrations are never dropped).
#pragma once

#include <string_view>
#include <vector>

namespace relaylab::app {

struct Command {
    std::string_view name;     // "probe", "serve", "run", ...
    std::string_view summary;  // one line
    int (*main)(int argc, char** argv);  // argv[0] is the command name
    int order = 50;            // position in `relaylab --help` (lower first)
};

std::vector<Command>& registered_commands();

struct Registration {
    explicit Registration(Command c) { registered_commands().push_back(c); }
};

// Exit codes shared by all commands.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;   // the command ran and found a failure (expectation, mislabel...)
inline constexpr int exit_usage = 2;    // bad command line or input file

}  // namespace relaylab::app
