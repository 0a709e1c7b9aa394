#!/usr/bin/env bash
# Runs the test suite of BUILD_DIR as on a machine without the real peers (a Debian package build
# host): in a private mount namespace, each peer program is covered by a non-executable empty file,
# so the tests that need it find it missing. Passes when no test fails, some are SKIPPED (CTest's
# SKIP_RETURN_CODE 77, listed by CTest), and every skip names a missing program. Needs root
# (unshare --mount). Not part of CI, which installs every peer and skips nothing.
#   scripts/check-without-peers.sh [BUILD_DIR=build]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "check-without-peers: needs root (unshare --mount)" >&2; exit 2; }
# The peers of dev.sh's TEST_PACKAGES, by program (perl and python3 stay: a build host has them).
peers=(unbound unbound-control postfix postconf postdrop sendmail smtp-sink smtp-source swaks dig
       chromium promtool)
log=$(mktemp /tmp/relaylab-no-peers.XXXXXX)
unshare --mount --propagation private bash -s "$build" "$log" "${peers[@]}" <<'INNER'
set -euo pipefail
build=$1 log=$2; shift 2
blank=$(mktemp /tmp/relaylab-no-peer.XXXXXX)
chmod 644 "$blank"
hidden=()
for p in "$@"; do
    for dir in /usr/bin /usr/sbin /bin /sbin; do
        if [ -e "$dir/$p" ]; then mount --bind "$blank" "$dir/$p"; hidden+=("$dir/$p"); fi
    done
done
echo "hidden: ${hidden[*]}" >&2
cd "$build"
env -u CI ctest -j2 --timeout 300 --output-on-failure > "$log" 2>&1 || true
INNER
failed=$(grep -cE '\*\*\*Failed|\(Failed\)' "$log" || true)
skipped=$(grep -cE '\*\*\*Skipped|\(Skipped\)' "$log" || true)
summary=$(grep -E 'tests passed' "$log" || true)
echo "$summary"
echo "skipped: $skipped, failed: $failed (full log: $log)"
grep -E "SKIPPED: " "$build/Testing/Temporary/LastTest.log" | sed 's/^.*SKIPPED: /  skipped because: /' | sort | uniq -c | sort -rn | head -20
[ "$failed" -eq 0 ] && [ "$skipped" -gt 0 ]
