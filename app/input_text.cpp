#include "app/input_text.hpp"

#include <cctype>
#include <filesystem>

#include <unistd.h>

namespace relaylab::app {

bool reads_as_text(const std::string& arg) {
    if (arg.empty()) return false;
    const auto first = static_cast<unsigned char>(arg.front());
    if (std::isdigit(first) || first == '{') return true;
    for (const char c : arg) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isspace(u) || u >= 0x80) return true;
    }
    return false;
}

ArgumentInputs inputs_of_argument(const std::string& arg, gw::Language lang) {
    const bool ja = lang == gw::Language::Ja;
    ArgumentInputs out;
    const auto take = [&](diag::BatchInput&& in) {
        if (!in.error.empty() && out.error.empty())
            out.error = ja ? arg + " を読めません: " + in.error : "cannot read " + arg + ": " + in.error;
        out.inputs.push_back(std::move(in));
    };
    if (arg == "-") {
        diag::read_stream_inputs(STDIN_FILENO, "-", take);
        return out;
    }
    std::error_code ec;
    const auto st = std::filesystem::status(arg, ec);
    if (std::filesystem::is_directory(st)) {
        out.error = ja ? arg + " はフォルダーです。フォルダーは relaylab explain --jsonl か relaylab triage で読みます。"
                       : arg + " is a folder: relaylab explain --jsonl or relaylab triage read folders";
        return out;
    }
    if (std::filesystem::exists(st)) {
        diag::read_inputs({arg, arg, std::filesystem::is_regular_file(st) ? "" : "not a regular file"}, take);
        return out;
    }
    if (!reads_as_text(arg)) {
        out.error = ja ? arg + " という名前のファイルはありません。"
                       : "cannot read " + arg + ": no such file (nor does it read as a log line, a reply or a status code)";
        return out;
    }
    out.as_text = true;
    const bool truncated = arg.size() > diag::max_input_octets;
    out.inputs.push_back({"(argument)", arg.substr(0, diag::max_input_octets), truncated, {}});
    return out;
}

}  // namespace relaylab::app
