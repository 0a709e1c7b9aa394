# Sendmail 8.17 from Debian's sendmail-bin, unpacked by fetch-mtas.sh (not installed: it conflicts
# with postfix). Its sendmail.cf is built here with m4 from the unpacked sendmail-cf, with a private
# queue, pid and status file, and run as a daemon (-bd) with a queue runner every retry interval.
import os
import re
import signal
import subprocess
import time

MC = """\
divert(-1)
# relaylab capture: one relay for handsets' mail, nothing local.
divert(0)dnl
include(`{cf}/m4/cf.m4')dnl
VERSIONID(`relaylab capture-bounces')dnl
OSTYPE(`linux')dnl
define(`QUEUE_DIR', `{work}/sendmail-queue')dnl
define(`STATUS_FILE', `{work}/sendmail.st')dnl
undefine(`ALIAS_FILE')dnl
define(`confPID_FILE', `{work}/sendmail.pid')dnl
define(`confHELP_FILE', `{work}/helpfile')dnl
define(`confDOMAIN_NAME', `{hostname}')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confTO_QUEUERETURN', `{lifetime}s')dnl
define(`confTO_QUEUEWARN', `{warn}s')dnl
define(`confMIN_QUEUE_AGE', `0')dnl
define(`confTO_CONNECT', `5s')dnl
define(`confTO_ICONNECT', `5s')dnl
define(`confTO_INITIAL', `{greeting}s')dnl
define(`confTO_HOSTSTATUS', `0s')dnl
define(`confDELIVERY_MODE', `background')dnl
define(`confLOG_LEVEL', `9')dnl
define(`confPRIVACY_FLAGS', `')dnl
define(`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe,GroupReadableKeyFile')dnl
DAEMON_OPTIONS(`Port=2525, Addr={listen}, Name=MTA')dnl
FEATURE(`nocanonify')dnl
FEATURE(`promiscuous_relay')dnl
FEATURE(`accept_unresolvable_domains')dnl
MAILER(`smtp')dnl
"""


class Sendmail:
    name = "sendmail"
    names_stage = True
    extra_grace = 0

    def __init__(self, work, addr, timing, all_cases, pkgroot):
        self.work, self.addr, self.t = work, addr, timing
        self.pkgroot = pkgroot
        self.bin = os.path.join(pkgroot, "usr", "libexec", "sendmail", "sendmail")
        self.cf = os.path.join(work, "sendmail.cf")

    def version(self):
        out = subprocess.run([self.bin, "-C", self.cf, "-d0.1", "-bt"], input="", capture_output=True,
                             text=True).stdout
        m = re.search(r"Version (\S+)", out)
        return "Sendmail %s (Debian 12)" % (m.group(1) if m else "?")

    def setup(self):
        cfdir = os.path.join(self.pkgroot, "usr", "share", "sendmail", "cf")
        mc = os.path.join(self.work, "sendmail.mc")
        with open(mc, "w") as f:
            f.write(MC.format(cf=cfdir, work=self.work, hostname=self.addr.hostname,
                              listen=self.addr.mta, **self.t))
        with open(self.cf, "w") as f:
            subprocess.run(["m4", mc], stdout=f, check=True)
        os.makedirs(os.path.join(self.work, "sendmail-queue"), mode=0o700, exist_ok=True)
        # No alias file: nothing is delivered locally (and Sendmail would refuse to build its
        # database under the world-writable /tmp).
        for name in ("helpfile", "sendmail.st"):
            open(os.path.join(self.work, name), "w").close()

    def start(self):
        subprocess.run([self.bin, "-C", self.cf, "-bd", "-q%ds" % self.t["retry"]], check=True)

    def stop(self):
        pidfile = os.path.join(self.work, "sendmail.pid")
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            time.sleep(1)

    def final_log_lines(self):
        # Sendmail logs to syslog only; the queue's leftovers say what was still pending.
        out = subprocess.run([self.bin, "-C", self.cf, "-bp"], capture_output=True, text=True)
        return out.stdout.splitlines()
