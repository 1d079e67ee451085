#!/usr/bin/env python3
"""Runs the side-by-side comparison; see run.sh for the entry point.

Every subject proxies to the same backends on 127.0.0.1 (iperf3, sockperf TCP and UDP, an nginx
HTTP server with a tiny body). Figures are measured interleaved (round → figure → subject) so drift
hits every subject alike, and the median of the rounds is reported.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import connections as connection_figures
from subjects import Subject, running
from report import write_report

PEERS = ("haproxy", "haproxy-splice", "nginx")


def run(cmd: list[str], timeout: float) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return proc.stdout


# ---- figures -------------------------------------------------------------------------------

def iperf(host: str, port: int, streams: int, duration: int) -> float:
    out = run(["iperf3", "-c", host, "-p", str(port), "-t", str(duration), "-P", str(streams), "-J"], duration + 30)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9


def sockperf(host: str, port: int, udp: bool, duration: int) -> tuple[float, float]:
    avg, p99, _, _ = sockperf_run(host, port, udp, duration)
    return avg, p99


def sockperf_run(host: str, port: int, udp: bool, duration: int, mps: int | None = None,
                 cpus: str | None = None) -> tuple[float, float, float, int]:
    """Average and p99 latency (µs) of a 64-byte ping-pong, the seconds messages flowed and the
    messages sent (sockperf's total run, warm-up included): back to back, or paced at `mps` per
    second; the client pinned to `cpus` (taskset's list) when given."""
    cmd = ["sockperf", "ping-pong", "-i", host, "-p", str(port), "-m", "64", "-t", str(duration)]
    if not udp:
        cmd.append("--tcp")
    if mps:
        cmd.append(f"--mps={mps}")
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    out = run(cmd, duration + 30)
    avg = float(re.search(r"avg-(?:latency|lat|rtt)\s*=\s*([\d.]+)", out).group(1))
    p99 = float(re.search(r"percentile 99\.000\s*=\s*([\d.]+)", out).group(1))
    total = re.search(r"\[Total Run\] RunTime=([\d.]+) sec;.*?SentMessages=(\d+)", out)
    return avg, p99, float(total.group(1)), int(total.group(2))


def wrk(host: str, port: int, close: bool, duration: int) -> float:
    return wrk_run(host, port, close, duration)[0]


def wrk_run(host: str, port: int, close: bool, duration: int, connections: int = 64) -> tuple[float, int]:
    """Requests per second and requests completed by wrk (2 threads, `connections` connections)."""
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", f"http://{host}:{port}/"]
    if close:
        cmd[1:1] = ["-H", "Connection: close"]
    out = run(cmd, duration + 30)
    return float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1)), int(re.search(r"(\d+) requests in", out).group(1))


def saturated(subject: Subject, close: bool, duration: int, connections: int = 64) -> tuple[float, float | None]:
    """wrk's request rate through the subject and the proxy's CPU per request (µs, user + system
    time of all its processes over the run / requests); no CPU figure without a proxy process."""
    pids = subject.pids()
    before = cpu_seconds(pids)
    rate, requests = wrk_run(*subject.endpoint("http"), close, duration, connections)
    used = cpu_seconds(pids) - before
    return rate, (used / requests * 1e6 if pids and requests else None)


FIXED_RATES = (1000, 5000, 20000)


def fixed_rate(subject: Subject, mps: int, duration: int) -> tuple[float, float, float, float | None, float | None]:
    """TCP ping-pong paced at `mps` messages per second: latency average and p99 (µs), the rate that
    was held (a round trip longer than the period lowers it, and with it the CPU), the proxy's CPU
    share (% of one core, all its processes) while messages flowed, and its CPU per message (µs).
    The proxy is idle before and after sockperf's run, so CPU over the whole call / sockperf's run
    time is its share. Where every subject holds the rate, share and CPU per message rank them
    alike; where the round trip caps the rate below `mps`, subjects that held different rates did
    different work, and only the CPU per message compares them."""
    pids = subject.pids()
    before = cpu_seconds(pids)
    avg, p99, flowed, sent = sockperf_run(*subject.endpoint("sockperf_tcp"), False, duration, mps)
    used = cpu_seconds(pids) - before
    measured = pids and flowed > 0 and sent > 0
    return avg, p99, sent / flowed, (used / flowed * 100 if measured else None), (used / sent * 1e6 if measured else None)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds so far of the processes (all their threads)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except FileNotFoundError:
            pass
    return total


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def idle_rss_per_connection(subject: Subject, count: int) -> float:
    """RSS growth per idle connection through the subject to the HTTP backend: the marginal cost.

    The subject is restarted first and warmed up with 200 connections. A process whose heap grew
    under the figures before absorbs new connections without RSS moving (svcproxy showed 0.00 KiB,
    which says nothing), while a fresh one also counts its JIT and first garbage. So half of
    `count` connections are opened, then RSS is read, then the other half: the figure is the growth
    over the second half divided by its connections, all of which stay open.
    """
    subject.stop()
    subject.start()
    subject.wait_ready()
    host, port = subject.endpoint("http")
    warm = [socket.create_connection((host, port), timeout=5) for _ in range(200)]
    time.sleep(1)
    for s in warm:
        s.close()
    sockets = []
    half = count // 2
    try:
        deadline = time.monotonic() + 60
        readings = []
        for _ in range(2):
            for _ in range(half):
                if time.monotonic() > deadline:
                    raise RuntimeError("opening idle connections took over 60 s")
                sockets.append(socket.create_connection((host, port), timeout=5))
            time.sleep(2)  # let the proxy dial every backend connection
            readings.append(rss_kib(subject.pids()))
    finally:
        for s in sockets:
            s.close()
    return max(0.0, (readings[1] - readings[0]) / half)


