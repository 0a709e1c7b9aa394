// A suite: the scenario files a `relaylab run` command line names (folders expanded), and the part
// of them one CI machine runs (--shard K/N).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace relaylab::scn {

// The most shards a suite splits into (a CI matrix bigger than this is a mistake).
inline constexpr std::size_t max_shards = 10'000;

// Every argument as given, except that a folder becomes every *.json file below it (any depth),
// sorted by path. Throws std::runtime_error for a folder that holds none.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& args);

// Shard K of N (1-based), as `--shard K/N` writes it.
struct Shard {
    std::size_t index = 1;
    std::size_t count = 1;
};
// "K/N" → a shard; otherwise a message saying what is wrong ("3/2": K is above N).
std::optional<Shard> parse_shard(const std::string& text, std::string& why);
// Whether the scenario at `position` in the selected list (in input order) belongs to `shard`:
// position mod N = K-1. Stable across machines for the same command line; the shards are disjoint,
// together they are the whole list, and their sizes differ by at most one.
inline bool in_shard(std::size_t position, const Shard& shard) { return position % shard.count == shard.index - 1; }

}  // namespace relaylab::scn
