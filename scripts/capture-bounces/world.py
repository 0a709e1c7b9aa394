# The scripted world one MTA delivers into: addresses, DNS zones, remote MTAs and the sink that
# catches the bounces. Every address is on loopback; each MTA gets its own 127.1K.0.0/16 block so
# the four captures can run side by side without sharing a port.
import json
import os
import subprocess
import time

import cases as casedef

MTA_INDEX = {"postfix": 1, "exim": 2, "opensmtpd": 3, "sendmail": 4}
SMTP_PORT = 25            # the remotes listen where MX delivery looks: port 25 of their address
SUBMIT_PORT = 2525        # the MTA under capture takes the handsets' mail here
DNS_PORT = 53             # resolv.conf cannot name a port


class Addresses:
    def __init__(self, mta):
        k = MTA_INDEX[mta]
        self.block = "127.1%d" % k
        self.mta = "%s.24.1" % self.block          # the MTA under capture
        self.dns = "%s.53.1" % self.block          # relaylab sim-dns
        self.sink = "%s.26.1" % self.block         # smtp-sink: the sender domain's MX
        self.hostname = "mgw%d.%s" % (k, casedef.SENDER_DOMAIN)

    def remote(self, n):
        return "%s.25.%d" % (self.block, n)


def zones(addr, all_cases):
    """sim-dns zone data for every case's recipient domain, the sender domain and the MTA."""
    names = {
        casedef.SENDER_DOMAIN: {"mx": [{"preference": 10, "host": "mx." + casedef.SENDER_DOMAIN}]},
        "mx." + casedef.SENDER_DOMAIN: {"a": [addr.sink]},
        addr.hostname: {"a": [addr.mta]},
    }
    for c in all_cases:
        d, mx, how = c["domain"], c["mx"], c["dns"]
        if how == "nxdomain":
            continue  # an unlisted name is NXDOMAIN
        if how == "nullmx":
            names[d] = {"mx": [{"preference": 0, "host": "."}]}
        elif how == "servfail":
            names[d] = {"behaviour": "servfail"}
        else:
            names[d] = {"mx": [{"preference": 10, "host": mx}]}
            if how != "mx-noaddress":
                names[mx] = {"a": [addr.remote(c["n"])]}
    return {"ttl": 60, "soa": {"zone": "example"}, "names": names}


class World:
    """Starts sim-dns, the sink and one sim-smtp per case; stops them all."""

    def __init__(self, relaylab, addr, work, all_cases):
        self.relaylab, self.addr, self.work, self.cases = relaylab, addr, work, all_cases
        self.procs = []
        self.sink_dir = os.path.join(work, "sink") + "/"

    def _spawn(self, argv, log):
        out = open(os.path.join(self.work, log), "w")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def start(self):
        with open(os.path.join(self.work, "zones.json"), "w") as f:
            json.dump(zones(self.addr, self.cases), f, indent=1)
        self._spawn([self.relaylab, "sim-dns", "--zones", os.path.join(self.work, "zones.json"),
                     "--listen", "%s:%d" % (self.addr.dns, DNS_PORT)], "sim-dns.log")
        os.makedirs(self.sink_dir, exist_ok=True)
        subprocess.run(["chown", "postfix", self.sink_dir], check=True)
        # smtp-sink -d writes each transaction to a file; -u drops root for that.
        self._spawn(["/usr/sbin/smtp-sink", "-u", "postfix", "-d", self.sink_dir,
                     "%s:%d" % (self.addr.sink, SMTP_PORT), "64"], "sink.log")
        for c in self.cases:
            if c["dns"] != "mx" or c["remote"] is None:
                continue
            script = dict(c["remote"])
            script.setdefault("hostname", c["mx"])
            path = os.path.join(self.work, "remote-%02d.json" % c["n"])
            with open(path, "w") as f:
                json.dump(script, f, indent=1)
            self._spawn([self.relaylab, "sim-smtp", "--script", path, "--listen",
                         "%s:%d" % (self.addr.remote(c["n"]), SMTP_PORT)], "remote-%02d.log" % c["n"])
        time.sleep(1.0)
        dead = [p.args for p in self.procs if p.poll() is not None]
        if dead:
            raise RuntimeError("world process exited at start: %s" % dead)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
