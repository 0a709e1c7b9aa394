# Inside the private mount namespace capture.sh made (unshare -m): bind-mount a resolv.conf that
# names relaylab sim-dns, and passwd/group files with the MTAs' system users, over the machine's
# own. Nothing outside this process tree sees them, so apt and everyone else keep the real ones.
import os
import shutil
import subprocess

# Users the unpacked (not installed) MTAs insist on; uids high enough to clash with nothing.
SYSTEM_USERS = [("Debian-exim", 64901), ("smmta", 64902), ("smmsp", 64903),
                ("opensmtpd", 64904), ("opensmtpq", 64905)]


def _bind(src, dst):
    subprocess.run(["mount", "--bind", src, dst], check=True)


def _in_private_namespace():
    # capture.sh sets this after unshare -m; /proc/1/ns is not readable in every sandbox.
    return os.environ.get("CAPTURE_PRIVATE_NS") == os.readlink("/proc/self/ns/mnt")


def enter_private(addr, mta, work):
    if not _in_private_namespace():
        raise SystemExit("run me through capture.sh: I need a private mount namespace")
    etc = os.path.join(work, "etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "resolv.conf"), "w") as f:
        f.write("nameserver %s\noptions timeout:2 attempts:2\n" % addr.dns)
    # An empty hosts file but for localhost: names must come from sim-dns only.
    with open(os.path.join(etc, "hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n%s %s\n" % (addr.mta, addr.hostname))
    with open(os.path.join(etc, "mailname"), "w") as f:
        f.write(addr.hostname + "\n")
    shutil.copy("/etc/passwd", os.path.join(etc, "passwd"))
    shutil.copy("/etc/group", os.path.join(etc, "group"))
    with open("/etc/passwd") as f:
        have = {l.split(":")[0] for l in f}
    with open(os.path.join(etc, "passwd"), "a") as p, open(os.path.join(etc, "group"), "a") as g:
        for user, uid in SYSTEM_USERS:
            if user not in have:
                home = "/var/lib/opensmtpd/empty" if user.startswith("opensmtp") else "/nonexistent"
                p.write("%s:x:%d:%d::%s:/usr/sbin/nologin\n" % (user, uid, uid, home))
                g.write("%s:x:%d:\n" % (user, uid))
    for name in ("resolv.conf", "hosts", "passwd", "group"):
        _bind(os.path.join(etc, name), "/etc/" + name)
    # capture.sh also unshared the UTS namespace: the host name OpenSMTPD and Sendmail put in
    # their bounces (MAILER-DAEMON@..., Reporting-MTA) is the relay's, not this machine's.
    subprocess.run(["hostname", addr.hostname], check=True)
    if mta == "opensmtpd":
        # OpenSMTPD's spool, chroot and control socket paths are compiled in: give it private
        # ones. The tmpfs hides the machine's /var/lib, /var/spool and /run from this tree only.
        for d in ("/var/spool", "/var/lib", "/run"):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d], check=True)
        os.makedirs("/var/lib/opensmtpd/empty", exist_ok=True)
        # /etc/mailname does not exist on the machine, so it cannot be a bind target:
        # OpenSMTPD falls back to the host name set above.
