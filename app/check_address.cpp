// `relaylab check-address ADDR…`: the RFC 5321/5322 verdict per address (dot-atom, valid only
// quoted and the quoted form, or invalid and why) and how common MTAs answer it at MAIL FROM.
#include "app/command.hpp"
#include "diagnosis/mta_profiles.hpp"
#include "address/address.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;
using nlohmann::json;

json problem_json(const gw::AddressProblem& p, gw::Language lang) {
    const char* part = p.part == gw::AddressPart::LocalPart ? "local_part" : p.part == gw::AddressPart::Domain ? "domain" : "address";
    return {{"kind", gw::to_string(p.kind)}, {"part", part}, {"position", p.position}, {"words", gw::describe(p, lang)}};
}

json answer_json(const diag::MtaAnswer& a) {
    json j{{"reply", a.reply}, {"accepted", a.accepted}};
    if (!a.note.empty()) j["note"] = a.note;
    return j;
}

json address_json(const gw::AddressCheck& c, gw::Language lang) {
    json j{{"address", c.input}, {"verdict", gw::to_string(c.verdict)}, {"local_part", c.local_part}, {"domain", c.domain}};
    json problems = json::array();
    for (const auto& p : c.problems) problems.push_back(problem_json(p, lang));
    j["problems"] = std::move(problems);
    if (c.verdict != gw::AddressVerdict::Invalid) j["send_as"] = c.quoted_form;
    j["needs_smtputf8"] = c.needs_smtputf8();
    j["smtputf8"] = c.smtputf8;
    if (c.needs_smtputf8() && !c.smtputf8)
        j["verdict_with_smtputf8"] = gw::to_string(gw::check_address(c.input, gw::AddressSyntax::Smtputf8).verdict);
    j["explanation"] = gw::explain_local_part(c, lang);
    json mtas = json::array();
    if (!(c.smtputf8 && c.needs_smtputf8()))
    for (const auto& a : diag::mail_from_answers(c)) {
        json m{{"profile", a.profile}, {"mail_from", answer_json(a.raw)}};
        if (a.has_quoted) m["mail_from_quoted"] = answer_json(a.quoted);
        mtas.push_back(std::move(m));
    }
    j["mta_profiles"] = std::move(mtas);
    return j;
}

void print_address(std::ostream& out, const gw::AddressCheck& c, gw::Language lang) {
    out << gw::explain(c, lang);
    const bool ja = lang == gw::Language::Ja;
    // The same address under RFC 6531 §3.3 (MAIL FROM:<...> SMTPUTF8), when it has UTF-8 in it.
    if (c.needs_smtputf8() && !c.smtputf8) {
        const auto v = gw::check_address(c.input, gw::AddressSyntax::Smtputf8).verdict;
        out << (ja ? "SMTPUTF8 付き（RFC 6531 §3.3、--smtputf8）の判定: " : "with SMTPUTF8 (RFC 6531 §3.3, --smtputf8): ")
            << gw::to_string(v) << "\n";
    }
    if (c.smtputf8 && c.needs_smtputf8()) {
        // The profiles model plain-ASCII grammar; whether an MTA takes this depends on SMTPUTF8.
        out << (ja ? "MTA の応答: SMTPUTF8 を提示する MTA だけが受け取れます（relaylab は提示しない MTA には送りません）。\n"
                   : "how MTAs answer: only an MTA that offers SMTPUTF8 can take it (relaylab never sends it to one that does not).\n");
        return;
    }
    out << (ja ? "MAIL FROM への各 MTA の応答:\n" : "how MTAs answer MAIL FROM:\n");
    for (const auto& a : diag::mail_from_answers(c)) {
        out << "  " << a.profile;
        for (std::size_t i = a.profile.size(); i < 20; ++i) out << ' ';
        out << (a.raw.accepted ? "accepts  " : "REFUSES  ") << a.raw.reply << "\n";
        if (!a.raw.note.empty()) out << "  " << std::string(20, ' ') << "         (" << a.raw.note << ")\n";
        if (a.has_quoted)
            out << "  " << std::string(20, ' ') << (ja ? "引用形: " : "quoted: ") << (a.quoted.accepted ? "accepts  " : "REFUSES  ")
                << a.quoted.reply << "\n";
    }
}

int check_address_main(int argc, char** argv) {
    po::options_description opts("options");
    std::vector<std::string> addresses;
    std::string lang_name = "en";
    opts.add_options()
        ("help,h", "this help")
        ("json", "print a JSON array, one object per address")
        ("smtputf8", "check under RFC 6531 §3.3 (a transaction opened with MAIL FROM:<...> SMTPUTF8): UTF-8 local parts")
        ("lang", po::value(&lang_name)->default_value(lang_name), "language of the words: en | ja");
    po::options_description hidden;
    hidden.add_options()("address", po::value(&addresses)->composing());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("address", -1);
    const char* usage =
        "usage: relaylab check-address [--json] [--smtputf8] [--lang en|ja] ADDRESS...\n"
        "The RFC 5321/5322 verdict per envelope address: a valid dot-atom, valid only quoted (and the\n"
        "quoted form to send), or invalid (and why); and how common MTAs answer it at MAIL FROM.\n"
        "An address with UTF-8 in it (ユーザー@docomo.ne.jp) is also judged under SMTPUTF8 (RFC 6531).\n"
        "Exit status: 0 every address is a valid dot-atom, 1 some address is not, 2 usage error.";
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "relaylab check-address: " << e.what() << "\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        std::cout << usage << "\n" << opts << "\n";
        return exit_ok;
    }
    const auto lang = gw::language_from_string(lang_name);
    if (!lang || addresses.empty()) {
        std::cerr << (lang ? "relaylab check-address: no address given" : "relaylab check-address: --lang must be en or ja")
                  << "\n" << usage << "\n";
        return exit_usage;
    }
    bool all_dot_atom = true;
    json out = json::array();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        // Shells pass "<a@b>" as typed: the angle brackets are the path's, not the address's.
        std::string_view a = addresses[i];
        if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
        const auto check = gw::check_address(a, vm.count("smtputf8") ? gw::AddressSyntax::Smtputf8 : gw::AddressSyntax::Ascii);
        all_dot_atom = all_dot_atom && check.verdict == gw::AddressVerdict::DotAtom && !check.was_quoted;
        if (vm.count("json")) {
            out.push_back(address_json(check, *lang));
        } else {
            if (i > 0) std::cout << "\n";
            print_address(std::cout, check, *lang);
        }
    }
    if (vm.count("json")) std::cout << json_text(out, 2) << "\n";
    return all_dot_atom ? exit_ok : exit_failed;
}

const Registration registration{
    {"check-address", "RFC 5321/5322 verdict for addresses, and how common MTAs answer them at MAIL FROM", &check_address_main, 60}};

}  // namespace
}  // namespace relaylab::app
