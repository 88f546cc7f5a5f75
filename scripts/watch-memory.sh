#!/usr/bin/env bash
# The memory budget of a long-running watch: BINARY runs `--watch 100ms` as
# the pod would, against the emulator, for 1,000 runs. Its RSS (VmRSS of
# /proc/PID/status) at run 50 and at run 1,000 is printed with the
# difference. Fails (exit 1) if RSS grew or shrank by more than 1 MiB between
# them, or ends above 12 MiB: a budget check on memory, like the binary-size
# budget; the run's speed is not judged (the wait is bounded only to end a
# hung process).
#   scripts/watch-memory.sh [BINARY]   (default target/release/irsa-verify)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
binary=$(realpath "${1:-$ROOT/target/release/irsa-verify}")
cd "$ROOT"
[ -x "$binary" ] || { echo "watch-memory: $binary is not an executable" >&2; exit 2; }

early=50 late=1000
max_growth_kib=1024 max_rss_kib=12288

ensure_venv
out="$ROOT/target/watch-memory"
rm -rf "$out" && mkdir -p "$out"
agent_pid=
trap '[ -z "$agent_pid" ] || kill -TERM "$agent_pid" 2>/dev/null; stop_emulator' EXIT
bootstrap_emulator "$out/moto.log"
scenario=$("$PY" tests/emulator/scenario.py seed --endpoint "$EMULATOR_ENDPOINT" --kind reference \
    --suffix watch-memory --token-file "$out/token")
bucket=$(json_get bucket <<<"$scenario")
table=$(json_get table <<<"$scenario")
role=$(json_get role_arn <<<"$scenario")

port=$(free_port)
started=$(date +%s)
# The pod's environment only, as scripts/bench.sh and the tests build it.
env -i PATH="$PATH" HOME="$out" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
    AWS_ROLE_ARN="$role" AWS_WEB_IDENTITY_TOKEN_FILE="$out/token" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 AWS_CONFIG_FILE="$out/none" \
    AWS_SHARED_CREDENTIALS_FILE="$out/none" \
    "$binary" --bucket "$bucket" --table "$table" --object demo-test-file \
    --watch 100ms --listen "127.0.0.1:$port" >"$out/watch.log" 2>&1 &
agent_pid=$!

# Polls /metrics for irsa_verify_runs_total; at the first scrape showing at
# least EARLY runs, then LATE, reads VmRSS. Prints "RUNS KIB" per reading.
"$PY" - "$agent_pid" "$port" "$early" "$late" >"$out/readings" <<'PY' || { cat "$out/watch.log" >&2; exit 1; }
import sys, time, urllib.request

pid, port, marks = sys.argv[1], sys.argv[2], [int(m) for m in sys.argv[3:]]
deadline = time.time() + 3600  # only so a hung process cannot hold CI forever


def runs():
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    except OSError:
        return None
    for line in body.splitlines():
        if line.startswith("irsa_verify_runs_total "):
            return int(line.split()[1])
    return None


def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    sys.exit("no VmRSS")


for mark in marks:
    while True:
        try:
            open(f"/proc/{pid}/status").close()
        except OSError:
            sys.exit(f"watch-memory: the watch process {pid} exited before run {mark}")
        n = runs()
        if n is not None and n >= mark:
            print(n, rss_kib(), flush=True)
            break
        if time.time() > deadline:
            sys.exit(f"watch-memory: no run {mark} within the bound (last seen: {n})")
        time.sleep(0.05)
PY
kill -TERM "$agent_pid"
status=0
wait "$agent_pid" || status=$?
agent_pid=
{ read -r early_runs early_kib; read -r late_runs late_kib; } <"$out/readings"
growth=$((late_kib - early_kib))
elapsed=$(($(date +%s) - started))
printf 'watch-memory: %s: RSS %d KiB at run %d, %d KiB at run %d, difference %+d KiB (budget: within %d KiB, at most %d KiB); %d s\n' \
    "$binary" "$early_kib" "$early_runs" "$late_kib" "$late_runs" "$growth" "$max_growth_kib" "$max_rss_kib" "$elapsed"
failed=0
if [ "$status" -ne 0 ]; then
    echo "watch-memory: FAIL: the watch exited $status on SIGTERM" >&2
    failed=1
fi
if [ "${growth#-}" -gt "$max_growth_kib" ]; then
    echo "watch-memory: FAIL: RSS changed by $growth KiB between run $early_runs and run $late_runs (budget $max_growth_kib KiB)" >&2
    failed=1
fi
if [ "$late_kib" -gt "$max_rss_kib" ]; then
    echo "watch-memory: FAIL: RSS $late_kib KiB at run $late_runs (budget $max_rss_kib KiB)" >&2
    failed=1
fi
[ "$failed" -eq 0 ] && echo "watch-memory: ok"
exit "$failed"
