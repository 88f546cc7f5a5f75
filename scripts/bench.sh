#!/usr/bin/env bash
# The speed benchmark: irsa-verify against the reference procedure done by hand
# with the AWS CLI, on the same emulator, alternated. Prints medians, the
# ratio, peak RSS, binary size, and the scale case (5 vs 200 checks). It
# reports against the budgets; it asserts nothing.
#   scripts/bench.sh [RUNS]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
runs=${1:-10}

ensure_venv
ensure_pip_venv "$ROOT/.venv-bench" tests/bench-requirements.txt
ensure_apt time:time
log "building the release binary"
cargo build --release --locked --quiet
out="$ROOT/target/bench"
mkdir -p "$out"

trap stop_emulator EXIT
bootstrap_emulator "$out/moto.log"
scenario=$("$PY" tests/emulator/scenario.py seed --endpoint "$EMULATOR_ENDPOINT" --kind reference \
    --suffix bench --token-file "$out/token")
bucket=$(json_get bucket <<<"$scenario")
table=$(json_get table <<<"$scenario")
role=$(json_get role_arn <<<"$scenario")

# The scale case: 5 and 200 harmless checks on the same bucket and table.
spec() { # N FILE
    local i
    echo "checks:" >"$2"
    for ((i = 0; i < $1; i++)); do
        case $((i % 5)) in
            0) echo "  - {action: s3:ListBucket, bucket: $bucket, expect: allow, name: c$i}" ;;
            1) echo "  - {action: s3:DeleteObject, bucket: $bucket, expect: deny, name: c$i}" ;;
            2) echo "  - {action: dynamodb:DescribeTable, table: $table, expect: allow, name: c$i}" ;;
            3) echo "  - {action: s3:GetObject, bucket: $bucket, key: demo-test-file, expect: allow, name: c$i}" ;;
            4) echo "  - {action: dynamodb:GetItem, table: $table, expect: deny, name: c$i}" ;;
        esac >>"$2"
    done
}
spec 5 "$out/spec5.yaml"
spec 200 "$out/spec200.yaml"

# The pod's environment, for both: IRSA env and the emulator. CLI v1 reads
# AWS_DEFAULT_REGION, not AWS_REGION.
pod_env=$("$PY" -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' \
    PATH "$PATH" HOME "$out" AWS_REGION eu-west-1 AWS_DEFAULT_REGION eu-west-1 \
    AWS_ENDPOINT_URL "$EMULATOR_ENDPOINT" AWS_ROLE_ARN "$role" AWS_WEB_IDENTITY_TOKEN_FILE "$out/token" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT http://127.0.0.1:1 AWS_CONFIG_FILE "$out/none" \
    AWS_SHARED_CREDENTIALS_FILE "$out/none" AWS_PAGER "")
# The AWS-latency stand-in for the scale case (tests/emulator/stand_ins.py).
proxy_port=$(free_port)
echo '[{"service": "*", "fault": "latency", "seconds": 0.025}]' >"$out/latency.json"
"$PY" tests/emulator/stand_ins.py fault-proxy --port "$proxy_port" --upstream "$EMULATOR_ENDPOINT" \
    --rules "$out/latency.json" --parent-pid $$ >/dev/null 2>&1 &
proxy_pid=$!
wait_port "$proxy_port"
trap 'kill $proxy_pid 2>/dev/null; stop_emulator' EXIT
latency_env=$("$PY" -c 'import json, sys; e = json.loads(sys.argv[1]); e["AWS_ENDPOINT_URL"] = sys.argv[2]; print(json.dumps(e))' \
    "$pod_env" "http://127.0.0.1:$proxy_port")
"$PY" scripts/bench.py --binary target/release/irsa-verify --aws "$ROOT/.venv-bench/bin/aws" \
    --scenario "$scenario" --env "$pod_env" --runs "$runs" --spec5 "$out/spec5.yaml" --spec200 "$out/spec200.yaml" \
    --latency-env "$latency_env" --derived-policy tests/fixtures/addons/aws-load-balancer-controller.json
