#!/usr/bin/env bash
# A three-node ServiceProxy cluster built from network namespaces, for a person to try and for the
# functional tests to drive. Needs root (ip netns), etcd, python3 and a built svcproxy.
#
#   run.sh                          build it, print what to type, wait for Enter, tear it down
#   run.sh up DIR PREFIX            build it (state and logs in DIR), leave it running
#   run.sh down DIR PREFIX          stop its processes, delete its namespaces (what PREFIX names)
#   run.sh kill-node DIR PREFIX N   kill -9 node N's svcproxy        run.sh start-node DIR PREFIX N
#   run.sh stop-etcd DIR PREFIX     stop the API's store (etcd)      run.sh start-etcd DIR PREFIX
#
# Layout (every address from the benchmarking range 198.18.0.0/15, no route out of it):
#   PREFIX-net     the bridge br0 joining the LAN 198.18.0.0/24
#   PREFIX-etcd    etcd at 198.18.0.2:2379
#   PREFIX-nN      node N (1-3) at 198.18.0.1N: svcproxy --roles api,controllers,proxy, admin API on its 127.0.0.1:8080
#   PREFIX-pN      node N's pods: podN-a at 198.19.N.2:8080 and podN-b at 198.19.N.3:8080, answering their name
#   PREFIX-client  a client outside the cluster at 198.18.0.100, routed to the load-balancer pool through node 1
# Services: 198.19.200.0/24 (a local route on each node, --service-cidr-route); load balancers: 198.19.250.0/28.
# Pods: 198.19.0.0/22 (--cluster-cidr), so a Pod reaches a Local Service's external addresses on any node.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SVCPROXY_DLL="${SVCPROXY_DLL:-$REPO/src/ServiceProxy.Host/bin/Release/net10.0/svcproxy.dll}"
SERVICE_CIDR=198.19.200.0/24
LB_POOL=198.19.250.0/28
CLUSTER_CIDR=198.19.0.0/22

die() { echo "run.sh: $*" >&2; exit 1; }
nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

require() {
    [ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces)"
    command -v etcd >/dev/null || die "etcd not found"
    command -v python3 >/dev/null || die "python3 not found"
    command -v curl >/dev/null || die "curl not found"
    [ -f "$SVCPROXY_DLL" ] || die "$SVCPROXY_DLL not found: dotnet build src/ServiceProxy.Host -c Release (or set SVCPROXY_DLL)"
}

# Starts "$@" in namespace $ns in the background, its pid in $DIR/$name.pid, its output in $DIR/$name.log.
spawn() {
    local name="$1" ns="$2"; shift 2
    nohup ip netns exec "$ns" "$@" >"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
}

stop() {
    local name="$1" signal="${2:-TERM}"
    if [ -f "$DIR/$name.pid" ]; then
        kill "-$signal" "$(cat "$DIR/$name.pid")" 2>/dev/null || true
        rm -f "$DIR/$name.pid"
    fi
}

start_etcd() {
    spawn etcd "$P-etcd" etcd --name e --data-dir "$DIR/etcd-data" \
        --listen-client-urls http://198.18.0.2:2379 --advertise-client-urls http://198.18.0.2:2379 \
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster e=http://127.0.0.1:2380
}

start_node() {
    local n="$1"
    spawn "node$n" "$P-n$n" dotnet "$SVCPROXY_DLL" run --etcd-servers http://198.18.0.2:2379 --roles api,controllers,proxy \
        --node-name "node$n" --node-address "198.18.0.1$n" --service-cidr "$SERVICE_CIDR" --service-cidr-route \
        --loadbalancer-pool "$LB_POOL" --cluster-cidr "$CLUSTER_CIDR" --node-port-range 30000-30099 --admin 127.0.0.1:8080
}

# Waits (bounded) until node N's admin API is ready.
wait_node() {
    local n="$1"
    for _ in $(seq 1 300); do
        if nsx "$P-n$n" python3 -c 'import urllib.request,sys; urllib.request.urlopen("http://127.0.0.1:8080/readyz", timeout=1)' 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    die "node$n did not become ready; see $DIR/node$n.log"
}

link() { # link NS_A IF_A NS_B IF_B: a veth pair between two namespaces
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
}

