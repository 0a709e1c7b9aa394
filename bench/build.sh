#!/usr/bin/env bash
# Builds the bench programs (bench/src/*.cpp) against the static libraries of a relaylab build
# directory, without touching the project's CMake build: BUILD=build-perf by default.
# Usage: bench/build.sh [BUILD_DIR]   → BUILD_DIR/bench/bench-<name>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${BUILD:-$root/build-perf}}
[ -f "$build/relay/librelaylab_relay.a" ] || {
    echo "build the libraries first: cmake --build $build -j2 --target relaylab" >&2; exit 2; }
mkdir -p "$build/bench"
libs=()
for l in relay intake delivery log bounce taxonomy queue address smtpserver smtpclient resolver jsonsource clock; do
    f=$(find "$build/$l" -maxdepth 1 -name "librelaylab_*.a" | head -1)
    [ -n "$f" ] && libs+=("$f")
done
libs+=("$build/asio/librelaylab_asio.a")
read -r -a cares_libs <<<"$(pkg-config --libs libcares)"
for src in "$root"/bench/src/*.cpp; do
    name=bench-$(basename "$src" .cpp | tr _ -)
    out="$build/bench/$name"
    fresh=1
    for dep in "$src" "${libs[@]}"; do [ "$out" -nt "$dep" ] || fresh=0; done
    [ -x "$out" ] && [ $fresh = 1 ] && continue
    echo "building $name" >&2
    g++ -std=c++20 -O2 -g -Wall -Wextra -Werror \
        -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_ASIO_NO_DEPRECATED -I"$root" \
        "$src" -o "$out" -Wl,--start-group "${libs[@]}" -Wl,--end-group \
        "${cares_libs[@]}" -lpthread
done
