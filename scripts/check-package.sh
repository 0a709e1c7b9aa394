#!/usr/bin/env bash
# Builds the Debian package from this tree and checks it as a user would get it:
#   1. dpkg-buildpackage -us -uc -b in a throwaway copy of the tree (tests run in dh_auto_test;
#      those whose peer is missing are skipped, visibly: CTest lists them);
#   2. installs the .deb (dpkg -i, removed again with dpkg -r at the end), or, when not root or a
#      relaylab package is already installed, unpacks it into a temporary root (dpkg -x);
#   3. checks: `relaylab --version`, `relaylab run /usr/share/relaylab/scenarios/library/
#      2009-trailing-dot-legacy.json` passes, and `man relaylab-run` (and a page per command) exist.
# Not part of every CI run: a full package build takes a while on two cores (docs/operations.md).
#
#   scripts/check-package.sh [--nocheck] [--keep DIR]
#     --nocheck   build without running the tests (DEB_BUILD_OPTIONS=nocheck)
#     --keep DIR  copy the built .deb into DIR
#   scripts/check-package.sh --install-tree BUILD_DIR
#     no package: `cmake --install BUILD_DIR` into a temporary prefix and the same checks (a CTest
#     test runs this, so every test run checks the install rules)
# ccache, when installed, is used for the package build too (CMAKE_CXX_COMPILER_LAUNCHER).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nocheck=""
keep=""
tree=""
while [ $# -gt 0 ]; do
    case "$1" in
        --nocheck) nocheck=nocheck; shift ;;
        --keep) keep=${2:?--keep DIR}; shift 2 ;;
        --install-tree) tree=${2:?--install-tree BUILD_DIR}; shift 2 ;;
        *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done

# A fixed place (one per user), so that a second run's compiler calls hit ccache: it keys on paths.
work=${TMPDIR:-/tmp}/relaylab-package.$(id -u)
rm -rf "$work"
mkdir -p "$work"
installed_here=""
cleanup() {
    if [ -n "$installed_here" ]; then dpkg -r relaylab >/dev/null 2>&1 || echo "check-package: dpkg -r relaylab failed" >&2; fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf 'check-package: %s\n' "$*" >&2; }
fail() { printf 'check-package: FAIL: %s\n' "$*" >&2; exit 1; }

# What a user does first, with what is installed under PREFIX ("" for /): --version, the 2009
# scenario from the installed library, the whole library, a man page per command.
check_installed() {
    local prefix=$1 version=$2 need_man=$3
    local bin="$prefix/usr/bin/relaylab" share="$prefix/usr/share/relaylab" manpath="$prefix/usr/share/man"
    local out cmd page
    "$bin" --version | grep -qx "relaylab $version" || fail "relaylab --version is not $version"
    out=$("$bin" run "$share/scenarios/library/2009-trailing-dot-legacy.json" 2>&1) ||
        { echo "$out" >&2; fail "relaylab run of the installed 2009-trailing-dot-legacy.json failed"; }
    echo "$out" | grep -q PASS || { echo "$out" >&2; fail "the installed scenario did not PASS"; }
    "$bin" run --quiet "$share/scenarios/library" >/dev/null || fail "the installed scenario library does not pass as a whole"
    if [ "$need_man" = no ] && [ ! -d "$manpath/man1" ]; then
        step "no man pages installed (help2man was not found at build time): not checked"
        return 0
    fi
    for cmd in $("$bin" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p'); do
        page=$(ls "$manpath/man1/relaylab-$cmd.1"* 2>/dev/null | head -n 1)
        [ -n "$page" ] || fail "no man page relaylab-$cmd(1)"
    done
    command -v man >/dev/null || { step "man is not installed: pages present, not rendered"; return 0; }
    if [ -z "$prefix" ]; then
        man -w relaylab-run >/dev/null || fail "man relaylab-run finds nothing"
        MANPAGER=cat man relaylab-run 2>/dev/null | grep -q "relaylab run" || fail "man relaylab-run does not show the run command"
    else
        MANPAGER=cat man -M "$manpath" relaylab-run 2>/dev/null | grep -q "relaylab run" ||
            fail "man relaylab-run does not show the run command"
    fi
}

if [ -n "$tree" ]; then
    cmake --install "$tree" --prefix "$work/root/usr" >/dev/null || fail "cmake --install $tree failed"
    version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$tree/CMakeCache.txt")
    check_installed "$work/root" "$version" no
    step "OK: cmake --install $tree: the installed 2009-trailing-dot-legacy.json and library pass"
    exit 0
fi

for p in dpkg-buildpackage dh help2man man; do
    command -v "$p" >/dev/null || fail "$p is missing (apt-get install dpkg-dev debhelper help2man man-db)"
done

# 1. The tree as git sees it (tracked and new files, not build dirs), built out of the checkout.
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
src="$work/relaylab-$version"
mkdir -p "$src"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$src/" 2>/dev/null) ||
    fail "cannot copy the tree"
if command -v ccache >/dev/null; then export CMAKE_CXX_COMPILER_LAUNCHER=ccache; fi
export DEB_BUILD_OPTIONS="parallel=$(nproc) ${nocheck}"
unset CI  # a missing peer is skipped in a package build, not failed (debian/rules)
step "dpkg-buildpackage -us -uc -b in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
    { tail -n 60 "$work/build.log" >&2; fail "dpkg-buildpackage failed (log above)"; }
built=$(( $(date +%s) - start ))
deb=$(ls "$work"/relaylab_"$version"_*.deb)
step "built $(basename "$deb") in ${built}s"
if [ -z "$nocheck" ]; then
    grep -E 'tests passed, [0-9]+ tests failed' "$work/build.log" | tail -n 1 >&2 || true
    step "tests skipped (peer not installed): $(grep -c '\*\*\*Skipped' "$work/build.log" || true)"
fi
[ -n "$keep" ] && { mkdir -p "$keep"; cp "$deb" "$keep/"; }
dpkg-deb -c "$deb" | grep -q './usr/share/relaylab/scenarios/library/2009-trailing-dot-legacy.json' ||
    fail "the scenario library is not in the package"

# 2. Installed for real, or unpacked into a temporary root.
if [ "$(id -u)" -eq 0 ] && ! dpkg-query -W -f='${Status}' relaylab 2>/dev/null | grep -q 'ok installed'; then
    step "dpkg -i (removed again at exit)"
    dpkg -i "$deb" >/dev/null
    installed_here=1
    prefix=""
else
    step "dpkg -x into $work/root (not root, or relaylab already installed)"
    dpkg -x "$deb" "$work/root"
    prefix="$work/root"
fi

# 3. What a user does first.
check_installed "$prefix" "$version" yes
step "OK: $(basename "$deb"): relaylab run /usr/share/relaylab/scenarios/library/2009-trailing-dot-legacy.json passes, man relaylab-run exists ($(ls "$prefix"/usr/share/man/man1/relaylab*.1* | wc -l) relaylab pages)"
