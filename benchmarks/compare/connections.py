"""Figures at many connections and under endpoint churn (issue: performance at scale).

many_connections: `count` connections held open through the subject to the HTTP backend, 1 % of
them active (wrk keep-alive on `count // 100` connections, the rest idle and held by this process):
the subject's RSS per held connection and the active connections' p99 latency.

churn (svcproxy only; HAProxy and nginx have no Endpoints API): wrk with a new connection per
request against the Service while its Endpoints are rewritten `rate` times a second through the
admin API, alternating between two backends: failed requests, socket errors, updates achieved,
request rate and the proxy's CPU share.
"""
from __future__ import annotations

import http.client
import json
import re
import resource
import socket
import subprocess
import threading
import time

from subjects import HOST, Subject


def _raise_descriptor_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wrk_latency(out: str, percentile: str) -> float:
    """A percentile of wrk --latency's distribution, in µs."""
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def _socket_errors(out: str) -> int:
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return sum(int(g) for g in match.groups()) if match else 0


def _non_2xx(out: str) -> int:
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return int(match.group(1)) if match else 0


def many_connections(subject: Subject, count: int, duration: int, rss_kib, run) -> tuple[float, float, float]:
    """RSS growth per held connection (KiB), and the active 1 %'s p99 and p50 latency (µs).

    The subject is restarted first, so every subject starts from the same place."""
    _raise_descriptor_limit()
    subject.stop()
    subject.start()
    subject.wait_ready()
    host, port = subject.endpoint("http")
    active = max(1, count // 100)
    held = []
    try:
        before = rss_kib(subject.pids())
        deadline = time.monotonic() + 90
        for _ in range(count - active):
            if time.monotonic() > deadline:
                raise RuntimeError(f"opening {count - active} connections took over 90 s")
            held.append(socket.create_connection((host, port), timeout=5))
        time.sleep(2)  # let the proxy dial every backend connection
        after = rss_kib(subject.pids())
        out = run(["wrk", "-t", "2", "-c", str(active), "-d", f"{duration}s", "--latency", f"http://{host}:{port}/"], duration + 30)
        errors = _socket_errors(out) + _non_2xx(out)
        if errors:
            raise RuntimeError(f"{errors} failed requests among the active connections")
        # Every held connection must still be open: the proxy may not shed idle ones under the limit.
        broken = sum(1 for s in held if _closed(s))
        if broken:
            raise RuntimeError(f"{broken} of {len(held)} held connections were closed")
        return max(0.0, (after - before) / len(held)), _wrk_latency(out, "99"), _wrk_latency(out, "50")
    finally:
        for s in held:
            s.close()


def _closed(s: socket.socket) -> bool:
    """True when the peer closed or reset the connection (nothing was sent, so nothing is pending)."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def churn(subject: Subject, duration: int, rate: int, cpu_seconds, run) -> dict[str, float]:
    """Endpoint churn under load; see the module's docstring."""
    admin = subject.admin
    backends = subject.backends
    host, port = subject.endpoint("http")
    stop = threading.Event()
    updates = []
    failures = []

    def endpoints(http_port: int) -> bytes:
        ports = [{"name": role.replace("_", "-"), "protocol": "UDP" if role == "sockperf_udp" else "TCP",
                  "port": http_port if role == "http" else backends.ports[role]} for role in subject.ports]
        return json.dumps({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "bench"},
                           "subsets": [{"addresses": [{"ip": HOST}], "ports": ports}]}).encode()

    def writer() -> None:
        conn = http.client.HTTPConnection(HOST, admin, timeout=5)
        bodies = [endpoints(backends.ports["http_alt"]), endpoints(backends.ports["http"])]
        period = 1 / rate
        next_at = time.monotonic()
        i = 0
        while not stop.is_set() and i < rate * (duration + 30):
            conn.request("PUT", "/api/v1/namespaces/default/endpoints/bench", body=bodies[i % 2],
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            (updates if response.status == 200 else failures).append(response.status)
            i += 1
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))
        # Leave the Service as it was for the figures after this one.
        conn.request("PUT", "/api/v1/namespaces/default/endpoints/bench", body=endpoints(backends.ports["http"]),
                     headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()

    pids = subject.pids()
    before = cpu_seconds(pids)
    thread = threading.Thread(target=writer, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        out = run(["wrk", "-t", "2", "-c", "64", "-d", f"{duration}s", "-H", "Connection: close", f"http://{host}:{port}/"], duration + 30)
    finally:
        stop.set()
        thread.join(10)
    elapsed = time.monotonic() - started
    used = cpu_seconds(pids) - before
    if failures:
        raise RuntimeError(f"{len(failures)} Endpoints updates failed: {failures[:5]}")
    return {
        "churn_failed_requests": float(_socket_errors(out) + _non_2xx(out)),
        "churn_updates_per_s": len(updates) / elapsed,
        "churn_req_per_s": float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1)),
        "churn_cpu_pct": used / elapsed * 100,
    }
