#include "scenarios/suite.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace relaylab::scn {

std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& args) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& arg : args) {
        std::error_code ec;
        if (!fs::is_directory(arg, ec)) {
            out.push_back(arg);  // a file, or a path that the loader will say it cannot read
            continue;
        }
        std::vector<fs::path> found;
        fs::recursive_directory_iterator it(arg, fs::directory_options::skip_permission_denied, ec), end;
        if (ec) throw std::runtime_error(arg + ": cannot read the folder: " + ec.message());
        for (; it != end; it.increment(ec)) {
            if (ec) throw std::runtime_error(arg + ": cannot read the folder: " + ec.message());
            if (it->path().extension() == ".json" && it->is_regular_file(ec)) found.push_back(it->path());
        }
        if (found.empty()) throw std::runtime_error(arg + ": a folder with no *.json scenario in it");
        std::sort(found.begin(), found.end());
        for (const auto& p : found) out.push_back(p.string());
    }
    return out;
}

namespace {

std::optional<std::size_t> whole_number(const std::string& s) {
    constexpr std::size_t max_digits = 5;  // max_shards has five digits
    if (s.empty() || s.size() > max_digits || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return std::stoul(s);
}

}  // namespace

std::optional<Shard> parse_shard(const std::string& text, std::string& why) {
    auto slash = text.find('/');
    auto k = whole_number(text.substr(0, slash));
    auto n = slash == std::string::npos ? std::nullopt : whole_number(text.substr(slash + 1));
    if (!k || !n) {
        why = "expected K/N with whole numbers, such as 1/4";
        return std::nullopt;
    }
    if (*n < 1 || *n > max_shards) {
        why = "N (the number of shards) must be from 1 to " + std::to_string(max_shards);
        return std::nullopt;
    }
    if (*k < 1 || *k > *n) {
        why = "K (this shard) must be from 1 to N=" + std::to_string(*n);
        return std::nullopt;
    }
    return Shard{*k, *n};
}

}  // namespace relaylab::scn
