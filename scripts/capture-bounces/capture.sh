#!/bin/sh
# Runs capture.py for one MTA inside a private mount and UTS namespace, so that the resolv.conf
# naming relaylab sim-dns, the MTAs' system users and the relay's host name are seen by the
# capture's processes only.
# Usage: scripts/capture-bounces/capture.sh postfix|exim|opensmtpd|sendmail [capture.py options]
set -eu
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root (port 25/53 on loopback, mounts)" >&2; exit 1; }
exec unshare -m -u --propagation private sh -c \
    'CAPTURE_PRIVATE_NS=$(readlink /proc/self/ns/mnt) exec python3 "$0" "$@"' \
    "$(dirname "$0")/capture.py" "$@"
