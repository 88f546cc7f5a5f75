#!/usr/bin/env bash
# Records the pod logs the kubectl stand-in replays, from real runs of the
# agent (as the Job runs it: --spec, --junit-log) against the emulator, and
# the termination messages those runs wrote (logs-*-termination.txt).
#   tests/smoke/record-fixtures.sh OUTDIR [BINARY]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"
out=${1:?usage: record-fixtures.sh OUTDIR [BINARY]}
bin=${2:-$ROOT/target/debug/irsa-verify}
mkdir -p "$out"
ensure_venv
# Reuse a running emulator (scripts/test.sh), or start one.
if [ -z "${EMULATOR_ENDPOINT:-}" ]; then
    trap stop_emulator EXIT
    bootstrap_emulator "$out/moto.log"
fi

record() { # KIND OUTFILE [with-irsa]
    local scenario bucket table role
    scenario=$("$PY" "$ROOT/tests/emulator/scenario.py" seed --endpoint "$EMULATOR_ENDPOINT" --kind "$1" \
        --suffix "fx-$1-$RANDOM" --token-file "$out/token-$1")
    bucket=$(json_get bucket <<<"$scenario")
    table=$(json_get table <<<"$scenario")
    role=$(json_get role_arn <<<"$scenario")
    printf 'checks:\n  - {action: s3:ListBucket, bucket: %s, expect: allow}\n  - {action: s3:DeleteObject, bucket: %s, expect: deny}\n  - {action: dynamodb:DeleteTable, table: %s, expect: deny}\n' \
        "$bucket" "$bucket" "$table" >"$out/spec-$1.yaml"
    local irsa=(AWS_ROLE_ARN="$role" AWS_WEB_IDENTITY_TOKEN_FILE="$out/token-$1")
    [ "${3:-with-irsa}" = with-irsa ] || irsa=()
    env -i PATH="$PATH" HOME="$out" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
        AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 IRSA_VERIFY_SUITE_NAME="demo/app-$1" \
        "${irsa[@]}" "$bin" --spec "$out/spec-$1.yaml" --junit-log \
        --termination-log "${2%.txt}-termination.txt" >"$2" 2>&1 || true
}
record reference "$out/logs-pass.txt"
# As smoke-test.sh --from-role runs it: the role's policies and trust policy.
scenario=$("$PY" "$ROOT/tests/emulator/scenario.py" seed --endpoint "$EMULATOR_ENDPOINT" --kind reference \
    --suffix "fx-policy-$RANDOM" --token-file "$out/token-policy")
exported=$("$PY" "$ROOT/tests/emulator/scenario.py" export --endpoint "$EMULATOR_ENDPOINT" \
    --role-name "$(json_get role_name <<<"$scenario")" --dir "$out/policies")
env -i PATH="$PATH" HOME="$out" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 IRSA_VERIFY_SUITE_NAME="demo/app-policy" \
    AWS_ROLE_ARN="$(json_get role_arn <<<"$scenario")" AWS_WEB_IDENTITY_TOKEN_FILE="$out/token-policy" \
    "$bin" --from-policy "$out/policies" --trust-policy "$(json_get trust <<<"$exported")" --junit-log \
    >"$out/logs-frompolicy.txt" 2>&1 || true
record overpermissive "$out/logs-fail.txt"
record reference "$out/logs-noinject.txt" without-irsa
{
    echo "2026-11-29T04:00:00Z irsa-verify starting"
    cat "$out/logs-pass.txt"
    echo "a line some wrapper printed after the report"
} >"$out/logs-noisy.txt"
# A frame whose document lost its last line on the way.
awk '/junit end/ { print prev; print; next } { if (NR > 1) print prev; prev = $0 }' "$out/logs-pass.txt" \
    | awk '/junit begin/ { inside = 1 } inside && /<\/testsuites>/ { next } { print }' >"$out/logs-truncated.txt"
