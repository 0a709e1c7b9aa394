#!/usr/bin/env python3
# Captures the bounces, delay warnings and success notices one real MTA writes for every case in
# cases.py, and writes them with their labels into tests/diagnosis/corpus/captured/<mta>/.
# Run through capture.sh (it enters a private mount namespace first); see docs/corpus.md.
import argparse
import email
import email.policy
import json
import os
import re
import shutil
import smtplib
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases as casedef  # noqa: E402
import namespace  # noqa: E402
import world  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
# Seconds: the retry interval, the delay warning, the queue lifetime, the greeting timeout. Short
# so that expiries and warnings come within minutes; the MTAs' defaults are hours and days.
TIMING = {"retry": 15, "warn": 60, "lifetime": 150, "greeting": 15}
# How long after the lifetime the capture keeps waiting for the last reports.
GRACE_SECONDS = 150
POLL_SECONDS = 2
SETTLE_SECONDS = 2
# smtp-sink -d puts these pseudo-headers (and its own Received:) before the message it received.
SINK_PSEUDO = ("X-Client-Addr:", "X-Client-Proto:", "X-Helo-Args:", "X-Mail-Args:", "X-Rcpt-Args:")


def mta_driver(name):
    if name == "postfix":
        from mta_postfix import Postfix as D
    elif name == "exim":
        from mta_exim import Exim as D
    elif name == "sendmail":
        from mta_sendmail import Sendmail as D
    elif name == "opensmtpd":
        from mta_opensmtpd import OpenSmtpd as D
    else:
        raise SystemExit("unknown MTA %r (postfix, exim, sendmail, opensmtpd)" % name)
    return D


