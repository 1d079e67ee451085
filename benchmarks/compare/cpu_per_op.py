#!/usr/bin/env python3
"""One subject, one figure, plus the CPU the proxy spent per operation (user + system time of its
processes / operations). On a shared machine the rate swings with everyone else's load; CPU per
operation moves much less, so it is what engine changes were judged by during development.

Usage (after run.sh has published svcproxy once):
  python3 benchmarks/compare/cpu_per_op.py --svcproxy benchmarks/results/tmp/svcproxy/svcproxy \
      --subject svcproxy --figure keepalive --duration 5
Figures: new_conn keepalive tcp_pingpong udp_pingpong tcp_gbps_1 tcp_gbps_8, and fixed_rate (TCP
ping-pong paced at --mps messages per second: the proxy's CPU share of one core while they flowed).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import compare
from compare import cpu_seconds
from subjects import running


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--svcproxy", required=True)
    parser.add_argument("--subject", default="svcproxy")
    parser.add_argument("--figure", default="keepalive")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--mps", type=int, default=5000, help="fixed_rate: messages per second")
    args = parser.parse_args()
    with running(Path(args.svcproxy), [args.subject], prefix="svcproxy-cpu-") as subjects:
        subject, d = subjects[0], args.duration
        pids = subject.pids()
        before = cpu_seconds(pids)
        if args.figure == "fixed_rate":
            avg, p99, held, share, _ = compare.fixed_rate(subject, args.mps, d)
            print(f"{args.subject} {args.mps} msg/s (held {held:.0f}): avg {avg:.1f} µs p99 {p99:.1f} µs; proxy CPU {share:.1f} % of a core")
            return 0
        if args.figure in ("new_conn", "keepalive"):
            rate = compare.wrk(*subject.endpoint("http"), args.figure == "new_conn", d)
            ops, text = rate * d, f"{rate:.0f}/s"
        elif args.figure in ("tcp_pingpong", "udp_pingpong"):
            avg, p99 = compare.sockperf(*subject.endpoint("sockperf_tcp" if args.figure == "tcp_pingpong" else "sockperf_udp"),
                                        args.figure == "udp_pingpong", d)
            ops, text = d / (avg * 1e-6), f"avg {avg:.1f} µs p99 {p99:.1f} µs"
        else:
            gbps = compare.iperf(*subject.endpoint("iperf"), 8 if args.figure.endswith("8") else 1, d)
            ops, text = gbps * 1e9 / 8 / 65536 * d, f"{gbps:.2f} Gbit/s (operation: 64 KiB)"
        used = cpu_seconds(pids) - before
        print(f"{args.subject} {args.figure}: {text}; proxy CPU {used / ops * 1e6:.1f} µs per operation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
