#!/usr/bin/env python3
"""What io_uring buys a TCP relay over epoll on the comparison's HTTP figures, measured rather than
assumed: uring_relay.c built once, run as `epoll` (epoll_wait, recv, send), as `uring` (multishot
accept; connect, recv, send and shutdown as io_uring operations, each loop iteration one
io_uring_enter) and as `uring-link` (each send linked to the next recv, with no completion of its
own), beside HAProxy and svcproxy, against the same backends. For each subject: wrk's rate with 64
kept-alive connections and with a new connection per request, and the relay's CPU per request;
with `--fixed-rates`, also sockperf's TCP ping-pong paced at those rates (the relay's CPU share)
and at full rate (latency). Rounds are interleaved (round, figure, subject), as in compare.py, and
the median of the rounds is printed with every round's value.

With `--udp`, the same for a datagram round trip: udp_relay.c run as `epoll` (recvfrom until
EAGAIN, sendto), `uring` (multishot recvmsg/recv into provided buffers, send(2)) and `uring-send`
(the send an io_uring operation too), beside the peers, on sockperf's UDP ping-pong at full rate.

Needs liburing-dev (installed when missing) and a published svcproxy (run.sh publishes one).

Usage: python3 benchmarks/compare/uring_vs_epoll.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \\
           [--rounds 3] [--duration 5] [--threads 2] [--peers haproxy svcproxy]
           [--modes epoll uring uring-link] [--figures keepalive new_conn] [--fixed-rates 1000 5000]
       python3 benchmarks/compare/uring_vs_epoll.py --svcproxy ... --udp [--peers nginx svcproxy svcproxy-splice]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from compare import fixed_rate, saturated, sockperf
from subjects import HOST, Process, Subject, _wait_tcp, free_port, make_subjects

HERE = Path(__file__).resolve().parent


def build(work: Path, name: str = "uring_relay") -> Path:
    if not Path("/usr/include/liburing.h").exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "liburing-dev"], check=True, capture_output=True)
    binary = work / name
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(binary), str(HERE / f"{name}.c"), "-luring", "-lpthread"], check=True)
    return binary


def udp_pingpong(args: argparse.Namespace, work: Path) -> int:
    """Full-rate UDP ping-pong through udp_relay.c in each mode and through the peers, interleaved."""
    binary = build(work, "udp_relay")
    subjects, backends = make_subjects(work, args.svcproxy, args.peers)
    relays = []
    for mode in args.modes:
        port = free_port()
        process = Process(f"udp-{mode}", [str(binary), mode, str(port), str(backends.ports["sockperf_udp"])], work / f"udp-{mode}.log")
        relays.append(Subject(f"udp-{mode}", HOST, {"sockperf_udp": port}, process))
    everyone = relays + [s for s in subjects if s.has("sockperf_udp")]
    results: dict[str, list[tuple[float, float]]] = {s.name: [] for s in everyone}
    backends.start()
    try:
        for subject in everyone:
            subject.start()
        time.sleep(0.5)  # the relays bind at once; nothing to poll for on UDP
        for subject in subjects:
            subject.wait_ready()
        for round_no in range(args.rounds):
            for subject in everyone[round_no % len(everyone):] + everyone[:round_no % len(everyone)]:
                avg, p99 = sockperf(*subject.endpoint("sockperf_udp"), True, args.duration)
                results[subject.name].append((avg, p99))
                print(f"round {round_no + 1}  udp ping-pong  {subject.name:15}  avg {avg:6.1f} µs  p99 {p99:6.1f} µs", flush=True)
    finally:
        for subject in everyone:
            subject.stop()
        backends.stop()
    print("\n| UDP ping-pong | subject | avg µs (median; rounds) | p99 µs (median) |\n|---|---|---|---|")
    for name, values in results.items():
        print(f"| full rate | {name} | {statistics.median(v[0] for v in values):.1f} ({', '.join(f'{v[0]:.1f}' for v in values)}) | "
              f"{statistics.median(v[1] for v in values):.1f} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svcproxy", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="relay threads (HAProxy and svcproxy run 2 on 2 cores)")
    parser.add_argument("--peers", nargs="*", default=["haproxy", "svcproxy"])
    parser.add_argument("--modes", nargs="*", default=["epoll", "uring", "uring-link"])
    parser.add_argument("--figures", nargs="*", default=["keepalive", "new_conn"], choices=["keepalive", "new_conn"])
    parser.add_argument("--fixed-rates", nargs="*", type=int, default=[], help="also ping-pong paced at these rates, and at full rate")
    parser.add_argument("--udp", action="store_true", help="UDP ping-pong through udp_relay.c (modes epoll uring uring-send) instead")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="svcproxy-uring-"))
    try:
        if args.udp:
            if args.modes == parser.get_default("modes"):
                args.modes = ["epoll", "uring", "uring-send"]
            return udp_pingpong(args, work)
        binary = build(work)
        subjects, backends = make_subjects(work, args.svcproxy, args.peers)
        relays = []
        # One relay process per backend (it relays to one port); the ping-pong one is named after its mode too.
        for mode in args.modes:
            for role, suffix in (("http", ""), ("sockperf_tcp", "-pp")) if args.fixed_rates else (("http", ""),):
                port = free_port()
                process = Process(f"relay-{mode}{suffix}", [str(binary), mode, str(port), str(backends.ports[role]), str(args.threads)], work / f"relay-{mode}{suffix}.log")
                relays.append(Subject(f"relay-{mode}{suffix}", HOST, {role: port}, process))
        everyone = relays + subjects
        backends.start()
        try:
            for subject in everyone:
                subject.start()
            for subject in relays:
                _wait_tcp(HOST, next(iter(subject.ports.values())), 15)
            for subject in subjects:
                subject.wait_ready()

            figures = {(name, s.name): [] for name in args.figures for s in everyone if s.has("http")}
            paced = {(mps, s.name): [] for mps in args.fixed_rates for s in everyone if s.has("sockperf_tcp")}
            full = {s.name: [] for s in everyone if args.fixed_rates and s.has("sockperf_tcp")}
            for round_no in range(args.rounds):
                order = everyone[round_no % len(everyone):] + everyone[:round_no % len(everyone)]
                for name in args.figures:
                    for subject in (s for s in order if s.has("http")):
                        rate, cpu_us = saturated(subject, name == "new_conn", args.duration)
                        figures[(name, subject.name)].append((rate, cpu_us))
                        print(f"round {round_no + 1}  {name:9}  {subject.name:12}  {rate:10.0f}/s  {cpu_us or 0:7.1f} µs CPU/req", flush=True)
                for mps in args.fixed_rates:
                    for subject in (s for s in order if s.has("sockperf_tcp")):
                        avg, p99, held, share, _ = fixed_rate(subject, mps, args.duration)
                        paced[(mps, subject.name)].append((share or 0, avg, p99, held))
                        print(f"round {round_no + 1}  {mps} mps  {subject.name:15}  {share or 0:5.1f} % CPU  avg {avg:6.1f} µs  p99 {p99:6.1f} µs  {held:7.0f} msg/s", flush=True)
                for subject in (s for s in order if s.name in full):
                    avg, p99 = sockperf(*subject.endpoint("sockperf_tcp"), False, args.duration)
                    full[subject.name].append((avg, p99))
                    print(f"round {round_no + 1}  ping-pong  {subject.name:15}  avg {avg:6.1f} µs  p99 {p99:6.1f} µs", flush=True)
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
        for name in args.figures:
            for mode in (m for m in args.modes if m != "epoll" and "epoll" in args.modes):
                ratios = [u[0] / e[0] for u, e in zip(figures[(name, f"relay-{mode}")], figures[(name, "relay-epoll")])]
                print(f"{name}: {mode} ÷ epoll per round: {', '.join(f'{r:.2f}' for r in ratios)}")
        if paced:
            print("\n| rate | subject | CPU share, % of a core (median; rounds) | avg µs | p99 µs | msg/s held |\n|---|---|---|---|---|---|")
            for (mps, subject), values in paced.items():
                shares = [v[0] for v in values]
                print(f"| {mps} | {subject} | {statistics.median(shares):.1f} ({', '.join(f'{x:.1f}' for x in shares)}) | "
                      f"{statistics.median(v[1] for v in values):.1f} | {statistics.median(v[2] for v in values):.1f} | {statistics.median(v[3] for v in values):.0f} |")
            print("\n| ping-pong | subject | avg µs (median; rounds) | p99 µs (median) |\n|---|---|---|---|")
            for subject, values in full.items():
                print(f"| full rate | {subject} | {statistics.median(v[0] for v in values):.1f} ({', '.join(f'{v[0]:.1f}' for v in values)}) | {statistics.median(v[1] for v in values):.1f} |")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
