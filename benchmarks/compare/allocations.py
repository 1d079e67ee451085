#!/usr/bin/env python3
"""Managed bytes a svcproxy subject allocates per proxied connection, from the runtime's own counter.

wrk opens one connection per request (`Connection: close`) while dotnet-counters records
`dotnet.gc.heap.total_allocated`; the bytes allocated over the run divided by the requests is what
each connection costs the GC. Bytes that stay live for a connection's life are part of it.

Needs dotnet-counters (`dotnet tool install -g dotnet-counters`). Usage (after run.sh has published svcproxy once):
  python3 benchmarks/compare/allocations.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \\
      --subjects svcproxy svcproxy-dotnetaccept --rounds 2 --duration 5
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from subjects import running

COUNTER = "dotnet.gc.heap.total_allocated"


def dotnet_counters() -> str:
    found = shutil.which("dotnet-counters") or os.path.expanduser("~/.dotnet/tools/dotnet-counters")
    if not os.path.exists(found):
        raise SystemExit("dotnet-counters is missing: dotnet tool install -g dotnet-counters")
    return found


def measure(subject, rounds: int, duration: int, tool: str) -> list[str]:
    """One counters session for all rounds (a process takes one metrics session at a time, and a
    closed one lingers); each round's samples are told apart by their timestamps."""
    host, port = subject.endpoint("http")
    windows = []
    with tempfile.TemporaryDirectory(prefix="svcproxy-alloc-") as work:
        out = Path(work) / "counters.csv"
        counters = subprocess.Popen([tool, "collect", "-p", str(subject.pids()[0]), "--counters", "System.Runtime",
                                     "--refresh-interval", "1", "--format", "csv", "-o", str(out)],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            warm = ["wrk", "-t", "2", "-c", "64", "-d", "3s", "-H", "Connection: close", f"http://{host}:{port}/"]
            subprocess.run(warm, capture_output=True, timeout=60)  # JIT, pools and first-use garbage are not per connection
            time.sleep(3)  # the session is up and has published its first sample
            for _ in range(rounds):
                cmd = ["wrk", "-t", "2", "-c", "64", "-d", f"{duration}s", "-H", "Connection: close", f"http://{host}:{port}/"]
                began = datetime.now().replace(microsecond=0)
                result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30).stdout
                time.sleep(2)  # the next round starts in a new interval
                windows.append((began, int(re.search(r"(\d+) requests in", result).group(1))))
            time.sleep(4)  # the last round's intervals are published
        finally:
            counters.send_signal(2)
            log = counters.communicate(timeout=30)[0]
        if not out.exists():
            raise RuntimeError(f"dotnet-counters wrote nothing:\n{log}")
        with out.open() as f:
            samples = [(datetime.strptime(row[0], "%m/%d/%Y %H:%M:%S"), float(row[4]))
                       for row in csv.reader(f) if len(row) > 4 and row[2].startswith(COUNTER)]
    lines = []
    for i, (began, requests) in enumerate(windows):
        ended = windows[i + 1][0] if i + 1 < len(windows) else datetime.max
        allocated = sum(value for stamp, value in samples if began < stamp <= ended)
        lines.append(f"{subject.name:22} {requests:8d} connections  {allocated / requests:7.0f} B allocated per connection")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--subjects", nargs="*", default=["svcproxy"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    tool = dotnet_counters()
    with running(Path(args.svcproxy), args.subjects, prefix="svcproxy-alloc-") as subjects:
        print(f"{args.rounds} rounds of {args.duration} s (Connection: close, wrk -t 2 -c 64)", flush=True)
        for subject in subjects:
            if not subject.name.startswith("svcproxy"):
                raise SystemExit(f"{subject.name}: only svcproxy subjects have .NET counters")
            for line in measure(subject, args.rounds, args.duration, tool):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
