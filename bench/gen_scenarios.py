#!/usr/bin/env python3
"""Writes N generated scenarios (docs/scenarios.md format) into DIR for the scenario-speed bench.

Four shapes in rotation, each with its own domain, handset and retry lifetime: a remote that
answers 451 at RCPT for ever (retries until expiry), greylisting (451 once, then delivered),
550 at RCPT (bounced at once) and 553 at MAIL (the 2009 sender rejection). Every scenario
states its outcome, so a wrong run fails rather than just running fast.
Usage: gen_scenarios.py DIR [N=100]
"""
import json
import sys

LIFETIMES = ["1h", "6h", "1d", "5d"]


def scenario(i):
    shape = i % 4
    domain = f"isp{i}.example"
    mx = f"mx1.{domain}"
    rcpt = f"user{i}@{domain}"
    handset = f"h{i}@docomo.ne.jp"
    lifetime = LIFETIMES[(i // 4) % len(LIFETIMES)]
    script, expect = {}, {"recipient": rcpt}
    if shape == 0:
        script = {"rcpt": {"reply": "451 4.3.0 Temporary local problem, try later"}}
        expect.update(status="expired", dsn="4.3.0")
    elif shape == 1:
        script = {"attempts": [{"rcpt": {"reply": "451 4.7.1 Greylisted, try again"}}]}
        expect.update(status="delivered", attempts=2)
    elif shape == 2:
        script = {"rcpt": {"reply": "550 5.1.1 User unknown"}}
        expect.update(status="bounced", dsn="5.1.1")
    else:
        script = {"mail": {"reply": "553 malformed address"}}
        expect.update(status="bounced", dsn="5.1.7")
    return {
        "name": f"generated-{i}",
        "description": "generated for bench/scenario-speed.sh",
        "world": {
            "dns": {"names": {domain: {"mx": [{"preference": 10, "host": mx}]}}},
            "remotes": {mx: {"profile": "postfix", "script": script}},
        },
        "gateway": {"retry": {"lifetime": lifetime}},
        "submissions": [{"at": "0s", "from": handset, "to": [rcpt]}],
        "expect": [expect, {"nothing_lost": True}],
    }


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    for i in range(n):
        with open(f"{out}/generated-{i:04d}.json", "w") as f:
            json.dump(scenario(i), f, indent=1)


if __name__ == "__main__":
    main()
