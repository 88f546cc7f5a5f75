#!/usr/bin/env bats
# scripts/smoke-test.sh, driven by a STAND-IN kubectl (tests/smoke/kubectl)
# that replays a real kubectl's output per scenario: no Kubernetes API server
# can run on these machines. The pod logs it serves are recorded from real
# agent runs against the emulator (tests/smoke/record-fixtures.sh).
# Needs SMOKE_FIXTURES (scripts/test.sh sets it).

setup() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    export KUBECTL="$ROOT/tests/smoke/kubectl"
    export REAL_KUBECTL=${REAL_KUBECTL:-$(command -v kubectl)}
    export KUBECTL_STANDIN_FIXTURES=${SMOKE_FIXTURES:?run through scripts/test.sh, or set SMOKE_FIXTURES}
    export KUBECTL_STANDIN_STATE="$BATS_TEST_TMPDIR/state"
    JUNIT="$BATS_TEST_TMPDIR/junit.xml"
    SPEC="$BATS_TEST_TMPDIR/spec.yaml"
    printf 'checks:\n  - {action: s3:ListBucket, bucket: my-bucket, expect: allow}\n' >"$SPEC"
}

smoke() { # runs the script, bounded: it must never hang
    run timeout 120 "$ROOT/scripts/smoke-test.sh" --image registry.example/irsa-verify:0.1.0 -o "$JUNIT" "$@"
}

well_formed() { # and valid against the strict JUnit schema
    xmllint --noout --schema "$ROOT/tests/schema/junit-10.xsd" "$1"
}

@test "--help: the usage on stdout, exit 0; a wrong flag: stderr, exit 64" {
    bats_require_minimum_version 1.5.0
    run --separate-stderr "$ROOT/scripts/smoke-test.sh" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: scripts/smoke-test.sh --image IMAGE"* ]]
    [ -z "$stderr" ]
    run --separate-stderr "$ROOT/scripts/smoke-test.sh" --no-such-flag
    [ "$status" -eq 64 ]
    [ -z "$output" ]
    [[ "$stderr" == *"unknown argument: --no-such-flag"* ]]
}

@test "a passing Job: exit 0, the JUnit file, the human report, cleanup" {
    export KUBECTL_STANDIN_SCENARIO=complete
    smoke -n team-a -s app --spec "$SPEC"
    [ "$status" -eq 0 ]
    well_formed "$JUNIT"
    grep -q '<testsuite[^>]*name="demo/app-reference"' "$JUNIT"
    [[ "$output" == *"PASS  s3:DeleteObject"* ]]
    [[ "$output" == *"result: 4 pass, 0 fail, 0 error, 0 skip"* ]]
    grep -q 'deleted: delete -f' "$KUBECTL_STANDIN_STATE/deleted.log"
    # The Job was rendered from the base for this namespace, ServiceAccount and image.
    applied=$(ls "$KUBECTL_STANDIN_STATE"/applied-*.yaml)
    grep -q 'namespace: team-a' "$applied"
    grep -q 'serviceAccountName: app' "$applied"
    grep -q 'image: registry.example/irsa-verify:0.1.0' "$applied"
    grep -q 'value: team-a/app' "$applied"
}

@test "the rendered Job is valid Kubernetes (kubernetes-validate --strict)" {
    [ -n "${TOOLS_VENV:-}" ] || skip "needs TOOLS_VENV (scripts/test.sh)"
    export KUBECTL_STANDIN_SCENARIO=complete
    smoke -s app --bucket my-bucket --table my-table
    [ "$status" -eq 0 ]
    "$TOOLS_VENV/bin/kubernetes-validate" --strict "$KUBECTL_STANDIN_STATE"/applied-*.yaml
}

@test "a failing Job: the agent's exit 1 and its failures in JUnit" {
    export KUBECTL_STANDIN_SCENARIO=failed
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 1 ]
    well_formed "$JUNIT"
    [ "$(grep -o '<failure' "$JUNIT" | wc -l)" -eq 2 ]
}

@test "other lines around the report in the log do not disturb it" {
    export KUBECTL_STANDIN_SCENARIO=noisy
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 0 ]
    well_formed "$JUNIT"
    [[ "$output" == *"a line some wrapper printed after the report"* ]]
    ! grep -q 'wrapper printed' "$JUNIT"
}

@test "image pull error: the Job never ran (10), with the pod's events" {
    export KUBECTL_STANDIN_SCENARIO=imagepull
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 10 ]
    [[ "$output" == *"never ran: ImagePullBackOff"* ]]
    [[ "$output" == *"Failed to pull image"* ]]
    well_formed "$JUNIT"
    grep -q 'job-did-not-report' "$JUNIT"
}

@test "unschedulable: never ran (10) at the timeout, with the scheduler's reason" {
    export KUBECTL_STANDIN_SCENARIO=unschedulable
    smoke -s app --spec "$SPEC" --timeout 3
    [ "$status" -eq 10 ]
    [[ "$output" == *"unschedulable"* ]]
    [[ "$output" == *"Insufficient memory"* ]]
}

@test "admission refused: never ran (10), with the API server's message" {
    export KUBECTL_STANDIN_SCENARIO=refused
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 10 ]
    [[ "$output" == *"admission webhook"* ]]
}