def message_for(c, mta):
    """The handset's message: a short note, or a long one for the size cases."""
    body = "Hello,\r\n\r\nSee you at the station at seven.\r\n"
    if c["body_kb"] > 1:
        line = "The quick brown fox jumps over the lazy dog near the station. 0123456789\r\n"
        body += line * (c["body_kb"] * 1024 // len(line))
    return ("From: <%s@%s>\r\nTo: %s\r\nSubject: meeting tonight\r\n"
            "Date: Mon, 01 Jun 2009 10:00:00 +0900\r\nMessage-ID: <case-%02d.%s.%d@%s>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s"
            % (c["sender"], casedef.SENDER_DOMAIN,
               ", ".join("<%s@%s>" % (r, c["domain"]) for r in c["rcpts"]),
               c["n"], mta, int(time.time()), casedef.SENDER_DOMAIN, body))


def submit(addr, c, mta):
    """Hands the case's message to the MTA over SMTP, with raw MAIL/RCPT so that a local part
    such as p..q. goes out exactly as the handset wrote it."""
    s = smtplib.SMTP(addr.mta, world.SUBMIT_PORT, local_hostname="handset.ezweb.ne.jp", timeout=30)
    try:
        s.ehlo()
        code, text = s.docmd("MAIL", "FROM:<%s@%s>" % (c["sender"], casedef.SENDER_DOMAIN))
        if code != 250:
            return "MAIL FROM refused by %s itself: %d %s" % (mta, code, text.decode(errors="replace"))
        for r in c["rcpts"]:
            arg = "TO:<%s@%s>" % (r, c["domain"])
            if c["notify"]:
                arg += " NOTIFY=" + c["notify"]
            code, text = s.docmd("RCPT", arg)
            if code not in (250, 251):
                return "RCPT TO refused by %s itself: %d %s" % (mta, code, text.decode(errors="replace"))
        s.data(message_for(c, mta).encode())
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    return None


def strip_sink_headers(raw):
    lines = raw.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(tuple(h.encode() for h in SINK_PSEUDO)):
        i += 1
    if i < len(lines) and lines[i].startswith(b"Received:") and b"smtp-sink" in b"\n".join(lines[i:i + 4]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\n".join(lines[i:])


def report_kind(raw):
    """failure / delayed / delivered, from the RFC 3464 Action fields, else from the subject."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    actions = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else []
            text = "\n".join(str(b) for b in blocks) if blocks else str(payload)
            actions += [a.lower() for a in re.findall(r"(?im)^Action:\s*(\S+)", text)]
    if actions:
        # OpenSMTPD 6.8's report on an expired (and deleted) message says Action: delayed,
        # Status: 4.4.7, "Envelope expired": it is the failure report, not a warning.
        if all(a == "delayed" for a in actions) and b"Envelope expired" in raw:
            return "failure"
        if all(a == "delayed" for a in actions):
            return "delayed"
        if all(a in ("relayed", "delivered", "expanded") for a in actions):
            return "delivered"
        return "failure"
    subject = (msg.get("Subject") or "").lower()
    if "warning" in subject or "delay" in subject:
        return "delayed"
    if "success" in subject or "delivered" in subject or "return receipt" in subject:
        return "delivered"
    return "failure"


def case_of(raw, all_cases):
    m = re.search(rb"case-(\d\d)\.", raw)
    if not m:
        return None
    n = int(m.group(1))
    return next((c for c in all_cases if c["n"] == n), None)


def expected(c, mta):
    kinds = {k: c[k] for k in ("failure", "delayed", "delivered") if k in c}
    kinds.update(c["per_mta"].get(mta, {}))
    return {k: v for k, v in kinds.items() if v is not None}


def label(c, kind, entries, made_by, names_stage=True):
    rec = []
    for r, e in zip(c["rcpts"], entries):
        rec.append({"recipient": "%s@%s" % (r, c["domain"]), "reason": e["reason"],
                    "status": e["status"], "stage": e["stage"] if names_stage else None,
                    "report": kind})
    # A multi-recipient case lists only the recipients that failed, in the order they were sent.
    if len(entries) < len(c["rcpts"]):
        rec = rec[:len(entries)]
    return {"made_by": made_by, "recipients": rec}


def mta_name(mta_version):
    return mta_version.split()[0].lower()


def made_by(mta_version, c, addr, kind):
    if c["dns"] == "mx":
        how = "relaying to relaylab sim-smtp as %s [%s], which %s" % (c["mx"], addr.remote(c["n"]), c["did"])
    else:
        how = "resolving with relaylab sim-dns, where %s" % c["did"]
    what = {"failure": "", "delayed": " (its delay warning)", "delivered": " (its success notice)"}[kind]
    if mta_name(mta_version) == "opensmtpd" and kind == "failure" and \
            c["per_mta"].get("opensmtpd", {}).get(kind) == casedef.OPENSMTPD_EXPIRED:
        what = " (its expiry notice, worded as a delay: 'Envelope expired', Action delayed)"
    return "captured: %s %s%s" % (mta_version, how, what)


def write_label(stem, lab):
    with open(stem + ".expect.json", "w") as fh:
        json.dump(lab, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def relabel(mta, outdir):
    """Rewrites every <name>.expect.json of one MTA from cases.py, for the reports already
    captured: the label is the scripted truth, so it needs no new capture when cases.py's
    labels change. The MTA version is kept from the old made_by."""
    all_cases = casedef.numbered()
    addr = world.Addresses(mta)
    Driver = mta_driver(mta)
    n = 0
    for f in sorted(os.listdir(outdir)):
        if not f.endswith(".eml"):
            continue
        with open(os.path.join(outdir, f), "rb") as fh:
            raw = fh.read()
        c, kind = case_of(raw, all_cases), report_kind(raw)
        stem = os.path.join(outdir, f[:-4])
        with open(stem + ".expect.json") as fh:
            old = json.load(fh)["made_by"]
        version = re.match(r"captured: (.*?) (relaying to|resolving with) ", old).group(1)
        write_label(stem, label(c, kind, expected(c, mta)[kind], made_by(version, c, addr, kind),
                                Driver.names_stage))
        n += 1
    print("relabelled %d reports in %s" % (n, outdir))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mta")
    ap.add_argument("--relaylab", default=os.path.join(REPO, "build", "relaylab"))
    ap.add_argument("--pkgroot", default="/tmp/capture-mtas/root",
                    help="where fetch-mtas.sh unpacked Exim, Sendmail and OpenSMTPD")
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "diagnosis", "corpus", "captured"))
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs, transcripts)")
    ap.add_argument("--relabel", action="store_true",
                    help="only rewrite the labels of the reports already in --out/<mta>/ from cases.py")
    args = ap.parse_args()
    if args.relabel:
        relabel(args.mta, os.path.join(args.out, args.mta))
        return

    all_cases = casedef.numbered()
    if args.only:
        wanted = set(args.only.split(","))
        all_cases = [c for c in all_cases if c["name"] in wanted]
    addr = world.Addresses(args.mta)
    work = tempfile.mkdtemp(prefix="capture-%s-" % args.mta)
    os.chmod(work, 0o755)
    namespace.enter_private(addr, args.mta, work)
    Driver = mta_driver(args.mta)
    mta = Driver(work, addr, TIMING, casedef.numbered(), args.pkgroot)
    w = world.World(args.relaylab, addr, work, all_cases)
    outdir = os.path.join(args.out, args.mta)
    os.makedirs(outdir, exist_ok=True)
    got, notes = {}, []
    try:
        w.start()
        mta.setup()
        mta.start()
        time.sleep(2)
        version = mta.version()
        print("capturing with", version, "in", work, flush=True)
        for c in all_cases:
            err = submit(addr, c, args.mta)
            if err:
                notes.append("%s: %s" % (c["name"], err))
                print("  not submitted:", c["name"], err, flush=True)
        want = {(c["n"], k) for c in all_cases for k in expected(c, args.mta)}
        deadline = time.time() + TIMING["lifetime"] + GRACE_SECONDS + Driver.extra_grace
        seen = set()
        while time.time() < deadline and not want <= set(got):
            for f in sorted(os.listdir(w.sink_dir)):
                if f in seen:
                    continue
                # smtp-sink creates the file before it has written the transaction: read it
                # only once it is non-empty and has not changed for a moment.
                st = os.stat(os.path.join(w.sink_dir, f))
                if st.st_size == 0 or time.time() - st.st_mtime < SETTLE_SECONDS:
                    continue
                seen.add(f)
                with open(os.path.join(w.sink_dir, f), "rb") as fh:
                    raw = strip_sink_headers(fh.read())
                c = case_of(raw, all_cases)
                kind = report_kind(raw)
                key = (c["n"] if c else 0, kind)
                if c is None or key not in want or key in got:
                    extra = os.path.join(work, "extra-%s-%s.eml" % (c["name"] if c else "unknown", f))
                    with open(extra, "wb") as fh:
                        fh.write(raw)
                    notes.append("unexpected %s report for %s: %s" % (kind, c["name"] if c else "?", extra))
                    continue
                got[key] = raw
                suffix = "" if kind in ("failure", "delivered") else "-" + kind
                stem = os.path.join(outdir, c["name"] + suffix)
                with open(stem + ".eml", "wb") as fh:
                    fh.write(raw)
                write_label(stem, label(c, kind, expected(c, args.mta)[kind],
                                        made_by(version, c, addr, kind), Driver.names_stage))
                print("  captured %-45s %s" % (c["name"] + suffix, kind), flush=True)
            time.sleep(POLL_SECONDS)
        for n, k in sorted(want - set(got)):
            notes.append("missing: %s %s" % (next(c["name"] for c in all_cases if c["n"] == n), k))
    finally:
        mta.stop()
        w.stop()
        with open(os.path.join(work, "log-lines.txt"), "w") as fh:
            fh.write("\n".join(mta.final_log_lines()) + "\n")
    print("%d captured, %d expected" % (len(got), len(want)))
    for n in notes:
        print("note:", n)
    if args.keep:
        print("work dir kept:", work)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
