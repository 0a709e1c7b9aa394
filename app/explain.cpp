// `relaylab explain FILE|-`: one screen about one failed delivery, from a bounce (relaylab, Postfix,
// Exim, Sendmail), a Postfix or Exim log line, or a relaylab JSON log line.
#include "app/command.hpp"
#include "diagnosis/explanation.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <iterator>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

// Reads at most diag::max_input_octets (+1, to tell that there was more).
bool read_bounded(std::istream& in, std::string& out) {
    out.resize(diag::max_input_octets + 1);
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return !in.bad();
}

int explain_main(int argc, char** argv) {
    po::options_description opts("options");
    std::string file, lang_name = "en";
    opts.add_options()
        ("help,h", "this help")
        ("json", "print one JSON object")
        ("lang", po::value(&lang_name)->default_value(lang_name), "language: en | ja");
    po::options_description hidden;
    hidden.add_options()("file", po::value(&file));
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("file", 1);
    const char* usage =
        "usage: relaylab explain [--json] [--lang en|ja] FILE|-\n"
        "Explains one failed delivery from an RFC 3464 bounce (relaylab, Postfix, Exim, Sendmail), a Postfix\n"
        "or Exim log line, or a relaylab JSON log line: what failed, what it means, the likely cause, what\n"
        "to do. Input is read up to 1 MiB.\n"
        "Exit status: 0 explained, 1 cannot tell from this input, 2 usage or unreadable file.";
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab explain: " << e.what() << "\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n" << opts << "\n";
        return exit_ok;
    }
    const auto lang = gw::language_from_string(lang_name);
    if (!lang || file.empty()) {
        std::cerr << "relaylab explain: " << (lang ? "no input given" : "--lang must be en or ja") << "\n" << usage << "\n";
        return exit_usage;
    }
    std::string input;
    if (file == "-") {
        read_bounded(std::cin, input);
    } else {
        std::ifstream in(file, std::ios::binary);
        if (!in || !read_bounded(in, input)) {
            std::cerr << "relaylab explain: cannot read " << file << "\n";
            return exit_usage;
        }
    }
    const bool truncated = input.size() > diag::max_input_octets;
    if (truncated) input.resize(diag::max_input_octets);
    auto e = diag::explain(diag::read_any(input), *lang);
    if (truncated) e.notes.push_back("the input was longer than 1 MiB; only its start was read");
    if (vm.count("json")) std::cout << json_text(diag::to_json(e), 2) << "\n";
    else std::cout << diag::render_text(e, *lang);
    return e.can_tell() ? exit_ok : exit_failed;
}

const Registration registration{{"explain", "explain a bounce, a Postfix/Exim log line or a relaylab JSON line", &explain_main, 61}};

}  // namespace
}  // namespace relaylab::app
