"""The backends and the proxies under test, each started from a config written into a temp folder."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

HOST = "127.0.0.1"
SVC_IP = "127.100.200.1"  # inside svcproxy's default service CIDR, bindable on Linux loopback
ROLES = ("iperf", "sockperf_tcp", "sockperf_udp", "http")


def free_port() -> int:
    """A port free for both TCP and UDP on loopback right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind((HOST, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class Process:
    def __init__(self, name: str, cmd: list[str], log: Path):
        self.name, self.cmd, self.log = name, cmd, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=self.log.open("a"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def pids(self) -> list[int]:
        """The process and its children (nginx workers)."""
        if not self.proc:
            return []
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return [self.proc.pid] + [int(c) for c in children]


class Backends:
    def __init__(self, work: Path):
        self.ports = {role: free_port() for role in ROLES}
        self.ports["http_alt"] = free_port()  # a second HTTP backend, for Endpoints churn
        p = self.ports
        nginx_dir = work / "backend-nginx"
        (nginx_dir / "logs").mkdir(parents=True)
        (nginx_dir / "nginx.conf").write_text(f"""
daemon off;
worker_processes 2;
worker_rlimit_nofile 19000;
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/logs/error.log warn;
events {{ worker_connections 18000; }}
http {{
  access_log off;
  keepalive_timeout 300s;
  keepalive_requests 10000000;
  client_header_timeout 300s;
  client_body_temp_path {nginx_dir}/tmp;
  proxy_temp_path {nginx_dir}/tmp; fastcgi_temp_path {nginx_dir}/tmp; uwsgi_temp_path {nginx_dir}/tmp; scgi_temp_path {nginx_dir}/tmp;
  server {{
    listen {HOST}:{p['http']} backlog=4096;
    listen {HOST}:{p['http_alt']} backlog=4096;
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
        self.procs = [
            Process("iperf3", ["iperf3", "-s", "-B", HOST, "-p", str(p["iperf"])], work / "iperf3.log"),
            Process("sockperf-tcp", ["sockperf", "server", "--tcp", "-i", HOST, "-p", str(p["sockperf_tcp"])], work / "sockperf-tcp.log"),
            Process("sockperf-udp", ["sockperf", "server", "-i", HOST, "-p", str(p["sockperf_udp"])], work / "sockperf-udp.log"),
            Process("nginx-http", ["nginx", "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-e", "stderr"], work / "nginx-http.log"),
        ]

    def start(self) -> None:
        for proc in self.procs:
            proc.start()
        for role in ("iperf", "sockperf_tcp", "http"):
            _wait_tcp(HOST, self.ports[role])

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()

    def http_pids(self) -> list[int]:
        """The HTTP backend's nginx master and workers."""
        return next(proc for proc in self.procs if proc.name == "nginx-http").pids()


class Subject:
    def __init__(self, name: str, host: str, ports: dict[str, int], process: Process | None):
        self.name, self.host, self.ports, self.process = name, host, ports, process
        self.backends: Backends | None = None  # set by make_subjects: the servers behind every subject
        self.admin: int | None = None  # svcproxy's admin API port

    def has(self, role: str) -> bool:
        return role in self.ports

    def endpoint(self, role: str) -> tuple[str, int]:
        return self.host, self.ports[role]

    def start(self) -> None:
        if self.process:
            self.process.start()

    def wait_ready(self) -> None:
        for role in ("iperf", "sockperf_tcp", "http"):
            _wait_tcp(self.host, self.ports[role], 60)

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    def pids(self) -> list[int]:
        return self.process.pids() if self.process else []


def _wait_tcp(host: str, port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{host}:{port} did not open within {timeout}s")


def _haproxy(work: Path, backends: Backends, splice: bool, busy_polling: bool = False) -> Subject:
    # maxconn 9500 holds the many_conn figure's 9 000 connections. HAProxy reserves two descriptors per
    # pipe up front (maxpipes, maxconn/4 by default), which would not fit the 20 000-descriptor limit
    # with splice, so the splice subjects get 256 pipes (as many as there are busy connections).
    name = "haproxy-busypoll" if busy_polling else "haproxy-splice" if splice else "haproxy"
    front = {role: free_port() for role in ROLES if role != "sockperf_udp"}  # HAProxy does not proxy UDP
    sections = "\n".join(f"""
listen {role}
  bind {HOST}:{front[role]}
  server s1 {HOST}:{backends.ports[role]}
""" for role in front)
    config = work / f"{name}.cfg"
    config.write_text(f"""
global
  maxconn 9500
  {"maxpipes 256" if splice else ""}
  nbthread 2
  {"busy-polling" if busy_polling else ""}
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  maxconn 9500
  {"option splice-auto" if splice else ""}
{sections}
""")
    return Subject(name, HOST, front, Process(name, ["haproxy", "-db", "-f", str(config)], work / f"{name}.log"))


def _nginx(work: Path, backends: Backends) -> Subject:
    front = {role: free_port() for role in ROLES}
    d = work / "nginx-stream"
    (d / "logs").mkdir(parents=True)
    servers = "\n".join(
        f"  server {{ listen {HOST}:{front[role]}{' udp' if role == 'sockperf_udp' else ''}; proxy_pass {HOST}:{backends.ports[role]}; }}"
        for role in ROLES)
    (d / "nginx.conf").write_text(f"""
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 2;
worker_rlimit_nofile 19000;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 18000; }}
stream {{
  proxy_timeout 1h;
{servers}
}}
""")
    return Subject("nginx", HOST, front, Process("nginx", ["nginx", "-p", str(d), "-c", str(d / "nginx.conf"), "-e", "stderr"], work / "nginx.log"))


def _svcproxy(work: Path, backends: Backends, binary: Path, engine: str | None = None, extra: tuple[str, ...] = (),
              name: str | None = None) -> Subject:
    """svcproxy on its default TCP engine, or on `engine` (subject svcproxy-<engine>)."""
    name = name or ("svcproxy" if engine is None else f"svcproxy-{engine}")
    front = {role: free_port() for role in ROLES}
    ports = "\n".join(
        f"  - {{name: {role.replace('_', '-')}, protocol: {'UDP' if role == 'sockperf_udp' else 'TCP'}, port: {front[role]}, targetPort: {backends.ports[role]}}}"
        for role in ROLES)
    endpoint_ports = "\n".join(
        f"  - {{name: {role.replace('_', '-')}, protocol: {'UDP' if role == 'sockperf_udp' else 'TCP'}, port: {backends.ports[role]}}}"
        for role in ROLES)
    manifest = work / f"{name}.yaml"
    manifest.write_text(f"""apiVersion: v1
kind: Service
metadata:
  name: bench
spec:
  clusterIP: {SVC_IP}
  ports:
{ports}
---
apiVersion: v1
kind: Endpoints
metadata:
  name: bench
subsets:
- addresses:
  - ip: {HOST}
  ports:
{endpoint_ports}
""")
    admin = free_port()
    cmd = [str(binary), "run", "-f", str(manifest), "--admin", f"{HOST}:{admin}", "--node-address", HOST,
           "--data-dir", str(work / f"{name}-data"), "--log-level", "Warning",
           *(("--tcp-engine", engine) if engine else ()), *extra]
    subject = Subject(name, SVC_IP, front, Process(name, cmd, work / f"{name}.log"))
    subject.admin = admin
    return subject


def make_subjects(work: Path, svcproxy: Path, names: list[str]) -> tuple[list[Subject], Backends]:
    backends = Backends(work)
    factories = {
        "direct": lambda: Subject("direct", HOST, {role: backends.ports[role] for role in ROLES}, None),
        "haproxy": lambda: _haproxy(work, backends, splice=False),
        "haproxy-splice": lambda: _haproxy(work, backends, splice=True),
        # HAProxy with busy-polling, for reference only and never with other subjects: its threads
        # spin even when idle, which starves every other process on 2 cores (see RESULTS.md).
        "haproxy-busypoll": lambda: _haproxy(work, backends, splice=True, busy_polling=True),
        "nginx": lambda: _nginx(work, backends),
        "svcproxy": lambda: _svcproxy(work, backends, svcproxy),
        # The socket relay engine, for reference (not a peer): what splice buys.
        "svcproxy-socket": lambda: _svcproxy(work, backends, svcproxy, engine="socket"),
        # svcproxy's epoll relay (--tcp-engine splice), for reference: what the io_uring default buys.
        "svcproxy-splice": lambda: _svcproxy(work, backends, svcproxy, engine="splice"),
        # svcproxy accepting on .NET's socket thread, for reference (not a peer): see --accept-on-loops.
        "svcproxy-dotnetaccept": lambda: _svcproxy(work, backends, svcproxy, extra=("--accept-on-loops", "false"), name="svcproxy-dotnetaccept"),
        # svcproxy with a single event loop, for reference (not a peer): see --event-loops.
        "svcproxy-1loop": lambda: _svcproxy(work, backends, svcproxy, extra=("--event-loops", "1"), name="svcproxy-1loop"),
        # svcproxy with adaptive busy polling (50 µs), for reference (not a peer): what polling buys;
        # on the splice engine, since the io_uring engine's loops never poll.
        "svcproxy-poll": lambda: _svcproxy(work, backends, svcproxy, engine="splice", extra=("--busy-poll-us", "50"), name="svcproxy-poll"),
        # Another build of svcproxy (SVCPROXY_BASE=path/to/svcproxy), for A/B runs of two commits side by side.
        "svcproxy-base": lambda: _svcproxy(work, backends, Path(os.environ["SVCPROXY_BASE"]), name="svcproxy-base"),
    }
    subjects = [factories[name]() for name in names]
    for subject in subjects:
        subject.backends = backends
    return subjects, backends


@contextlib.contextmanager
def running(svcproxy: Path, names: list[str], prefix: str = "svcproxy-compare-") -> Iterator[list[Subject]]:
    """The backends and the named subjects, started and ready; stopped and cleaned up on exit.
    On a failure the tail of every process's log is printed before the error goes on."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    subjects, backends = make_subjects(work, svcproxy, names)
    try:
        backends.start()
        for subject in subjects:
            subject.start()
        for subject in subjects:
            subject.wait_ready()
        yield subjects
    except Exception:
        for log in sorted(work.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-1500:]}", file=sys.stderr)
        raise
    finally:
        for subject in subjects:
            subject.stop()
        backends.stop()
        _report_svcproxy_warnings(subjects)
        shutil.rmtree(work, ignore_errors=True)


def _report_svcproxy_warnings(subjects: list[Subject]) -> None:
    """svcproxy runs with --log-level Warning, so any line in its log is news: a benchmark that
    made it warn (a failed accept, a dropped datagram) says so instead of only looking slower.
    A restarted subject appends to its log, so every run of it counts."""
    for subject in subjects:
        if subject.process and subject.name.startswith("svcproxy") and subject.process.log.exists():
            lines = [line for line in subject.process.log.read_text().splitlines() if " warn: " in line or " fail: " in line]
            if lines:
                print(f"{subject.name} logged {len(lines)} warnings or errors, the last: {lines[-1]}", file=sys.stderr)