@test "a Job that never finishes: timed out (12), no hang" {
    export KUBECTL_STANDIN_SCENARIO=timeout
    smoke -s app --spec "$SPEC" --timeout 3
    [ "$status" -eq 12 ]
    [[ "$output" == *"timed out after 3s"* ]]
}

@test "the webhook did not inject IRSA: its own code (11), the agent's report kept" {
    export KUBECTL_STANDIN_SCENARIO=noinject
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 11 ]
    [[ "$output" == *"did not inject IRSA or Pod Identity"* ]]
    well_formed "$JUNIT"
    grep -q 'AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are both absent' "$JUNIT"
}

@test "no report in the log, or an incomplete one: 13" {
    export KUBECTL_STANDIN_SCENARIO=nolog
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 13 ]
    [[ "$output" == *"exec format error"* ]]
    export KUBECTL_STANDIN_SCENARIO=truncated KUBECTL_STANDIN_STATE="$BATS_TEST_TMPDIR/state2"
    smoke -s app --spec "$SPEC"
    [ "$status" -eq 13 ]
    [[ "$output" == *"incomplete"* ]]
}

@test "--keep leaves the Job in place" {
    export KUBECTL_STANDIN_SCENARIO=complete
    smoke -s app --spec "$SPEC" --keep
    [ "$status" -eq 0 ]
    [ ! -e "$KUBECTL_STANDIN_STATE/deleted.log" ]
}

@test "several ServiceAccounts: one testsuite each, the worst exit code" {
    export KUBECTL_STANDIN_SCENARIO="app-a=complete,app-b=failed,app-c=imagepull"
    smoke --target team-a/app-a --target team-b/app-b --target team-c/app-c --spec "$SPEC"
    [ "$status" -eq 1 ]
    well_formed "$JUNIT"
    [ "$(grep -o '<testsuite ' "$JUNIT" | wc -l)" -eq 3 ]
    grep -q 'name="team-c/app-c"' "$JUNIT"
    [ "$(ls "$KUBECTL_STANDIN_STATE"/applied-*.yaml | wc -l)" -eq 3 ]
}

@test "--from-role: the role's policies read with the aws CLI, mounted, and the agent run on them" {
    [ -n "${EMULATOR_ENDPOINT:-}" ] && [ -n "${TOOLS_VENV:-}" ] || skip "needs the emulator and the aws CLI (scripts/test.sh)"
    scenario=$("$PY" "$ROOT/tests/emulator/scenario.py" seed --endpoint "$EMULATOR_ENDPOINT" --kind reference --suffix "bats-$RANDOM")
    role=$(printf '%s' "$scenario" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["role_arn"])')
    bucket=$(printf '%s' "$scenario" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["bucket"])')
    # The real aws CLI, against the emulator's IAM.
    export AWS="$TOOLS_VENV/bin/aws" AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" AWS_DEFAULT_REGION=eu-west-1 \
        AWS_ACCESS_KEY_ID="$IRSA_TEST_ADMIN_KEY" AWS_SECRET_ACCESS_KEY="$IRSA_TEST_ADMIN_SECRET"
    export KUBECTL_STANDIN_SCENARIO=frompolicy KUBECTL_STANDIN_ROLE_ARN="$role"
    smoke -n demo -s app --from-role --object demo-test-file
    [ "$status" -eq 0 ]
    [[ "$output" == *"read 1 policies and the trust policy of ${role##*/}"* ]]
    [[ "$output" == *"PASS  sts:AssumeRoleWithWebIdentity"* ]]
    well_formed "$JUNIT"
    applied=$(ls "$KUBECTL_STANDIN_STATE"/applied-*.yaml)
    # The policies went into the Job's ConfigMaps as the CLI printed them ...
    grep -q "name: irsa-verify-policies-" "$applied"
    grep -q "arn:aws:s3:::$bucket" "$applied"
    grep -q "name: irsa-verify-trust-" "$applied"
    grep -q "AssumeRolePolicyDocument" "$applied"
    # ... and the agent runs on them, with the added target.
    grep -q -- "- --from-policy" "$applied"
    grep -q -- "- /etc/irsa-verify/trust/trust.json" "$applied"
    grep -q -- "- demo-test-file" "$applied"
    [ -n "${TOOLS_VENV:-}" ] && "$TOOLS_VENV/bin/kubernetes-validate" --strict "$applied"
}

@test "--from-role on a ServiceAccount without a role annotation: 11, with the reason" {
    export KUBECTL_STANDIN_SCENARIO=complete KUBECTL_STANDIN_ROLE_ARN="" AWS=true
    smoke -s app --from-role
    [ "$status" -eq 11 ]
    [[ "$output" == *"no eks.amazonaws.com/role-arn annotation"* ]]
}

@test "usage errors exit 64 and send nothing" {
    smoke -s app
    [ "$status" -eq 64 ]
    smoke --spec "$SPEC"
    [ "$status" -eq 64 ]
    smoke -s app --spec "$SPEC" --bucket b
    [ "$status" -eq 64 ]
    smoke -s app --spec "$SPEC" --timeout soon
    [ "$status" -eq 64 ]
    smoke --target no-slash --spec "$SPEC"
    [ "$status" -eq 64 ]
    [ ! -e "$KUBECTL_STANDIN_STATE/calls.log" ]
}
