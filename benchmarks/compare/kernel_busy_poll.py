#!/usr/bin/env python3
"""Whether the kernel's own busy polling works for the comparison's sockets (loopback TCP).

The alternative to spinning in user space is to let epoll_wait spin in the kernel: SO_BUSY_POLL on
each socket, or EPIOCSPARAMS on the epoll descriptor (Linux 6.9+). The kernel spins only on a
socket that carries the NAPI id of the device queue it was received on; loopback delivers through
the per-CPU backlog, without one. This probe measures it instead of assuming it: a paced 64-byte
ping-pong over 127.0.0.1 (an echo child process, an epoll client), once plain, once with
SO_BUSY_POLL and once with EPIOCSPARAMS, each with a window of --window-us. A kernel that spins adds
about (messages × window) of system time to the client; the same CPU as plain means it does not.

Usage: python3 benchmarks/compare/kernel_busy_poll.py [--rate 5000] [--seconds 2] [--window-us 50] [--rounds 2]
"""
from __future__ import annotations

import argparse
import fcntl
import os
import resource
import select
import signal
import socket
import struct
import time

SO_BUSY_POLL = 46
EPIOCSPARAMS = 0x40088A01  # _IOW(0x8A, 0x01, struct epoll_params), 8 bytes
EPIOCGPARAMS = 0x80088A02  # _IOR(0x8A, 0x02, struct epoll_params)


def echo_server(listener: socket.socket) -> None:
    while True:
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(64):
                conn.sendall(data)


def ping_pong(port: int, mode: str, rate: int, seconds: float, window_us: int) -> str:
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    epoll = select.epoll()
    note = ""
    if mode == "SO_BUSY_POLL":
        client.setsockopt(socket.SOL_SOCKET, SO_BUSY_POLL, window_us)
    elif mode == "EPIOCSPARAMS":
        try:
            fcntl.ioctl(epoll.fileno(), EPIOCSPARAMS, struct.pack("IHBB", window_us, 8, 0, 0))
            note = " (epoll reads back %s µs)" % struct.unpack("IHBB", fcntl.ioctl(epoll.fileno(), EPIOCGPARAMS, bytes(8)))[0]
        except OSError as error:
            return f"{mode:13} not available: {error}"
    client.setblocking(False)
    epoll.register(client.fileno(), select.EPOLLIN)
    count = int(rate * seconds)
    latencies = []
    usage0, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    for i in range(count):
        due = start + i / rate
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        sent = time.monotonic()
        client.send(b"x" * 64)
        received = 0
        while received < 64:
            epoll.poll(1.0)
            try:
                received += len(client.recv(64))
            except BlockingIOError:
                pass
        latencies.append(time.monotonic() - sent)
    usage1, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - start
    epoll.close()
    client.close()
    latencies.sort()
    return (f"{mode:13} client CPU user {usage1.ru_utime - usage0.ru_utime:5.2f} s, system {usage1.ru_stime - usage0.ru_stime:5.2f} s "
            f"over {elapsed:4.2f} s; round trip avg {sum(latencies) / count * 1e6:6.1f} µs, p99 {latencies[int(count * 0.99)] * 1e6:7.1f} µs{note}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--window-us", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"kernel {os.uname().release}; net.core.busy_poll {open('/proc/sys/net/core/busy_poll').read().strip()}; "
          f"spinning would add about {args.rate * args.seconds * args.window_us / 1e6:.2f} s of system time per run")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    child = os.fork()
    if child == 0:
        try:
            echo_server(listener)
        finally:
            os._exit(0)
    try:
        for _ in range(args.rounds):  # interleaved, so drift hits every mode alike
            for mode in ("plain", "SO_BUSY_POLL", "EPIOCSPARAMS"):
                print(ping_pong(listener.getsockname()[1], mode, args.rate, args.seconds, args.window_us), flush=True)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
