# Exim 4.96 from Debian's exim4-daemon-light, unpacked by fetch-mtas.sh (not installed: it
# conflicts with postfix), run from there with a private configuration (-C), spool and logs.
import os
import re
import signal
import subprocess
import time

CONF = """\
primary_hostname = {hostname}
exim_path = {bin}
qualify_domain = ezweb.ne.jp
spool_directory = {work}/exim-spool
log_file_path = {work}/exim-log/%slog
pid_file_path = {work}/exim.pid
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
local_interfaces = {listen}
daemon_smtp_ports = 2525
hostlist relay_from_hosts = 127.0.0.0/8
acl_smtp_rcpt = acl_rcpt
host_lookup =
rfc1413_hosts =
dsn_advertise_hosts = *
delay_warning = {warn}s
ignore_bounce_errors_after = 2d
timeout_frozen_after = 7d
keep_environment =
tls_advertise_hosts =

begin acl
acl_rcpt:
  accept hosts = +relay_from_hosts
  deny   message = relay not permitted

begin routers
dnslookup:
  driver = dnslookup
  transport = remote_smtp
  no_more

begin transports
remote_smtp:
  driver = smtp
  connect_timeout = 5s
  command_timeout = {greeting}s
  hosts_avoid_tls = *

begin retry
*   *   F,{lifetime}s,{retry}s

begin rewrite
"""


class Exim:
    name = "exim"
    names_stage = True
    extra_grace = 0

    def __init__(self, work, addr, timing, all_cases, pkgroot):
        self.work, self.addr, self.t = work, addr, timing
        self.bin = os.path.join(pkgroot, "usr", "sbin", "exim4")
        self.conf = os.path.join(work, "exim.conf")

    def version(self):
        out = subprocess.run([self.bin, "-C", self.conf, "-bV"], capture_output=True, text=True).stdout
        m = re.search(r"Exim version (\S+)", out)
        return "Exim %s (Debian 12, exim4-daemon-light)" % (m.group(1) if m else "?")

    def setup(self):
        with open(self.conf, "w") as f:
            # exim_path: the queue runners re-exec Exim, by default as /usr/sbin/exim4.
            f.write(CONF.format(hostname=self.addr.hostname, work=self.work, listen=self.addr.mta,
                                bin=self.bin, **self.t))
        for d in ("exim-spool", "exim-log"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
            subprocess.run(["chown", "Debian-exim:Debian-exim", os.path.join(self.work, d)], check=True)

    def start(self):
        # -bd: the daemon; -q: a queue runner every retry interval.
        subprocess.run([self.bin, "-C", self.conf, "-bd", "-q%ds" % self.t["retry"]], check=True)

    def stop(self):
        pidfile = os.path.join(self.work, "exim.pid")
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            time.sleep(1)

    def final_log_lines(self):
        path = os.path.join(self.work, "exim-log", "mainlog")
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            return [l.rstrip("\n") for l in f if re.search(r" (\*\*|=>|==) ", l)]
