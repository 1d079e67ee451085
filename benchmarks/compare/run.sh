#!/usr/bin/env bash
# Side-by-side comparison: direct vs HAProxy (with and without splice) vs nginx stream vs svcproxy.
# Usage: benchmarks/compare/run.sh [--rounds 3] [--duration 10] [--idle-connections 5000]
#          [--only FIGURE...] [--subjects NAME...] [--rates 1000 5000 20000]
#        (figures: tcp_gbps_1 tcp_gbps_8 tcp_pingpong udp_pingpong new_conn keepalive fixed_rate idle_rss;
#        new_conn and keepalive also give the proxy's CPU per request, fixed_rate its CPU share, CPU per
#        message and latency during TCP ping-pong at each of --rates messages/s)
#        benchmarks/compare/run.sh --dns [--rounds 3] [--duration 10] [--names 1000] [--memory-services 10000]
#        (cluster DNS: dnsperf against svcproxy, dnsmasq and unbound; see dns.py)
# Installs what it needs from Debian's packages, builds svcproxy in Release, runs every figure
# interleaved over the subjects, and writes raw results, a table and a chart under benchmarks/results/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

need=()
tools="haproxy:haproxy nginx:nginx iperf3:iperf3 sockperf:sockperf wrk:wrk python3:python3"
[ "${1:-}" = "--dns" ] && tools="dnsperf:dnsperf dnsmasq:dnsmasq-base unbound:unbound dig:dnsutils python3:python3"
for pair in $tools; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ "${1:-}" = "--dns" ] || [ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi

out="$root/benchmarks/results/tmp/svcproxy"
dotnet publish "$root/src/ServiceProxy.Host/ServiceProxy.Host.csproj" -c Release -o "$out" --nologo -v quiet >/dev/null

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "${1:-}" = "--dns" ]; then
  shift
  exec python3 "$here/dns.py" --svcproxy "$out/svcproxy" --results "$root/benchmarks/results" "$@"
fi
exec python3 "$here/compare.py" --svcproxy "$out/svcproxy" --results "$root/benchmarks/results" "$@"
