#!/usr/bin/env bash
# README command one, run as a test: scripts/run on this build, headless, for a few seconds.
# Checks the demo's story (handover on resign), the headless monitor's outputs, and that
# Ctrl+C (SIGINT to its process group) stops it cleanly and leaves no process behind.
#   tests/demo.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
out=$(mktemp -d /tmp/conclave-demo-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; echo "---- scripts/run output ----"; cat "$out/log"; exit 1; }

# Bad options: a clear message and exit status 2, before anything is installed or started.
for bad in "--frobnicate|unknown option --frobnicate" "--duration soon|--duration takes whole seconds" "--endpoints|--endpoints needs a value"; do
    args=${bad%%|*} expected=${bad#*|}
    rc=0
    # shellcheck disable=SC2086
    "$src/scripts/run" $args > "$out/bad" 2>&1 || rc=$?
    [ $rc -eq 2 ] || fail "scripts/run $args: exit status $rc, not 2: $(cat "$out/bad")"
    grep -q -- "$expected" "$out/bad" || fail "scripts/run $args did not say '$expected': $(cat "$out/bad")"
done

# Job control: the demo gets its own process group, as in a terminal, and SIGINT is not
# ignored by it (bash ignores SIGINT in background jobs without job control).
set -m
# An unreachable etcd in the environment: the demo must say so and start its own.
env -u DISPLAY -u WAYLAND_DISPLAY ETCDCTL_ENDPOINTS=http://127.0.0.1:1 \
    CONCLAVE_BUILD_DIR="$build" CONCLAVE_SKIP_BUILD=1 CONCLAVE_DEMO_OUTPUT="$out/output" \
    "$src/scripts/run" --duration 170 > "$out/log" 2>&1 &
run_pid=$!
for _ in $(seq 1500); do
    grep -q "==> running; Ctrl+C stops everything" "$out/log" && break
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q "==> running; Ctrl+C stops everything" "$out/log" || { kill -KILL -- -"$run_pid" 2>/dev/null || true; fail "the demo did not get running"; }
# Ctrl+C: SIGINT to the whole process group, as a terminal sends it.
kill -INT -- -"$run_pid"
for _ in $(seq 300); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$run_pid" 2>/dev/null; then kill -KILL -- -"$run_pid" || true; fail "scripts/run did not stop within 30 s of Ctrl+C"; fi
wait "$run_pid" || fail "scripts/run exited with $? after Ctrl+C"

grep -q "etcd at http://127.0.0.1:1 does not answer; starting a local one" "$out/log" || fail "did not report the unreachable etcd"
grep -q "started a local etcd at http://127.0.0.1:" "$out/log" || fail "no local etcd"
grep -q "billing/scheduler  leader: .*\"id\":\"billing-1\"" "$out/log" || fail "billing-1 did not lead first"
grep -q "billing/scheduler  leader: .*\"id\":\"billing-2\"" "$out/log" || fail "no handover to billing-2 after resign"
grep -q "demo/worker        leader: .*\"id\":\"worker-" "$out/log" || fail "no worker leads"
grep -Eq '\[worker-2\] \{.*"event":"connected".*"leader":"worker-1"' "$out/log" \
    || grep -Eq '\[worker-1\] \{.*"event":"connected".*"leader":"worker-2"' "$out/log" || fail "the worker follower did not connect to its leader"
grep -q "resigned billing-2 from billing/scheduler (fencing token [0-9]*); new leader: billing-3" "$out/log" \
    || fail "conclave-monitor --resign did not hand billing over to billing-3"
grep -q "billing-2 leads billing/scheduler now (was billing-3" "$out/log" \
    || fail "conclave-monitor --transfer did not hand billing back to billing-2"
grep -q "no display" "$out/log" || fail "did not say that there is no display"
[ -s "$out/output/monitor.png" ] || fail "no screenshot"
[ "$(head -c 8 "$out/output/monitor.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
for e in billing/scheduler search/indexer demo/worker; do
    grep -q "\"name\": \"$e\"" "$out/output/snapshot.json" || fail "snapshot lacks $e"
done
grep -q "stopped every process this script started" "$out/log" || fail "no clean stop"
etcd_port=$(sed -n 's/.*started a local etcd at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$out/log" | sed -n 1p)
if pgrep -f "listen-client-urls http://127.0.0.1:$etcd_port" >/dev/null; then fail "the demo's etcd is still running"; fi
if pgrep -f -- "--endpoints http://127.0.0.1:$etcd_port" >/dev/null; then fail "a demo process is still running: $(pgrep -af -- "--endpoints http://127.0.0.1:$etcd_port")"; fi

# Second run: an etcd that answers is used, not replaced, and left running; the candidates
# leave their elections on the way out (no key of theirs remains).
source "$src/scripts/lib/common.sh"
conclave_start_etcd given "$out/given-etcd" "$out/given-etcd.log" 25790 \
    || { kill -KILL "${CONCLAVE_ETCD_PID:-}" 2>/dev/null || true; fail "could not start the test's own etcd"; }
given=$CONCLAVE_ETCD_URL given_pid=$CONCLAVE_ETCD_PID
trap 'kill -KILL "$given_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
ctl() { ETCDCTL_API=3 etcdctl --endpoints "$given" --dial-timeout 2s "$@"; }
env -u DISPLAY -u WAYLAND_DISPLAY -u ETCDCTL_ENDPOINTS \
    CONCLAVE_BUILD_DIR="$build" CONCLAVE_SKIP_BUILD=1 CONCLAVE_DEMO_OUTPUT="$out/output2" \
    timeout 120 "$src/scripts/run" --endpoints "$given" --duration 1 > "$out/log" 2>&1 || fail "scripts/run --endpoints exited with $?"
grep -q "using etcd at $given" "$out/log" || fail "did not use the etcd given by --endpoints"
grep -q "started a local etcd" "$out/log" && fail "started its own etcd although one was given"
grep -q "billing/scheduler  leader: .*\"id\":\"billing-" "$out/log" || fail "no billing leader on the given etcd"
kill -0 "$given_pid" 2>/dev/null || fail "the demo stopped an etcd it did not start"
left=$(ctl get --prefix --keys-only billing/; ctl get --prefix --keys-only search/; ctl get --prefix --keys-only demo/)
[ -z "$left" ] || fail "candidate keys left behind after the demo stopped: $left"
kill -TERM "$given_pid"; wait "$given_pid" 2>/dev/null || true
echo "demo ok"
