#!/usr/bin/env python3
"""How much of a ping-pong round trip is the proxy's, and how much is where the scheduler puts the
three processes of a round trip (sockperf's client, the proxy, sockperf's server) on the CPUs.

Each round runs sockperf's TCP and UDP ping-pong at full rate against every named subject under
every placement, the placements' order reversed every other round:
  free          nothing pinned, as in compare.py
  split         sockperf's client on CPU 0, its server on CPU 1 (the proxy where the kernel puts it)
  same          sockperf's client and server both on CPU 0
  proxy-pinned  the client and server free, the proxy's event threads pinned one per CPU (nginx's
                workers, svcproxy's loop threads; HAProxy's threads)
Pinning uses taskset(1) on the running processes and threads; everything is unpinned at the end.

Usage (after run.sh has published svcproxy once):
  python3 benchmarks/compare/placement.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \
      --subjects nginx svcproxy svcproxy-splice --rounds 5 --duration 4
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

import compare
from subjects import Subject, running

PLACEMENTS = ("free", "split", "same", "proxy-pinned")
ALL_CPUS = "0,1"


def taskset(cpus: str, tid: int) -> None:
    subprocess.run(["taskset", "-pc", cpus, str(tid)], capture_output=True, check=False)


def threads(pid: int) -> list[tuple[int, str]]:
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            found.append((int(tid), Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()))
        except OSError:
            pass  # the thread ended
    return sorted(found)


def event_threads(subject: Subject) -> list[int]:
    """The threads that carry the subject's connections, in a stable order."""
    pids = sorted(subject.pids())
    if subject.name.startswith("nginx"):
        return pids[1:]  # the workers; the master only starts them
    if subject.name.startswith("svcproxy"):
        return [tid for pid in pids for tid, name in threads(pid) if name.startswith("ServiceProxy lo")]
    return [tid for pid in pids for tid, _ in threads(pid)]


def sockperf_servers() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "sockperf server"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def place(placement: str, subjects: list[Subject]) -> str | None:
    """Pins for `placement`; returns the CPU list sockperf's client runs on (None: anywhere)."""
    client, server = {"split": ("0", "1"), "same": ("0", "0")}.get(placement, (None, ALL_CPUS))
    for pid in sockperf_servers():
        taskset(server, pid)
    for subject in subjects:
        for i, tid in enumerate(event_threads(subject)):
            taskset(str(i % 2) if placement == "proxy-pinned" else ALL_CPUS, tid)
    return client


def ping_pong(subject: Subject, udp: bool, duration: int, client_cpus: str | None) -> float:
    host, port = subject.endpoint("sockperf_udp" if udp else "sockperf_tcp")
    return compare.sockperf_run(host, port, udp, duration, cpus=client_cpus)[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--subjects", nargs="+", default=["nginx", "svcproxy", "svcproxy-splice"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=4)
    args = parser.parse_args()
    averages: dict[tuple[str, str, str], list[float]] = {}
    with running(Path(args.svcproxy), args.subjects, prefix="svcproxy-placement-") as subjects:
        try:
            for r in range(args.rounds):
                for placement in PLACEMENTS if r % 2 == 0 else reversed(PLACEMENTS):
                    client = place(placement, subjects)
                    for proto in ("tcp", "udp"):
                        line = []
                        for subject in subjects:
                            if not subject.has(f"sockperf_{proto}"):
                                continue
                            avg = ping_pong(subject, proto == "udp", args.duration, client)
                            averages.setdefault((placement, proto, subject.name), []).append(avg)
                            line.append(f"{subject.name} {avg:.1f}")
                            time.sleep(0.3)
                        print(f"round {r + 1} {placement:12} {proto}: " + ", ".join(line), flush=True)
        finally:
            place("free", subjects)
    print(f"\naverage round trip, µs: median of {args.rounds} rounds (lowest–highest)")
    for placement in PLACEMENTS:
        for proto in ("tcp", "udp"):
            cells = [f"{name} {statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"
                     for (p, q, name), v in averages.items() if (p, q) == (placement, proto)]
            print(f"{placement:12} {proto}: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
