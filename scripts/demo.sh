#!/usr/bin/env bash
# The agent exactly as a pod runs it, on the local emulator: builds, starts the
# emulator, seeds the reference procedure's scenario (its policy, a bucket with
# demo-test-file, a table with deletion protection), writes the projected
# token, and runs irsa-verify with the pod's IRSA environment.
#   scripts/demo.sh                  the correctly configured role: exit 0
#   scripts/demo.sh --misconfigured  an over-permissive role: exit 1
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

kind=reference
case "${1:-}" in
    "") ;;
    --misconfigured) kind=overpermissive ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--misconfigured]" >&2; exit 2 ;;
esac

out="$ROOT/.tmp/demo"
mkdir -p "$out"
ensure_venv
log "building irsa-verify"
cargo build --quiet --locked
bin="$ROOT/target/debug/irsa-verify"

log "starting the emulator (moto, IAM enforcement on)"
trap stop_emulator EXIT
bootstrap_emulator "$out/moto.log"

log "seeding the reference procedure's scenario ($kind role)"
scenario=$("$PY" tests/emulator/scenario.py seed --endpoint "$EMULATOR_ENDPOINT" --kind "$kind" \
    --suffix demo --token-file "$out/token")
bucket=$(json_get bucket <<<"$scenario")
table=$(json_get table <<<"$scenario")
role_arn=$(json_get role_arn <<<"$scenario")

log "running irsa-verify as the pod would (AWS_ROLE_ARN + projected token)"
echo
set +e
env -i PATH="$PATH" HOME="$out" \
    AWS_REGION=eu-west-1 \
    AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
    AWS_ROLE_ARN="$role_arn" \
    AWS_WEB_IDENTITY_TOKEN_FILE="$out/token" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 \
    AWS_CONFIG_FILE="$out/none" AWS_SHARED_CREDENTIALS_FILE="$out/none" \
    "$bin" --bucket "$bucket" --table "$table" --object demo-test-file \
    --junit "$out/junit.xml" --json "$out/report.json"
code=$?
set -e
echo
log "exit code $code; JUnit report: $out/junit.xml; JSON: $out/report.json"
exit "$code"
