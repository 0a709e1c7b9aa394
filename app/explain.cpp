// `relaylab explain INPUT`: one screen per recipient about a failed delivery, from a bounce, a log
// line, a bare reply or status code — given as a file, `-` (stdin) or the text itself.
// `relaylab explain --jsonl PATH…`: one JSON line per recipient of every file, folder or mbox.
#include "app/command.hpp"
#include "app/input_text.hpp"
#include "diagnosis/batch.hpp"
#include "diagnosis/explanation.hpp"
#include "diagnosis/triage.hpp"
#include "jsonsource/json_text.hpp"

#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace relaylab::app {
namespace {

namespace po = boost::program_options;

constexpr const char* usage =
    "usage: relaylab explain [--json] [--lang en|ja] FILE|-|TEXT\n"
    "       relaylab explain --jsonl PATH…\n"
    "Explains a failed delivery: what failed, what it means, the likely cause, what to do. The input is a\n"
    "bounce (RFC 3464 reports of any MTA, the non-standard bounces of Postfix, Exim, Sendmail, qmail,\n"
    "providers and Japanese carriers), a Postfix or Exim log line, a relaylab JSON log line, a bare SMTP\n"
    "reply (\"550 5.7.26 …\") or a status code (\"5.1.7\"). It is a file, - for stdin, or the text itself\n"
    "when no file has that name. Input is read up to 1 MiB.\n"
    "A report about several recipients gives one section per recipient; with --json one object when there\n"
    "is one recipient (its fields at the top, as before), else an object {\"recipients\": [one object each]}.\n"
    "--jsonl PATH…: every file, folder (recursively; a Maildir's cur/ and new/) or mbox (one input per\n"
    "message, named PATH#N) gives one JSON object per line per recipient: input, recipient, sender, report,\n"
    "reason, class, status, reported_status, actor, stage, reply, remote, remote_ip, dns, can_tell,\n"
    "reporter, source (docs/triage.md); an unreadable file gives {\"input\", \"error\"}.\n"
    "Exit status: 0 explained (every recipient; --jsonl: every input read), 1 cannot tell for some\n"
    "recipient (--jsonl: some input unreadable), 2 usage or unreadable input.";

int explain_one(const std::string& arg, gw::Language lang, bool as_json) {
    const bool ja = lang == gw::Language::Ja;
    const auto in = inputs_of_argument(arg, lang);
    if (!in.error.empty()) {
        std::cerr << "relaylab explain: " << in.error << "\n";
        return exit_usage;
    }
    struct Section {
        std::string input;
        diag::Explanation explanation;
    };
    std::vector<Section> all;
    bool every = true;
    for (const auto& input : in.inputs) {
        for (const auto& f : diag::read_all(input.text)) {
            auto e = diag::explain(f, lang);
            if (input.truncated)
                e.notes.push_back(ja ? "入力が 1 MiB を超えていたため、先頭だけを読みました。"
                                     : "the input was longer than 1 MiB; only its start was read");
            if (in.as_text && !e.can_tell())
                e.notes.push_back(ja ? "その名前のファイルはないため、引数そのものを文面として読みました。"
                                     : "no file has that name, so the argument itself was read as the text");
            every = every && e.can_tell();
            all.push_back({input.name, std::move(e)});
        }
    }
    if (as_json) {
        if (all.size() == 1) {
            std::cout << json_text(diag::to_json(all.front().explanation), 2) << "\n";
        } else {
            nlohmann::json recipients = nlohmann::json::array();
            for (const auto& s : all) {
                auto j = diag::to_json(s.explanation);
                if (in.inputs.size() > 1) j["input"] = s.input;
                recipients.push_back(std::move(j));
            }
            std::cout << json_text({{"can_tell", every}, {"recipients", recipients}}, 2) << "\n";
        }
        return every ? exit_ok : exit_failed;
    }
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all.size() > 1) {
            const auto& r = all[i].explanation.finding.recipient;
            std::cout << (i ? "\n" : "") << "== "
                      << (ja ? "宛先 " + std::to_string(i + 1) + "/" + std::to_string(all.size())
                             : "recipient " + std::to_string(i + 1) + " of " + std::to_string(all.size()))
                      << (r.empty() ? "" : ": " + r) << (in.inputs.size() > 1 ? " (" + all[i].input + ")" : "")
                      << " ==\n";
        }
        std::cout << diag::render_text(all[i].explanation, lang);
    }
    return every ? exit_ok : exit_failed;
}

int explain_jsonl(const std::vector<std::string>& paths) {
    bool unreadable = false;
    std::string out;
    const auto flush = [&] {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
    };
    const auto emit = [&](diag::BatchInput&& input) {
        for (const auto& r : diag::triage_input(input, false)) {
            unreadable = unreadable || !r.error.empty();
            out += json_text(diag::to_json(r));
            out += '\n';
        }
        if (out.size() > diag::batch_read_chunk) flush();
    };
    for (const auto& path : paths) {
        if (path == "-") {
            diag::read_stream_inputs(STDIN_FILENO, "-", emit);
            continue;
        }
        for (const auto& file : diag::list_inputs({path})) diag::read_inputs(file, emit);
    }
    flush();
    std::fflush(stdout);
    return unreadable ? exit_failed : exit_ok;
}

int explain_main(int argc, char** argv) {
    po::options_description opts("options");
    std::vector<std::string> inputs;
    std::string lang_name = "en";
    opts.add_options()
        ("help,h", "this help")
        ("json", "print JSON (one object, or {\"recipients\": […]} for several)")
        ("jsonl", "batch: one JSON line per recipient of every PATH")
        ("lang", po::value(&lang_name)->default_value(lang_name), "language: en | ja");
    po::options_description hidden;
    hidden.add_options()("input", po::value(&inputs));
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("input", -1);
    po::variables_map vm;
    try {
        // No abbreviated options: "--json" must never be guessed to mean "--jsonl".
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos)
                      .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                      .run(),
                  vm);
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
    if (!lang) {
        std::cerr << "relaylab explain: --lang must be en or ja\n" << usage << "\n";
        return exit_usage;
    }
    if (inputs.empty()) {
        std::cerr << "relaylab explain: no input given\n" << usage << "\n";
        return exit_usage;
    }
    if (vm.count("jsonl")) {
        if (vm.count("json")) {
            std::cerr << "relaylab explain: --json and --jsonl exclude each other\n" << usage << "\n";
            return exit_usage;
        }
        return explain_jsonl(inputs);
    }
    if (inputs.size() > 1) {
        std::cerr << "relaylab explain: one input at a time (quote a log line; --jsonl reads many)\n" << usage << "\n";
        return exit_usage;
    }
    return explain_one(inputs.front(), *lang, vm.count("json") > 0);
}

const Registration registration{
    {"explain", "explain a bounce, log line, reply or status code; --jsonl for many files", &explain_main, 61}};

}  // namespace
}  // namespace relaylab::app
