#!/bin/sh
# Unpacks Debian 12's Exim, Sendmail and OpenSMTPD next to an installed Postfix without installing
# them (they conflict with postfix and with each other): apt-get download + dpkg -x into DIR.
# Installs only the libraries they link against, and Postfix itself ("No configuration": it
# neither starts nor listens) for the Postfix capture and for smtp-sink.
# Usage: scripts/capture-bounces/fetch-mtas.sh [DIR]   (default /tmp/capture-mtas)
set -eu
dir=${1:-/tmp/capture-mtas}
[ "$(id -u)" = 0 ] || { echo "fetch-mtas.sh: needs root (apt-get)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! command -v postconf >/dev/null; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get install -y -qq postfix
fi
apt-get install -y -qq m4 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 \
    libpcre2-8-0 libldap-2.5-0 liblockfile1 libsasl2-2 libssl3 libwrap0 libevent-2.1-7 libpam0g
mkdir -p "$dir/debs" "$dir/root"
cd "$dir/debs"
# _apt cannot write into a root-only directory; download as root without the sandbox user.
apt-get download -o APT::Sandbox::User=root exim4-base exim4-daemon-light exim4-config \
    sendmail-bin sendmail-base sendmail-cf opensmtpd
for deb in *.deb; do dpkg -x "$deb" "$dir/root"; done
for bin in usr/sbin/exim4 usr/libexec/sendmail/sendmail usr/sbin/smtpd; do
    if ldd "$dir/root/$bin" | grep -q 'not found'; then
        echo "fetch-mtas.sh: $bin misses libraries:" >&2; ldd "$dir/root/$bin" | grep 'not found' >&2; exit 1
    fi
done
echo "unpacked into $dir/root"