FIGURES = {
    # name: (unit, higher_is_better, needs_udp, fn(subject, args) -> value or (avg, p99))
    "tcp_gbps_1": ("Gbit/s", True),
    "tcp_gbps_8": ("Gbit/s", True),
    "tcp_pingpong_avg_us": ("µs", False),
    "tcp_pingpong_p99_us": ("µs", False),
    "udp_pingpong_avg_us": ("µs", False),
    "udp_pingpong_p99_us": ("µs", False),
    "new_conn_per_s": ("conn/s", True),
    "keepalive_req_per_s": ("req/s", True),
    "idle_conn_rss_kib": ("KiB/conn", False),
    "new_conn_cpu_us_per_req": ("µs CPU/req", False),
    "keepalive_cpu_us_per_req": ("µs CPU/req", False),
    **{f"{name}_{c}_{kind}": (unit, kind.endswith("per_s")) for name, counts in (("keepalive", (256, 1000)), ("new_conn", (256,)))
       for c in counts for kind, unit in ((("req_per_s" if name == "keepalive" else "per_s"), "req/s" if name == "keepalive" else "conn/s"),
                                          ("cpu_us_per_req", "µs CPU/req"))},
    "many_conn_rss_kib": ("KiB/conn", False),
    "many_conn_active_p99_us": ("µs", False),
    "many_conn_active_p50_us": ("µs", False),
    "churn_failed_requests": ("requests", False),
    "churn_updates_per_s": ("updates/s", True),
    "churn_req_per_s": ("req/s", True),
    "churn_cpu_pct": ("% of a core", False),
    **{f"tcp_{mps}mps_{kind}": (unit, kind == "msg_per_s") for mps in FIXED_RATES
       for kind, unit in (("cpu_pct", "% of a core"), ("cpu_us_per_msg", "µs CPU/msg"), ("msg_per_s", "msg/s"), ("avg_us", "µs"), ("p99_us", "µs"))},
}


