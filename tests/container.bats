#!/usr/bin/env bats
# The image, built from the Dockerfile and run as the pod would: non-root,
# read-only root filesystem, all capabilities dropped, the IRSA environment,
# the projected token mounted as a file, against the emulator. The verdicts
# must be the bare binary's.
#
# What differs from a user's build: no base image can be pulled here, so the
# Dockerfile is built with BINARY_FROM=prebuilt: the binary is a static musl
# build made on this machine (cargo, x86_64-unknown-linux-musl) instead of in
# the rust:alpine builder stage. The final stage is the same.
#
# scripts/test.sh sets IMAGE, PODMAN_STORAGE, EMULATOR_ENDPOINT, the admin keys
# and BINARY (the host build, for the side-by-side comparison).

bats_require_minimum_version 1.5.0

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    export ROOT
    : "${IMAGE:?}" "${EMULATOR_ENDPOINT:?}" "${IRSA_TEST_ADMIN_KEY:?}" "${BINARY:?}"
}

podman_() { podman --storage-driver "${PODMAN_STORAGE:-vfs}" "$@"; }
# runc, the ulimits and no healthcheck timers: what works on these machines
# (crun fails here, and there is no systemd for podman's healthcheck timers).
RUN_OPTS=(--rm --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --no-healthcheck)

seed() { # KIND -> sets BUCKET TABLE ROLE TOKEN
    local out
    TOKEN="$BATS_TEST_TMPDIR/token"
    out=$("$PY" "$ROOT/tests/emulator/scenario.py" seed --endpoint "$EMULATOR_ENDPOINT" --kind "$1" \
        --suffix "ctr-$1-$BATS_TEST_NUMBER-$$" --token-file "$TOKEN")
    BUCKET=$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["bucket"])')
    TABLE=$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["table"])')
    ROLE=$(echo "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["role_arn"])')
    chmod 0644 "$TOKEN"
}

snapshot() {
    "$PY" "$ROOT/tests/emulator/scenario.py" snapshot --endpoint "$EMULATOR_ENDPOINT" --bucket "$BUCKET" --table "$TABLE"
}

# The pod: IRSA env, token at the webhook's path, hardened like the Job.
as_pod() {
    run --separate-stderr timeout 120 podman --storage-driver "${PODMAN_STORAGE:-vfs}" run "${RUN_OPTS[@]}" \
        --network host --read-only --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges \
        -e AWS_REGION=eu-west-1 -e AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
        -e AWS_ROLE_ARN="$ROLE" \
        -e AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token \
        -e AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 \
        -v "$TOKEN:/var/run/secrets/eks.amazonaws.com/serviceaccount/token:ro" \
        "$@"
}

statuses() { # JSON on stdin -> "action=status ..."
    "$PY" -c 'import json,sys; print(" ".join(r["action"] + "=" + r["status"] for r in json.load(sys.stdin)["results"]))'
}

@test "the reference scenario passes in the container, as with the bare binary, changing nothing" {
    seed reference
    before=$(snapshot)
    as_pod "$IMAGE" --bucket "$BUCKET" --table "$TABLE" --object demo-test-file --json -
    [ "$status" -eq 0 ]
    in_container=$(printf '%s' "$output" | statuses)
    [ "$in_container" = "sts:GetCallerIdentity=pass s3:ListBucket=pass s3:DeleteObject=pass s3:GetObject=pass dynamodb:DescribeTable=pass dynamodb:DeleteTable=pass" ]
    [ "$(snapshot)" = "$before" ]
    bare=$(env -i PATH="$PATH" HOME="$BATS_TEST_TMPDIR" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
        AWS_ROLE_ARN="$ROLE" AWS_WEB_IDENTITY_TOKEN_FILE="$TOKEN" AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 \
        "$BINARY" --bucket "$BUCKET" --table "$TABLE" --object demo-test-file --json - 2>/dev/null | statuses)
    [ "$in_container" = "$bare" ]
}

@test "an over-permissive role fails in the container too (exit 1)" {
    seed overpermissive
    before=$(snapshot)
    as_pod "$IMAGE" --bucket "$BUCKET" --table "$TABLE"
    [ "$status" -eq 1 ]
    [[ "$output" == *"FAIL  s3:DeleteObject"* ]]
    [[ "$output" == *"FAIL  dynamodb:DeleteTable"* ]]
    [ "$(snapshot)" = "$before" ]
}

@test "the termination message reaches /dev/termination-log" {
    seed reference
    : >"$BATS_TEST_TMPDIR/termination-log"
    chmod 0666 "$BATS_TEST_TMPDIR/termination-log"
    as_pod -v "$BATS_TEST_TMPDIR/termination-log:/dev/termination-log" "$IMAGE" --bucket "$BUCKET"
    [ "$status" -eq 0 ]
    grep -q '^irsa-verify exit 0: 3 pass, 0 fail, 0 error, 0 skip' "$BATS_TEST_TMPDIR/termination-log"
}

@test "the image: small, non-root, no shell, the binary as entrypoint, labelled" {
    size=$(podman_ image inspect "$IMAGE" --format '{{.Size}}')
    [ "$size" -le $((15 * 1024 * 1024)) ]
    [ "$(podman_ image inspect "$IMAGE" --format '{{.Config.User}}')" = "65532:65532" ]
    [ "$(podman_ image inspect "$IMAGE" --format '{{json .Config.Entrypoint}}')" = '["/irsa-verify"]' ]
    [ "$(podman_ image inspect "$IMAGE" --format '{{index .Config.Labels "org.opencontainers.image.title"}}')" = irsa-verify ]
    # 127: there is no /bin/sh to run.
    run -127 podman_ run "${RUN_OPTS[@]}" --entrypoint /bin/sh "$IMAGE" -c true
    run --separate-stderr podman_ run "${RUN_OPTS[@]}" "$IMAGE" --version
    [ "$status" -eq 0 ]
    [[ "$output" == "irsa-verify "* ]]
}