up() {
    require
    mkdir -p "$DIR"
    down_namespaces
    for ns in net etcd client n1 n2 n3 p1 p2 p3; do
        ip netns add "$P-$ns"
        ip -n "$P-$ns" link set lo up
    done
    ip -n "$P-net" link add br0 type bridge
    ip -n "$P-net" link set br0 up
    for member in etcd client n1 n2 n3; do
        link "$P-net" "$member" "$P-$member" eth0
        ip -n "$P-net" link set "$member" master br0
    done
    ip -n "$P-etcd" addr add 198.18.0.2/24 dev eth0
    ip -n "$P-client" addr add 198.18.0.100/24 dev eth0
    ip -n "$P-client" route add "$LB_POOL" via 198.18.0.11
    for n in 1 2 3; do
        ip -n "$P-n$n" addr add "198.18.0.1$n/24" dev eth0
        nsx "$P-n$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        link "$P-n$n" pods "$P-p$n" eth0
        ip -n "$P-n$n" addr add "198.19.$n.1/24" dev pods
        ip -n "$P-p$n" addr add "198.19.$n.2/24" dev eth0
        ip -n "$P-p$n" addr add "198.19.$n.3/24" dev eth0
        ip -n "$P-p$n" route add default via "198.19.$n.1"
        # Load-balancer addresses are local on every node, as the service range is (svcproxy adds that one).
        ip -n "$P-n$n" route add local "$LB_POOL" dev lo
        for m in 1 2 3; do
            [ "$m" = "$n" ] || ip -n "$P-n$n" route add "198.19.$m.0/24" via "198.18.0.1$m"
        done
        for pod in a b; do
            local ip="198.19.$n.$([ $pod = a ] && echo 2 || echo 3)"
            mkdir -p "$DIR/pod$n-$pod"
            echo "pod$n-$pod" >"$DIR/pod$n-$pod/index.html"
            spawn "pod$n-$pod" "$P-p$n" python3 -m http.server 8080 --bind "$ip" --directory "$DIR/pod$n-$pod"
        done
    done
    start_etcd
    for n in 1 2 3; do start_node "$n"; done
    for n in 1 2 3; do wait_node "$n"; done
    # Every pod serves before it is in a Service: a pod still starting would refuse the first dials,
    # and five refusals in a row eject an endpoint for 30 s (passive health).
    for n in 1 2 3; do for pod in a b; do wait_pod "$n" "$pod"; done; done
    apply "$(manifests)"
}

# Waits (bounded) until pod N-POD answers HTTP in its namespace.
wait_pod() {
    local ip="198.19.$1.$([ "$2" = a ] && echo 2 || echo 3)"
    for _ in $(seq 1 150); do
        nsx "$P-p$1" curl -s -o /dev/null -m 1 "http://$ip:8080/" && return 0
        sleep 0.2
    done
    die "pod$1-$2 did not answer on $ip:8080; see $DIR/pod$1-$2.log"
}

# Applies YAML (an argument) through node 1's API.
apply() {
    printf '%s\n' "$1" >"$DIR/apply.yaml"
    nsx "$P-n1" dotnet "$SVCPROXY_DLL" apply --server http://127.0.0.1:8080 -f "$DIR/apply.yaml"
}

manifests() {
    for n in 1 2 3; do
        for pod in a b; do
            cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: pod$n-$pod, labels: {app: web}}
spec: {nodeName: node$n, containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
status: {phase: Running, podIP: 198.19.$n.$([ $pod = a ] && echo 2 || echo 3)}
---
YAML
        done
    done
    cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30080}]}
YAML
}

down_namespaces() {
    local ns
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^$P-(net|etcd|client|n[123]|p[123])\$" || true); do
        # Only processes this cluster started run in its namespaces.
        ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" || true
    done
}

down() {
    for f in "$DIR"/*.pid; do
        [ -e "$f" ] && stop "$(basename "$f" .pid)" KILL
    done
    down_namespaces
}

interactive() {
    require
    DIR="$(mktemp -d /tmp/svcproxy-nodes-XXXXXX)"
    P="spn$(printf '%04x' $((RANDOM % 65536)))"
    trap 'down; rm -rf "$DIR"' EXIT
    echo "Building the cluster (namespaces $P-*, logs in $DIR)..."
    up
    cat <<TEXT

Three nodes (198.18.0.11-13), six pods, Service "web" on NodePort 30080. Try, in another shell:

  ip netns exec $P-client curl -s http://198.18.0.11:30080/      # any node, pods of every node in turn
  ip netns exec $P-client curl -s http://198.18.0.12:30080/
  ip netns exec $P-n1 kubectl --server http://127.0.0.1:8080 get pods,svc,endpoints -o wide
  ip netns exec $P-p2 curl -s http://\$(ip netns exec $P-n1 kubectl --server http://127.0.0.1:8080 get svc web -o jsonpath='{.spec.clusterIP}')/
  ip netns exec $P-n1 kubectl --server http://127.0.0.1:8080 patch svc web -p '{"spec":{"externalTrafficPolicy":"Local"}}'
  ip netns exec $P-client curl -s http://198.18.0.13:30080/      # now only node 3's pods, from node 3
  ip netns exec $P-p1 curl -s http://198.18.0.13:30080/          # a pod (--cluster-cidr) still reaches every node's pods
  kill -9 \$(cat $DIR/node2.pid)                                  # node 2's proxy dies; the others keep serving
  $0 start-node $DIR $P 2                                          # it comes back and catches up

Press Enter to tear everything down.
TEXT
    read -r _
}

case "${1:-}" in
    "") interactive ;;
    up) DIR="$2" P="$3"; up ;;
    down) DIR="$2" P="$3"; down ;;
    kill-node) DIR="$2" P="$3"; stop "node$4" KILL ;;
    start-node) DIR="$2" P="$3"; require; start_node "$4"; wait_node "$4" ;;
    stop-etcd) DIR="$2" P="$3"; stop etcd KILL ;;
    start-etcd) DIR="$2" P="$3"; start_etcd ;;
    apply) DIR="$2" P="$3"; apply "$4" ;;
    *) die "unknown command $1 (see the comment at the top)" ;;
esac
