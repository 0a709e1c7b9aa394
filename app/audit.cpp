// `relaylab audit --policy NAME|FILE [--json]`: runs the failure catalogue through the real gateway
// and sets each notice's words against the truth. Exit 1 when any words claim a wrong cause.
#include "app/command.hpp"
#include "diagnosis/audit.hpp"
#include "bounce/shipped_policies.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

int audit_main(int argc, char** argv) {
    po::options_description opts("options");
    std::string policy_name, lang_name = "en", only;
    opts.add_options()
        ("help,h", "this help")
        ("policy", po::value(&policy_name), "a shipped policy (legacy-2009, accurate) or a policy file (required)")
        ("json", "print one JSON object")
        ("lang", po::value(&lang_name)->default_value(lang_name), "which of the policy's texts to show: en | ja")
        ("case", po::value(&only), "run only the catalogue case with this id");
    const char* usage =
        "usage: relaylab audit --policy NAME|FILE [--json] [--lang en|ja] [--case ID]\n"
        "Runs a built-in catalogue of failure classes (DNS, connection, greeting, EHLO/HELO, MAIL, RCPT,\n"
        "DATA, final dot, expiries) through the real gateway in virtual time and compares the policy's\n"
        "words with the truth of each. Retries: 5m..20m backoff, 1h lifetime.\n"
        "Exit status: 0 no mislabel, 1 a mislabel (or a case that did not run as catalogued), 2 usage.";
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab audit: " << e.what() << "\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n" << opts << "\n";
        return exit_ok;
    }
    const auto lang = gw::language_from_string(lang_name);
    if (policy_name.empty() || !lang) {
        std::cerr << "relaylab audit: " << (lang ? "--policy is required" : "--lang must be en or ja") << "\n" << usage << "\n";
        return exit_usage;
    }
    auto loaded = gw::load_named_policy(policy_name);
    if (!loaded) {
        std::cerr << "relaylab audit: " << loaded.error().message() << "\n";
        return exit_usage;
    }
    diag::AuditSettings settings;
    settings.language = *lang;
    std::vector<diag::AuditRow> rows;
    for (const auto& c : diag::failure_catalogue())
        if (only.empty() || c.id == only) rows.push_back(diag::run_case(c, *loaded, settings));
    if (rows.empty()) {
        std::cerr << "relaylab audit: no catalogue case \"" << only << "\"\n";
        return exit_usage;
    }
    if (vm.count("json")) std::cout << json_text(diag::to_json(rows, loaded->name), 2) << "\n";
    else std::cout << diag::render_table(rows, loaded->name);
    return diag::audit_failed(rows) ? exit_failed : exit_ok;
}

const Registration registration{{"audit", "run the failure catalogue through the gateway and check a policy's words", &audit_main, 62}};

}  // namespace
}  // namespace relaylab::app
