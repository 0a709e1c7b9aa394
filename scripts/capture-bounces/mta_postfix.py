# A private Postfix instance (Debian's postfix package, installed with "No configuration"): its
# own config_directory and queue_directory under the work dir, listening on one loopback address.
import os
import re
import subprocess

# The 2009 relay sent the local part as it was; Postfix quotes it unless told not to. One case
# (the second 553) goes through a transport that does not quote, to show the unquoted form.
NOQUOTE_CASE = "sender-malformed-553"


class Postfix:
    name = "postfix"
    names_stage = True
    extra_grace = 0

    def __init__(self, work, addr, timing, all_cases, pkgroot):
        self.work, self.addr, self.t, self.cases = work, addr, timing, all_cases
        self.etc = os.path.join(work, "postfix-etc")
        self.log = os.path.join(work, "maillog")

    def version(self):
        v = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True,
                           text=True, check=True).stdout.strip()
        return "Postfix %s (Debian 12)" % v

    def setup(self):
        os.makedirs(self.etc, exist_ok=True)
        noquote = [c["domain"] for c in self.cases if c["name"] == NOQUOTE_CASE]
        main = {
            "compatibility_level": "3.6",
            "queue_directory": os.path.join(self.work, "postfix-spool"),
            "data_directory": os.path.join(self.work, "postfix-data"),
            "myhostname": self.addr.hostname,
            "mydomain": "ezweb.ne.jp",
            "mydestination": "",
            "relay_domains": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            # Postfix wants inet_interfaces on a real interface; master.cf binds the 127.x address.
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "maillog_file_prefixes": os.path.dirname(self.work),
            "maillog_file": self.log,
            "queue_run_delay": "%ds" % self.t["retry"],
            "minimal_backoff_time": "%ds" % self.t["retry"],
            "maximal_backoff_time": "%ds" % (2 * self.t["retry"]),
            "maximal_queue_lifetime": "%ds" % self.t["lifetime"],
            "bounce_queue_lifetime": "%ds" % self.t["lifetime"],
            "delay_warning_time": "%ds" % self.t["warn"],
            "smtp_connect_timeout": "5s",
            "smtp_helo_timeout": "%ds" % self.t["greeting"],
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "biff": "no",
            "transport_maps": "inline:{ %s=smtp-noquote: }" % noquote[0] if noquote else "",
        }
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        lines = []
        with open("/etc/postfix/master.cf") as f:
            for line in f:
                fields = line.split()
                if line[:1] not in ("#", " ", "\t", "\n") and len(fields) >= 8:
                    if fields[0] == "smtp" and fields[1] == "inet":
                        fields[0] = "%s:%d" % (self.addr.mta, 2525)
                    fields[4] = "n"  # no chroot: the private instance has no chroot jail set up
                    line = " ".join(fields) + "\n"
                lines.append(line)
        lines.append("smtp-noquote unix - - n - - smtp -o smtp_quote_rfc821_envelope=no\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.writelines(lines)

    def start(self):
        os.makedirs(os.path.join(self.work, "postfix-spool"), mode=0o755, exist_ok=True)
        os.makedirs(os.path.join(self.work, "postfix-data"), mode=0o700, exist_ok=True)
        subprocess.run(["chown", "postfix", os.path.join(self.work, "postfix-data")], check=True)
        subprocess.run(["postfix", "-c", self.etc, "post-install", "create-missing"], check=True)
        subprocess.run(["postfix", "-c", self.etc, "check"], check=True)
        subprocess.run(["postfix", "-c", self.etc, "start"], check=True)

    def stop(self):
        subprocess.run(["postfix", "-c", self.etc, "stop"], check=False)

    def final_log_lines(self):
        """status=bounced/sent lines of the log, for the report."""
        if not os.path.exists(self.log):
            return []
        with open(self.log, errors="replace") as f:
            return [l.rstrip("\n") for l in f if re.search(r"status=(bounced|expired|sent)", l)]
