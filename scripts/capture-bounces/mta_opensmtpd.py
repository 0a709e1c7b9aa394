# OpenSMTPD 6.8 from Debian's opensmtpd package, unpacked by fetch-mtas.sh (not installed: it
# conflicts with postfix), run in the foreground (-d) with a private smtpd.conf. Its spool
# (/var/spool/smtpd) and control socket (/run/smtpd.sock) are compiled in: namespace.py mounts
# private tmpfs over /var/spool, /var/lib and /run for this process tree.
import os
import re
import subprocess
import threading
import time

CONF = """\
queue ttl {lifetime}s
bounce warn-interval {warn}s
smtp max-message-size 35M

listen on {listen} port 2525 hostname {hostname}

action "out" relay helo {hostname}

match from any for any action "out"
"""


class OpenSmtpd:
    name = "opensmtpd"
    # Its reports never name the SMTP command a reply answered: labels get stage null.
    names_stage = False
    # Its greeting timeout is compiled in (300 s): the greeting-timeout case expires only
    # after that, past the usual grace.
    extra_grace = 180

    def __init__(self, work, addr, timing, all_cases, pkgroot):
        self.work, self.addr, self.t = work, addr, timing
        self.bin = os.path.join(pkgroot, "usr", "sbin", "smtpd")
        self.ctl = os.path.join(pkgroot, "usr", "sbin", "smtpctl")
        self.conf = os.path.join(work, "smtpd.conf")
        self.log = os.path.join(work, "smtpd.log")
        self.proc = None
        self.stopping = threading.Event()

    def version(self):
        out = subprocess.run([self.bin, "-h"], capture_output=True, text=True)
        m = re.search(r"OpenSMTPD (\S+)", out.stdout + out.stderr)
        return "OpenSMTPD %s (Debian 12)" % (m.group(1) if m else "6.8.0p2")

    def setup(self):
        with open(self.conf, "w") as f:
            f.write(CONF.format(hostname=self.addr.hostname, listen=self.addr.mta, **self.t))
        os.chmod(self.conf, 0o644)
        subprocess.run([self.bin, "-n", "-f", self.conf], check=True)

    def _kick(self):
        # OpenSMTPD's retry schedule is compiled in (first retry of a relayed message after
        # 400 s, then 1600 s, ...): longer than the capture's lifetime. Ask it to retry every
        # envelope at the capture's retry interval, as an operator would with smtpctl.
        while not self.stopping.wait(self.t["retry"]):
            subprocess.run([self.ctl, "schedule", "all"], capture_output=True)

    def start(self):
        out = open(self.log, "w")
        # -d: foreground, log to stderr; -v: log every SMTP session.
        self.proc = subprocess.Popen([self.bin, "-d", "-v", "-f", self.conf], stdout=out,
                                     stderr=subprocess.STDOUT)
        time.sleep(2)
        if self.proc.poll() is not None:
            raise RuntimeError("smtpd exited at start; see %s" % self.log)
        threading.Thread(target=self._kick, daemon=True).start()

    def stop(self):
        self.stopping.set()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def final_log_lines(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, errors="replace") as f:
            return [l.rstrip("\n") for l in f if re.search(r"result=(PermFail|TempFail|Ok)", l)]
