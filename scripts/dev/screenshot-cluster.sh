#!/usr/bin/env bash
# The README's pictures of the monitor: a 3-member etcd cluster on loopback, three elections of
# conclave-candidate processes with a few handovers, rendered at 1440x800 (offscreen).
#   scripts/dev/screenshot-cluster.sh OUT.png [--member-down]
# With --member-down, the third etcd member is stopped (SIGKILL) before the picture is taken.
# Needs a build in build/test (scripts/test makes one) and etcd on PATH.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${CONCLAVE_BUILD_DIR:-$ROOT/build/test}
OUT=$(realpath -m "$1")
DOWN=${2:-}
D=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
cluster=""
for i in 1 2 3; do cluster+="${cluster:+,}etcd-$i=http://127.0.0.1:$((24810 + i))"; done
for i in 1 2 3; do
    etcd --name "etcd-$i" --data-dir "$D/etcd-$i" \
        --listen-client-urls "http://127.0.0.1:$((24790 + i))" --advertise-client-urls "http://127.0.0.1:$((24790 + i))" \
        --listen-peer-urls "http://127.0.0.1:$((24810 + i))" --initial-advertise-peer-urls "http://127.0.0.1:$((24810 + i))" \
        --initial-cluster "$cluster" --initial-cluster-token shot >"$D/etcd-$i.log" 2>&1 &
    pids+=($!)
    etcd_pid[$i]=$!
done
EP=http://127.0.0.1:24791,http://127.0.0.1:24792,http://127.0.0.1:24793
for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints $EP endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
C=$B/examples/candidate/conclave-candidate
start() { # election id port
    "$C" --endpoints $EP --election "$1" --id "$2" --host "10.0.0.${3: -1}" --port "$3" --ttl 5 >"$D/$2.out" 2>&1 &
    pids+=($!)
    cand_pid[$3]=$!
    sleep 0.3
}
start billing/scheduler billing-1 7001
start billing/scheduler billing-2 7002
start billing/scheduler billing-3 7003
start search/indexer search-1 8001
start search/indexer search-2 8002
start search/indexer search-3 8003
start demo/worker worker-1 9001
start demo/worker worker-2 9002
sleep 2
if [ "$DOWN" = --member-down ]; then
    kill -KILL "${etcd_pid[3]}"
    sleep 1
fi
# The monitor watches while leadership moves: the chart shows the terms and their handovers.
QT_QPA_PLATFORM=offscreen XDG_DATA_HOME=$D/data XDG_CONFIG_HOME=$D/config \
    "$B/monitor/conclave-monitor" --endpoints $EP --screenshot "$OUT" --select billing/scheduler \
    --screenshot-after 12 --chart-span 1m --window-size 1440x800 &
monitor=$!
sleep 3
kill -INT "${cand_pid[7001]}"; sleep 2     # billing: billing-1 resigns, billing-2 leads
start billing/scheduler billing-1 7001     # and billing-1 queues again
sleep 2
kill -INT "${cand_pid[7002]}"; sleep 2     # billing-3 leads
start billing/scheduler billing-2 7002
kill -INT "${cand_pid[8001]}"              # search: search-2 leads
start search/indexer search-1 8001
wait $monitor
echo "wrote $OUT"
