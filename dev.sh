#!/usr/bin/env bash
# relaylab's one entry point for a fresh machine (see README.md):
#   ./dev.sh demo       install what is missing, build the relaylab program only (no tests), run the
#                       main job: the 2009 incident in scenario mode, legacy-2009 and accurate notices
#   ./dev.sh test       install what is missing, build, run the whole test suite: CTest, the same
#                       under ASan+UBSan, and each libFuzzer target for FUZZ_SECONDS (20)
#   ./dev.sh quick      the CTest suite only
#   ./dev.sh build      install what is missing and build only
#   ./dev.sh live-demo  the same incident with the live daemon (relaylab serve) and scripted peers
#   ./dev.sh asan       build with ASan+UBSan into build-asan and run the test suite there
#   ./dev.sh package    build the Debian package and check it installed (scripts/check-package.sh)
#   ./dev.sh deps       install every Debian package the build, the tests and the fuzzers need
#   ./dev.sh packages [build|test|fuzz|package]   print the Debian packages that mode installs
set -euo pipefail
cd "$(dirname "$0")"

JOBS=${JOBS:-$(nproc)}
BUILD_PACKAGES=(cmake g++ make pkg-config libboost-dev libboost-program-options-dev libc-ares-dev
                nlohmann-json3-dev catch2 libgmime-3.0-dev libssl-dev help2man)
# The Debian package: dpkg-buildpackage, debhelper, and man to check the installed man pages.
PACKAGE_PACKAGES=(dpkg-dev debhelper fakeroot man-db)
# Every program a test runs, by its Debian package: unbound (DNS), Postfix's smtp-sink/smtp-source,
# swaks (SMTP client; libnet-ssleay-perl gives it STARTTLS), dig (bind9-dnsutils), perl with Sisimai (bounce analyser), python3 (its email
# package reads notices), Chromium and a Japanese font (the HTML report's test); coreutils (timeout),
# dash (/bin/sh) and bash (scripts/live-demo.sh) are essential too, listed so that the guard finds
# every program's package here; prometheus gives promtool, which checks serve's metrics exposition.
# scripts/check-test-programs.sh fails when a test runs a program whose package is not listed here.
TEST_PACKAGES=(unbound postfix swaks libnet-ssleay-perl bind9-dnsutils perl libsisimai-perl python3 chromium fonts-ipafont-gothic
               coreutils dash bash prometheus)
# The fuzzers are libFuzzer targets: clang and its runtime.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build DIR [cmake args...]; TARGET=name builds that target only
    local dir=$1; shift
    cmake -S . -B "$dir" -DRELAYLAB_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$JOBS" ${TARGET:+--target "$TARGET"}
}

case "${1:-}" in
    build)
        install_missing "${BUILD_PACKAGES[@]}"
        build build
        ;;
    demo)
        install_missing "${BUILD_PACKAGES[@]}"
        TARGET=relaylab build build  # the program only: no test binaries, no man pages
        exec build/relaylab run scenarios/library/2009-trailing-dot-legacy.json \
                              scenarios/library/2009-trailing-dot-accurate.json
        ;;
    live-demo)
        install_missing "${BUILD_PACKAGES[@]}"
        TARGET=relaylab build build
        exec ./scripts/live-demo.sh build/relaylab
        ;;
    test)
        # The whole suite: the tests, the same tests under ASan+UBSan, and every fuzzer briefly.
        scripts/check-test-programs.sh
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
        build build
        (cd build && ctest -j"$JOBS" --output-on-failure --timeout 300)
        build build-asan -DRELAYLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
        (cd build-asan && ctest -j"$JOBS" --output-on-failure --timeout 600)
        fuzz/ci.sh "${FUZZ_SECONDS:-20}" build-fuzz
        ;;
    quick)
        # The tests alone, without the sanitizer build and the fuzzers.
        scripts/check-test-programs.sh
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        build build
        (cd build && ctest -j"$JOBS" --output-on-failure --timeout 300)
        ;;
    asan)
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
        build build-asan -DRELAYLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
        (cd build-asan && ctest -j"$JOBS" --output-on-failure --timeout 600)
        ;;
    package)
        # The .deb, built and tested by dpkg-buildpackage (missing peers skip), installed and checked.
        install_missing "${BUILD_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"
        exec scripts/check-package.sh
        ;;
    deps)
        install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
        ;;
    packages)
        case "${2:-test}" in
            build) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
            package) printf '%s\n' "${BUILD_PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" ;;
            test)  printf '%s\n' "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}" ;;
            fuzz)  printf '%s\n' "${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}" ;;
            *) echo "dev.sh packages: build, test, fuzz or package" >&2; exit 2 ;;
        esac
        ;;
    *)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
