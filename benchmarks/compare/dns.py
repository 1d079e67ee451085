#!/usr/bin/env python3
"""Cluster DNS side by side: dnsperf against svcproxy, dnsmasq and unbound; see run.sh --dns.

Each subject serves the same names, svc<i>.default.svc.cluster.local A 127.100.x.y (svcproxy from
ClusterIP Services, dnsmasq from host-record lines, unbound from local-data in a static zone), on
127.0.0.1 with one serving thread each (dnsmasq has one; unbound num-threads 1; svcproxy UdpThreads
1). Figures, interleaved over the subjects round by round, median of the rounds:
  qps_hit / qps_nxdomain / qps_mix   dnsperf at full speed (100 outstanding), queries per second
  p99_us_hit / p99_us_mix            99th percentile latency at a fixed load (--latency-qps): the
                                     median, over --latency-slices runs of --latency-slice seconds
                                     taken in turn across the subjects, of each run's p99
  rss_mib_10k                        resident memory serving --memory-services names, after a warm-up
  rss_mib_10k_dns_share              svcproxy's figure less the same process without --dns
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZONE = "cluster.local"


def name(i: int) -> str:
    return f"svc{i}.default.svc.{ZONE}"


def address(i: int) -> str:
    return f"127.100.{i // 250}.{i % 250 + 1}"


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
    raise RuntimeError("no free port")


class Subject:
    def __init__(self, name: str, work: Path, count: int, svcproxy: Path, dns: bool = True):
        self.name, self.work, self.count, self.svcproxy, self.dns = name, work / f"{name}-{count}-{dns}", count, svcproxy, dns
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.name == "svcproxy":
            manifests = self.work / "manifests"
            manifests.mkdir(exist_ok=True)
            with open(manifests / "services.yaml", "w") as f:
                for i in range(self.count):
                    f.write(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}}}\n"
                            f"spec: {{clusterIP: {address(i)}, ports: [{{name: http, port: 80}}]}}\n")
            dns = ["--dns", f"127.0.0.1:{self.port}", "--dns-forward", "false"] if self.dns else []
            return [str(self.svcproxy), "run", "-f", str(manifests), *dns, "--admin", "127.0.0.1:0",
                    "--node-address", "127.0.0.1", "--log-level", "Warning"]
        if self.name == "dnsmasq":
            conf = self.work / "dnsmasq.conf"
            with open(conf, "w") as f:
                f.write(f"port={self.port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
                        f"local=/{ZONE}/\n")
                for i in range(self.count):
                    f.write(f"host-record={name(i)},{address(i)}\n")
            return ["dnsmasq", "-k", "-C", str(conf), "-u", "root", "--log-facility=/dev/null"]
        if self.name == "unbound":
            conf = self.work / "unbound.conf"
            with open(conf, "w") as f:
                f.write(f'server:\n  interface: 127.0.0.1@{self.port}\n  port: {self.port}\n  do-daemonize: no\n'
                        f'  chroot: ""\n  username: ""\n  directory: "{self.work}"\n  pidfile: ""\n'
                        f'  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  num-threads: 1\n  do-ip6: no\n'
                        f'  access-control: 127.0.0.0/8 allow\n  module-config: "iterator"\n'
                        f'  local-zone: "{ZONE}." static\n')
                for i in range(self.count):
                    f.write(f'  local-data: "{name(i)}. 5 IN A {address(i)}"\n')
                f.write("remote-control:\n  control-enable: no\n")
            return ["unbound", "-d", "-c", str(conf)]
        raise ValueError(self.name)

    def start(self) -> None:
        env = dict(os.environ, DOTNET_gcServer="0")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=open(self.work / "stderr.txt", "w"),
                                     start_new_session=True, env=env)
        if not self.dns:
            time.sleep(25)  # no DNS to ask: give the registry and listeners time to start and settle
            return
        deadline = time.monotonic() + 120
        probe = name(self.count - 1)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {(self.work / 'stderr.txt').read_text()[-800:]}")
            out = subprocess.run(["dig", "+short", "+time=1", "+tries=1", "-p", str(self.port), "@127.0.0.1", probe, "A"],
                                 capture_output=True, text=True).stdout.strip()
            if out == address(self.count - 1):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer {probe} within 120 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def dnsperf(port: int, queries: Path, duration: float, qps: int | None = None) -> str:
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries), "-l", str(duration)]
    if qps:
        cmd += ["-Q", str(qps), "-v"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"dnsperf exited {proc.returncode}: {proc.stderr[-400:]}")
    return proc.stdout


def qps(out: str) -> float:
    """Answered queries per second: dnsperf counts only completed queries, so lost ones already lower it."""
    return float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))


def p99_us(out: str) -> float:
    latencies = sorted(float(m) for m in re.findall(r"^> \S+ \S+ \S+ ([\d.]+)$", out, re.M))
    if not latencies:
        raise RuntimeError("dnsperf -v reported no latencies")
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e6


def query_files(work: Path, count: int) -> dict[str, Path]:
    rng = random.Random(17)
    hits = [f"{name(rng.randrange(count))} A" for _ in range(20000)]
    misses = [f"nx{rng.randrange(10 ** 6)}.default.svc.{ZONE} A" for _ in range(20000)]
    mix = [rng.choice((h, m)) for h, m in zip(hits, misses)]
    files = {}
    for kind, lines in (("hit", hits), ("nxdomain", misses), ("mix", mix)):
        files[kind] = work / f"queries-{kind}.txt"
        files[kind].write_text("\n".join(lines) + "\n")
    return files


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--memory-services", type=int, default=10000, help="0 skips the memory figure")
    parser.add_argument("--latency-qps", type=int, default=20000)
    # A shared VM stalls for tens of milliseconds now and then; one such stall inside a single long
    # run is that run's p99 whichever server it hits. Short runs in turn put each stall in one
    # subject's slice, and the median slice leaves it out for every subject alike.
    parser.add_argument("--latency-slices", type=int, default=7)
    parser.add_argument("--latency-slice", type=float, default=1.0, help="seconds per latency slice")
    parser.add_argument("--subjects", nargs="*", default=["svcproxy", "dnsmasq", "unbound"])
    args = parser.parse_args()

    load_before = os.getloadavg()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.results) / f"{stamp}-dns"
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="svcproxy-dns-"))
    raw: dict = {s: {} for s in args.subjects}

    def record(subject: str, figure: str, value: float) -> None:
        raw[subject].setdefault(figure, []).append(value)
        print(f"  {subject:10} {figure:16} {value:12.1f}", flush=True)

    try:
        files = query_files(work, args.names)
        subjects = [Subject(s, work, args.names, Path(args.svcproxy)) for s in args.subjects]
        with contextlib.ExitStack() as stack:
            for subject in subjects:
                stack.callback(subject.stop)
                subject.start()
                for kind in ("hit", "nxdomain", "mix"):
                    dnsperf(subject.port, files[kind], 2)  # warm-up: every path, so .NET's tiered JIT has promoted it
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}/{args.rounds}", flush=True)
                for kind in ("hit", "nxdomain", "mix"):
                    for subject in subjects:
                        record(subject.name, f"qps_{kind}", qps(dnsperf(subject.port, files[kind], args.duration)))
                for kind in ("hit", "mix"):
                    slices: dict[str, list[float]] = {subject.name: [] for subject in subjects}
                    for _ in range(args.latency_slices):
                        for subject in subjects:
                            slices[subject.name].append(p99_us(dnsperf(subject.port, files[kind], args.latency_slice, args.latency_qps)))
                    for subject in subjects:
                        raw[subject.name].setdefault(f"p99_us_{kind}_slices", []).append(slices[subject.name])
                        record(subject.name, f"p99_us_{kind}", statistics.median(slices[subject.name]))
        if args.memory_services:
            for s in args.subjects:
                subject = Subject(s, work, args.memory_services, Path(args.svcproxy))
                try:
                    subject.start()
                    dnsperf(subject.port, files["hit"], min(args.duration, 3))
                    time.sleep(20)  # as long as the bare run below settles, so both are read alike
                    record(s, "rss_mib_10k", subject.rss_mib())
                finally:
                    subject.stop()
            if "svcproxy" in args.subjects:
                # svcproxy's figure is the whole process (registry, data plane, listeners): without DNS, the rest.
                bare = Subject("svcproxy", work, args.memory_services, Path(args.svcproxy), dns=False)
                try:
                    bare.start()
                    record("svcproxy", "rss_mib_10k_dns_share", raw["svcproxy"]["rss_mib_10k"][-1] - bare.rss_mib())
                finally:
                    bare.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    meta = {
        "utc": stamp, "cpus": os.cpu_count(), "kernel": os.uname().release, "rounds": args.rounds,
        "duration_s": args.duration, "names": args.names, "memory_services": args.memory_services,
        "latency_qps": args.latency_qps,
        "latency_slices": args.latency_slices,
        "latency_slice_seconds": args.latency_slice,
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            "dnsperf": subprocess.run(["dnsperf", "-h"], capture_output=True, text=True).stderr.split("Version")[-1].strip(),
            "dnsmasq": subprocess.run(["dnsmasq", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
            "unbound": subprocess.run(["unbound", "-V"], capture_output=True, text=True).stdout.splitlines()[0],
        },
    }
    (out_dir / "raw.json").write_text(json.dumps({"meta": meta, "raw": raw}, indent=2))
    table = report(raw, args.subjects)
    (out_dir / "table.md").write_text(table)
    print(table)
    print(f"results in {out_dir}")
    return 0


def report(raw: dict, subjects: list[str]) -> str:
    figures = [("qps_hit", True), ("qps_nxdomain", True), ("qps_mix", True), ("p99_us_hit", False), ("p99_us_mix", False), ("rss_mib_10k", False), ("rss_mib_10k_dns_share", False)]
    peers = [s for s in subjects if s != "svcproxy"]
    lines = ["| figure | " + " | ".join(subjects) + " | svcproxy / best peer |", "|---" * (len(subjects) + 2) + "|"]
    for figure, higher in figures:
        medians = {s: statistics.median(raw[s][figure]) for s in subjects if raw[s].get(figure)}
        if not medians:
            continue
        cells = [f"{medians[s]:.1f}" if s in medians else "–" for s in subjects]
        ratio = "–"
        peer_values = [medians[p] for p in peers if p in medians]
        if "svcproxy" in medians and peer_values:
            best = max(peer_values) if higher else min(peer_values)
            ratio = f"{medians['svcproxy'] / best:.2f}×"
        lines.append(f"| {figure} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
