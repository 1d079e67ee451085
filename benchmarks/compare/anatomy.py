#!/usr/bin/env python3
"""Where an HTTP request's cost goes, per subject: the rate, the proxy's CPU per request and per
thread, its context switches, the CPU the backend and wrk spent per request, the TCP segments per
request, and how idle the machine stayed.

Rates on this shared 2-core machine swing by ±10 % between identical runs; these figures move much
less, and they explain a rate: a proxy whose CPU per request is lower but whose machine is left idle
is waiting on one of its own threads; equal segments per request mean equal kernel network work.

Usage (after run.sh has published svcproxy once):
  python3 benchmarks/compare/anatomy.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \\
      --subjects haproxy nginx svcproxy --rounds 2 --duration 5 [--close]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

from subjects import running

TICK = os.sysconf("SC_CLK_TCK")


def thread_files(pids: list[int], name: str) -> dict[str, str]:
    """/proc/PID/task/TID/<name> of every live thread of the processes, by thread id."""
    out = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except FileNotFoundError:
            continue
        for tid in tids:
            try:
                out[tid] = Path(f"/proc/{pid}/task/{tid}/{name}").read_text()
            except FileNotFoundError:
                continue  # the thread ended
    return out


def switches(pids: list[int]) -> tuple[int, int]:
    """Voluntary and involuntary context switches so far of every thread of the processes."""
    statuses = thread_files(pids, "status").values()
    count = lambda field: sum(int(re.search(rf"^{field}:\s+(\d+)", s, re.M).group(1)) for s in statuses)
    return count("voluntary_ctxt_switches"), count("nonvoluntary_ctxt_switches")


def cpu(pids: list[int]) -> float:
    """CPU seconds so far of the processes (all their threads)."""
    return sum(cpu for _, cpu in threads(pids).values())


def threads(pids: list[int]) -> dict[str, tuple[str, float]]:
    """Name and CPU seconds so far of every thread of the processes, by thread id."""
    out = {}
    for tid, stat in thread_files(pids, "stat").items():
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def tcp_out_segments() -> int:
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Tcp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))["OutSegs"])


def idle_ticks() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values)


def measure(subject, close: bool, duration: int) -> str:
    host, port = subject.endpoint("http")
    pids = subject.pids()
    cmd = ["wrk", "-t", "2", "-c", "64", "-d", f"{duration}s", f"http://{host}:{port}/"]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    backend = subject.backends.http_pids()
    before, segments, (idle0, total0) = threads(pids), tcp_out_segments(), idle_ticks()
    switches0, backend0 = switches(pids), cpu(backend)
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = wrk.stdout.read()
    _, status, wrk_usage = os.wait4(wrk.pid, 0)  # this child's own CPU
    wrk.returncode = os.waitstatus_to_exitcode(status)
    after, segments, (idle1, total1) = threads(pids), tcp_out_segments() - segments, idle_ticks()
    switches1, backend1 = switches(pids), cpu(backend)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    used = {tid: (name, cpu - before.get(tid, (name, 0.0))[1]) for tid, (name, cpu) in after.items()}
    total_cpu = sum(cpu for _, cpu in used.values())
    busy = sorted(((cpu, name) for name, cpu in used.values() if cpu / duration >= 0.02), reverse=True)
    per_thread = ", ".join(f"{name} {cpu / duration:.0%}" for cpu, name in busy) or "-"
    wrk_cpu = wrk_usage.ru_utime + wrk_usage.ru_stime
    return (f"{subject.name:22} {rate:10.0f}/s  proxy CPU {total_cpu / requests * 1e6:6.1f} µs/req  "
            f"switches/req {(switches1[0] - switches0[0]) / requests:4.2f} voluntary, {(switches1[1] - switches0[1]) / requests:4.2f} not  "
            f"backend {(backend1 - backend0) / requests * 1e6:5.1f} µs/req  wrk {wrk_cpu / requests * 1e6:5.1f} µs/req  "
            f"segments/req {segments / requests:4.2f}  machine idle {(idle1 - idle0) / max(1, total1 - total0):5.1%}  "
            f"threads: {per_thread}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--subjects", nargs="*", default=["haproxy", "nginx", "svcproxy"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--close", action="store_true", help="Connection: close (a new connection per request)")
    args = parser.parse_args()
    with running(Path(args.svcproxy), args.subjects, prefix="svcproxy-anatomy-") as subjects:
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no}/{args.rounds} ({'Connection: close' if args.close else 'keep-alive'}, wrk -t 2 -c 64)", flush=True)
            for subject in subjects:
                print(measure(subject, args.close, args.duration), flush=True)
                time.sleep(0.5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
