#!/usr/bin/env python3
"""Writes N scenarios (default 1000) into DIR, variations of the library's, for bench/run-suite.sh.

Scenario i is library scenario i mod L under its own name ("<name>-v<i>"), started i hours later
and, unless it pins its seed, with seed i+1: the same world, gateway, submissions and
expectations, so every one must still pass. A suite the size a CI would run, made of the shapes
the library already covers (DNS failures, tarpits, 5-day retries, greylisting, notices).
Usage: gen_suite.py LIBRARY_DIR DIR [N=1000]
"""
import datetime
import json
import pathlib
import sys

DEFAULT_START = datetime.datetime(2009, 6, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)


def main():
    library, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    sources = sorted(library.glob("*.json"))
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        src = sources[i % len(sources)]
        s = json.loads(src.read_text())
        s["name"] = f"{s.get('name', src.stem)}-v{i:04d}"
        start = DEFAULT_START
        if "start" in s:
            start = datetime.datetime.fromisoformat(s["start"].replace("Z", "+00:00"))
        s["start"] = (start + datetime.timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        s.setdefault("seed", i + 1)
        (out / f"{s['name']}.json").write_text(json.dumps(s, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