def measure_round(subjects: list[Subject], args, raw: dict, round_no: int) -> None:
    d = args.duration

    def record(subject: Subject, figure: str, value: float | None) -> None:
        if value is None:
            return
        values = raw.setdefault(subject.name, {}).setdefault(figure, [])
        values.extend([None] * (round_no - 1 - len(values)))  # a round that failed stays a gap: values[i] is round i + 1
        values.append(value)
        print(f"  {subject.name:15} {figure:24} {value:12.3f}", flush=True)

    def record_saturated(subject: Subject, close: bool, connections: int = 64) -> None:
        rate, cpu = saturated(subject, close, d, connections)
        name = ("new_conn" if close else "keepalive") + ("" if connections == 64 else f"_{connections}")
        record(subject, f"{name}_per_s" if close else f"{name}_req_per_s", rate)
        record(subject, f"{name}_cpu_us_per_req", cpu)

    def record_many_connections(subject: Subject) -> None:
        rss, p99, p50 = connection_figures.many_connections(subject, args.many_connections, d, rss_kib, run)
        record(subject, "many_conn_rss_kib", rss)
        record(subject, "many_conn_active_p99_us", p99)
        record(subject, "many_conn_active_p50_us", p50)

    def record_churn(subject: Subject) -> None:
        if subject.admin is None:
            return  # only svcproxy has an Endpoints API
        for figure, value in connection_figures.churn(subject, d, args.churn_rate, cpu_seconds, run).items():
            record(subject, figure, value)

    def record_fixed_rates(subject: Subject) -> None:
        for mps in args.rates:
            avg, p99, held, share, per_message = fixed_rate(subject, mps, d)
            record(subject, f"tcp_{mps}mps_msg_per_s", held)
            record(subject, f"tcp_{mps}mps_avg_us", avg)
            record(subject, f"tcp_{mps}mps_p99_us", p99)
            record(subject, f"tcp_{mps}mps_cpu_pct", share)
            record(subject, f"tcp_{mps}mps_cpu_us_per_msg", per_message)

    steps = [
        ("tcp_gbps_1", lambda s: record(s, "tcp_gbps_1", iperf(*s.endpoint("iperf"), 1, d))),
        ("tcp_gbps_8", lambda s: record(s, "tcp_gbps_8", iperf(*s.endpoint("iperf"), 8, d))),
        ("tcp_pingpong", lambda s: [record(s, f"tcp_pingpong_{k}_us", v)
                                    for k, v in zip(("avg", "p99"), sockperf(*s.endpoint("sockperf_tcp"), False, d))]),
        ("udp_pingpong", lambda s: [record(s, f"udp_pingpong_{k}_us", v)
                                    for k, v in zip(("avg", "p99"), sockperf(*s.endpoint("sockperf_udp"), True, d))]
         if s.has("sockperf_udp") else None),
        ("new_conn", lambda s: record_saturated(s, True)),
        ("keepalive", lambda s: record_saturated(s, False)),
        ("keepalive_256", lambda s: record_saturated(s, False, 256)),
        ("keepalive_1000", lambda s: record_saturated(s, False, 1000)),
        ("new_conn_256", lambda s: record_saturated(s, True, 256)),
        ("churn", record_churn),
        ("fixed_rate", record_fixed_rates),
        ("idle_rss", lambda s: record(s, "idle_conn_rss_kib", idle_rss_per_connection(s, args.idle_connections))
         if s.name != "direct" else None),
        ("many_conn", record_many_connections),
    ]
    for name, step in steps:
        if args.only and name not in args.only:
            continue
        for subject in subjects:
            try:
                step(subject)
            except Exception as error:  # a failed figure is recorded as missing, the run goes on
                print(f"  {subject.name:15} {name:22} FAILED: {error}", file=sys.stderr, flush=True)
            time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--idle-connections", type=int, default=5000)
    parser.add_argument("--only", nargs="*", help="figures to run: tcp_gbps_1 tcp_gbps_8 tcp_pingpong udp_pingpong new_conn keepalive "
                        "keepalive_256 keepalive_1000 new_conn_256 churn fixed_rate idle_rss many_conn")
    parser.add_argument("--many-connections", type=int, default=9000, help="many_conn: connections held, 1 %% of them active")
    parser.add_argument("--churn-rate", type=int, default=100, help="churn: Endpoints updates per second")
    parser.add_argument("--rates", nargs="*", type=int, default=list(FIXED_RATES), help="fixed_rate: messages per second (any of 1000 5000 20000)")
    parser.add_argument("--subjects", nargs="*", default=["direct", "haproxy", "haproxy-splice", "nginx", "svcproxy"])
    args = parser.parse_args()

    load_before = os.getloadavg()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = Path(args.results)
    out_dir = results / stamp
    out_dir.mkdir(parents=True, exist_ok=True)

    with running(Path(args.svcproxy), args.subjects) as subjects:
        raw: dict = {subject.name: {} for subject in subjects}  # report columns follow --subjects, even if a figure fails
        for round_no in range(1, args.rounds + 1):
            print(f"round {round_no}/{args.rounds}", flush=True)
            measure_round(subjects, args, raw, round_no)

    meta = {
        "utc": stamp,
        "command": " ".join(["benchmarks/compare/run.sh"] + sys.argv[5:]),
        "cpus": os.cpu_count(),
        "kernel": os.uname().release,
        "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        "virtualisation": virtualisation(),
        "versions": versions(),
        "rounds": args.rounds,
        "duration_s": args.duration,
        "idle_connections": args.idle_connections,
        "many_connections": args.many_connections,
        "churn_rate": args.churn_rate,
        # A shared machine skews every figure; the load average says how quiet it was.
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    (out_dir / "raw.json").write_text(json.dumps({"meta": meta, "raw": raw}, indent=2))
    write_report(out_dir, results, meta, raw, FIGURES, PEERS)
    print(f"results in {out_dir}")
    return 0


def virtualisation() -> str:
    """What the machine runs on: systemd-detect-virt's virtual machine and container answers, the CPU's
    hypervisor flag, and the DMI vendor and product where the firmware exposes them."""
    def detect(kind: str) -> str:
        try:
            p = subprocess.run(["systemd-detect-virt", kind], capture_output=True, text=True, timeout=10)
            return p.stdout.strip() or "?"
        except Exception:
            return "?"
    flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
    parts = [f"vm {detect('--vm')}", f"container {detect('--container')}",
             "hypervisor flag " + ("set" if " hypervisor" in flags else "not set")]
    dmi = [Path(f"/sys/class/dmi/id/{name}").read_text().strip() for name in ("sys_vendor", "product_name")
           if Path(f"/sys/class/dmi/id/{name}").exists()]
    if dmi:
        parts.append("DMI " + " ".join(dmi))
    return ", ".join(parts)


def versions() -> dict:
    def first_line(cmd: list[str]) -> str:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (p.stdout or p.stderr).strip().splitlines()[0]
        except Exception:
            return "?"
    return {
        "haproxy": first_line(["haproxy", "-v"]),
        "nginx": first_line(["nginx", "-v"]),
        "iperf3": first_line(["iperf3", "--version"]),
        "sockperf": first_line(["sockperf", "--version"]),
        "wrk": first_line(["wrk", "--version"]),
        "dotnet": first_line(["dotnet", "--version"]),
    }


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
