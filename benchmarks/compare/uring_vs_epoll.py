#!/usr/bin/env python3
"""What io_uring buys a TCP relay over epoll on the comparison's HTTP figures, measured rather than
assumed: uring_relay.c built once, run as `epoll` (epoll_wait, recv, send) and as `uring` (multishot
accept; connect, recv, send and shutdown as io_uring operations, each loop iteration one
io_uring_enter), beside HAProxy and svcproxy, against the same nginx backend. For each subject:
wrk's rate with 64 kept-alive connections and with a new connection per request, and the relay's
CPU per request. Rounds are interleaved (round, figure, subject), as in compare.py, and the median
of the rounds is printed with every round's value.

Needs liburing-dev (installed when missing) and a published svcproxy (run.sh publishes one).

Usage: python3 benchmarks/compare/uring_vs_epoll.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \\
           [--rounds 3] [--duration 5] [--threads 2] [--peers haproxy svcproxy]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from compare import saturated
from subjects import HOST, Process, Subject, _wait_tcp, free_port, make_subjects

HERE = Path(__file__).resolve().parent


def build(work: Path) -> Path:
    if not Path("/usr/include/liburing.h").exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "liburing-dev"], check=True, capture_output=True)
    binary = work / "uring_relay"
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(binary), str(HERE / "uring_relay.c"), "-luring", "-lpthread"], check=True)
    return binary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svcproxy", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="relay threads (HAProxy and svcproxy run 2 on 2 cores)")
    parser.add_argument("--peers", nargs="*", default=["haproxy", "svcproxy"])
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="svcproxy-uring-"))
    try:
        binary = build(work)
        subjects, backends = make_subjects(work, args.svcproxy, args.peers)
        relays = []
        for mode in ("epoll", "uring"):
            port = free_port()
            process = Process(f"relay-{mode}", [str(binary), mode, str(port), str(backends.ports["http"]), str(args.threads)], work / f"relay-{mode}.log")
            relays.append(Subject(f"relay-{mode}", HOST, {"http": port}, process))
        everyone = relays + subjects
        backends.start()
        try:
            for subject in everyone:
                subject.start()
            for subject in relays:
                _wait_tcp(HOST, subject.ports["http"], 15)
            for subject in subjects:
                subject.wait_ready()

            figures = {(name, s.name): [] for name in ("keepalive", "new_conn") for s in everyone}
            for round_no in range(args.rounds):
                order = everyone[round_no % len(everyone):] + everyone[:round_no % len(everyone)]
                for name, close in (("keepalive", False), ("new_conn", True)):
                    for subject in order:
                        rate, cpu_us = saturated(subject, close, args.duration)
                        figures[(name, subject.name)].append((rate, cpu_us))
                        print(f"round {round_no + 1}  {name:9}  {subject.name:12}  {rate:10.0f}/s  {cpu_us or 0:7.1f} µs CPU/req", flush=True)
        finally:
            for subject in everyone:
                subject.stop()
            backends.stop()

        print("\n| figure | subject | rate (median; rounds) | proxy CPU per request, µs (median) |\n|---|---|---|---|")
        for (name, subject), values in figures.items():
            rates = [r for r, _ in values]
            cpus = [c for _, c in values if c is not None]
            cpu = f"{statistics.median(cpus):.1f}" if cpus else "–"
            print(f"| {name} | {subject} | {statistics.median(rates):,.0f} ({', '.join(f'{r / 1000:.1f} k' for r in rates)}) | {cpu} |")
        for name in ("keepalive", "new_conn"):
            ratios = [u[0] / e[0] for u, e in zip(figures[(name, "relay-uring")], figures[(name, "relay-epoll")])]
            print(f"{name}: uring ÷ epoll per round: {', '.join(f'{r:.2f}' for r in ratios)}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
