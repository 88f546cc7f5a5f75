#!/usr/bin/env bats
# charts/irsa-verify: linted, rendered in each mode and validated, its schema's
# refusals, its alerts, and its test hook run the way `helm test --logs` runs it.
#
# No Kubernetes API server can run on these machines, and helm talks to one over
# HTTP (client-go), not through kubectl: `helm install` and `helm test` cannot
# run here, not even `helm install --dry-run=client` (it asks the server for its
# version first). So the chart is rendered with the real helm (`helm template`,
# `helm lint`), and what helm would do with the rendered test hook is played in
# kubectl calls against the stand-in kubectl of the smoke test
# (tests/smoke/kubectl). The pod log that stand-in replays is a real run of the
# rendered hook's own command line, mounted files and environment, by the real
# agent against the emulator. Not exercised: helm's own hook machinery (the
# ordering, the delete policy as helm applies it, its wait and log fetch) and a
# kubelet running the pod.
#
# scripts/test.sh sets HELM, TOOLS_VENV, CHECKOV, BINARY, PY and the
# emulator's EMULATOR_ENDPOINT.

# Each @test runs in a subshell of its own: that its `run` and `export` stay
# there is what bats is for (shellcheck's SC2030/SC2031 say so as a warning).
# shellcheck disable=SC2030,SC2031
bats_require_minimum_version 1.5.0

setup() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    CHART="$ROOT/charts/irsa-verify"
    : "${HELM:?run through scripts/test.sh, or set HELM (scripts/lib.sh ensure_helm)}"
    : "${TOOLS_VENV:?run through scripts/test.sh, or set TOOLS_VENV}"
    BINARY=${BINARY:-$ROOT/target/debug/irsa-verify}
    # helm's own config, cache and data, kept out of the user's home.
    export HELM_CONFIG_HOME="$BATS_TEST_TMPDIR/helm/config" HELM_CACHE_HOME="$BATS_TEST_TMPDIR/helm/cache" \
        HELM_DATA_HOME="$BATS_TEST_TMPDIR/helm/data"
}

# Succeeds when the command fails (a bare `! cmd` never fails a bats test).
not() { ! "$@"; }

MODES=(test postSync cronJob watch)

render() { # MODE [HELM ARGS...] -> $BATS_TEST_TMPDIR/MODE.yaml
    local mode=$1
    shift
    "$HELM" template irsa-verify "$CHART" -n team-a -f "$CHART/ci/$mode-values.yaml" "$@" >"$BATS_TEST_TMPDIR/$mode.yaml"
}

# Renders MODE, checks what the mode promises (check_rendered.py), validates
# the Kubernetes objects strictly (warnings fail too), lints the YAML, and has
# the real agent check the rendered command line with the files as mounted.
check_mode() { # MODE
    local mode=$1 out="$BATS_TEST_TMPDIR/$1" args=()
    render "$mode"
    "$TOOLS_VENV/bin/python" "$ROOT/tests/helm/check_rendered.py" "$mode" "$BATS_TEST_TMPDIR/$mode.yaml" "$out"
    run "$TOOLS_VENV/bin/kubernetes-validate" --strict "$out/builtin.yaml"
    [ "$status" -eq 0 ]
    not grep -E 'WARN|ERROR' <<<"$output"
    "$TOOLS_VENV/bin/yamllint" -s -c "$ROOT/.yamllint.yaml" "$BATS_TEST_TMPDIR/$mode.yaml"
    mapfile -t args <"$out/args"
    run "$BINARY" --validate-only "${args[@]}"
    [ "$status" -eq 0 ]
    [[ "$output" == "valid: "* ]]
}

@test "helm lint --strict: each mode's values (charts/irsa-verify/ci)" {
    for mode in "${MODES[@]}"; do
        run "$HELM" lint --strict "$CHART" -f "$CHART/ci/$mode-values.yaml"
        [ "$status" -eq 0 ]
        [[ "$output" == *"1 chart(s) linted, 0 chart(s) failed"* ]]
        not grep -E '\[(WARNING|ERROR)\]' <<<"$output"
    done
}

@test "mode test: a Helm test hook Pod, kept until the next run; valid; the agent accepts its command line" {
    check_mode test
    # The hook pod runs with --junit-log: `helm test --logs` shows the JUnit document.
    grep -qx -- '--junit-log' "$BATS_TEST_TMPDIR/test/args"
}

@test "mode postSync: an Argo CD PostSync hook Job, replaced on the next sync; the policies and trust policy mounted" {
    check_mode postSync
    grep -qx -- '--from-policy' "$BATS_TEST_TMPDIR/postSync/args"
    [ -f "$BATS_TEST_TMPDIR/postSync/etc/policies/reference.json" ]
    # A policy given as a map is rendered as JSON the agent reads.
    "$TOOLS_VENV/bin/python" -c 'import json, sys; json.load(open(sys.argv[1]))' \
        "$BATS_TEST_TMPDIR/postSync/etc/policies/attached-tables.json"
    # The chain's hops, in order: the first with its own policy, mounted apart.
    [ "$(grep -c -x -- '--chain' "$BATS_TEST_TMPDIR/postSync/args")" -eq 2 ]
    grep -qx -- "arn:aws:iam::222233334444:role/dns-writer=$BATS_TEST_TMPDIR/postSync/etc/chain/1" "$BATS_TEST_TMPDIR/postSync/args"
    grep -qx -- 'arn:aws:iam::333344445555:role/prod-read' "$BATS_TEST_TMPDIR/postSync/args"
    [ "$(grep -n -x -- 'arn:aws:iam::333344445555:role/prod-read' "$BATS_TEST_TMPDIR/postSync/args" | cut -d: -f1)" -gt \
      "$(grep -n -- 'role/dns-writer=' "$BATS_TEST_TMPDIR/postSync/args" | cut -d: -f1)" ]
    "$TOOLS_VENV/bin/python" -c 'import json, sys; json.load(open(sys.argv[1]))' \
        "$BATS_TEST_TMPDIR/postSync/etc/chain/1/dns.json"
}

@test "mode cronJob: a CronJob, Forbid, bounded history, the schedule and time zone from values" {
    check_mode cronJob
    grep -q 'schedule: "30 2 \* \* \*"' "$BATS_TEST_TMPDIR/cronJob.yaml"
    grep -q 'timeZone: "Europe/Berlin"' "$BATS_TEST_TMPDIR/cronJob.yaml"
}

@test "mode watch: a Deployment with probes, its Service, ServiceMonitor and PrometheusRule (the operator's schemas)" {
    check_mode watch
    grep -qx -- '--watch' "$BATS_TEST_TMPDIR/watch/args"
    grep -qx -- '15m' "$BATS_TEST_TMPDIR/watch/args"
    grep -qx -- '0.0.0.0:9464' "$BATS_TEST_TMPDIR/watch/args"
    grep -qx -- '--deny-every' "$BATS_TEST_TMPDIR/watch/args"
    # kubernetes-validate knows no CRD: the Prometheus Operator's schemas, from npm.
    run node "$ROOT/tests/helm/validate-crds.cjs" "$ROOT/.tools/npm" "$BATS_TEST_TMPDIR/watch/crds.json"
    [ "$status" -eq 0 ]
    [[ "$output" == *"ServiceMonitor irsa-verify: valid"* ]]
    [[ "$output" == *"PrometheusRule irsa-verify: valid"* ]]
    # ... and that check refuses what the operator would.
    sed 's/"interval": "1m"/"interval": "one minute"/' "$BATS_TEST_TMPDIR/watch/crds.json" >"$BATS_TEST_TMPDIR/bad.json"
    run node "$ROOT/tests/helm/validate-crds.cjs" "$ROOT/.tools/npm" "$BATS_TEST_TMPDIR/bad.json"
    [ "$status" -eq 1 ]
    [[ "$output" == *"interval must match pattern"* ]]
    # Without serviceMonitor and prometheusRule: no CRD, nothing needs the operator.
    render watch --set serviceMonitor.enabled=false --set prometheusRule.enabled=false
    not grep -q 'monitoring.coreos.com' "$BATS_TEST_TMPDIR/watch.yaml"
}

@test "checkov: every mode's rendered objects (.checkov.yaml's skips, and the test pod's two, annotated with why)" {
    [ -x "${CHECKOV:-}" ] || skip "needs CHECKOV (scripts/test.sh)"
    mkdir -p "$BATS_TEST_TMPDIR/checkov"
    for mode in "${MODES[@]}"; do
        render "$mode"
        "$TOOLS_VENV/bin/python" "$ROOT/tests/helm/check_rendered.py" "$mode" "$BATS_TEST_TMPDIR/$mode.yaml" "$BATS_TEST_TMPDIR/$mode" >/dev/null
        cp "$BATS_TEST_TMPDIR/$mode/builtin.yaml" "$BATS_TEST_TMPDIR/checkov/$mode.yaml"
    done
    run "$CHECKOV" --quiet --compact --skip-download --config-file "$ROOT/.checkov.yaml" \
        -d "$BATS_TEST_TMPDIR/checkov" --framework kubernetes
    [ "$status" -eq 0 ]
    # The only skips are the test pod's probes (templates/test-pod.yaml).
    [[ "$output" == *"Failed checks: 0, Skipped checks: 2"* ]]
}

@test "values.schema.json refuses an unknown mode, a wrong type, an unknown key, and values that do not fit together" {
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set mode=bogus
    [ "$status" -eq 1 ]
    [[ "$output" == *"values don't meet the specifications of the schema"* ]]
    [[ "$output" == *'mode: mode must be one of the following: "test", "postSync", "cronJob", "watch"'* ]]
    # --set-json keeps the number a number, as a values file would.
    run "$HELM" template x "$CHART" -f "$CHART/ci/watch-values.yaml" --set-json watch.interval=5
    [ "$status" -eq 1 ]
    [[ "$output" == *"watch.interval: Invalid type. Expected: string, given: integer"* ]]
    run "$HELM" template x "$CHART" -f "$CHART/ci/watch-values.yaml" --set watch.interval=15min
    [ "$status" -eq 1 ]
    [[ "$output" == *"watch.interval: Does not match pattern"* ]]
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set bogus=1
    [ "$status" -eq 1 ]
    [[ "$output" == *"Additional property bogus is not allowed"* ]]
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set serviceAccount.roleArn=my-role
    [ "$status" -eq 1 ]
    [[ "$output" == *"serviceAccount.roleArn: Does not match pattern"* ]]
    # A chain hop is a role's full ARN, not its name.
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set 'chain[0].roleArn=dns-writer'
    [ "$status" -eq 1 ]
    [[ "$output" == *"chain.0.roleArn: Does not match pattern"* ]]
    run "$HELM" template x "$CHART" -f "$CHART/ci/cronJob-values.yaml" --set cronJob.successfulJobsHistoryLimit=100
    [ "$status" -eq 1 ]
    [[ "$output" == *"cronJob.successfulJobsHistoryLimit: Must be less than or equal to 10"* ]]
    # A ServiceMonitor, or alerts, where nothing serves metrics.
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set serviceMonitor.enabled=true
    [ "$status" -eq 1 ]
    [[ "$output" == *'mode: mode does not match: "watch"'* ]]
    run "$HELM" template x "$CHART" -f "$CHART/ci/cronJob-values.yaml" --set prometheusRule.enabled=true
    [ "$status" -eq 1 ]
    [[ "$output" == *'mode: mode does not match: "watch"'* ]]
    # An existing ServiceAccount with no name.
    run "$HELM" template x "$CHART" -f "$CHART/ci/test-values.yaml" --set serviceAccount.create=false
    [ "$status" -eq 1 ]
    [[ "$output" == *"serviceAccount.name: String length must be greater than or equal to 1"* ]]
}

@test "nothing to check: the template says to set spec or policies" {
    run "$HELM" template x "$CHART" --set mode=cronJob
    [ "$status" -eq 1 ]
    [[ "$output" == *"set spec (what the role must and must not do) or policies"* ]]
}

@test "NOTES.txt: each mode says how to run it or read its verdict" {
    # helm renders NOTES.txt only on install, which needs a cluster: a copy of
    # the chart renders it with helm's tpl, with the same values and release.
    copy="$BATS_TEST_TMPDIR/chart"
    cp -r "$CHART" "$copy"
    cp "$copy/templates/NOTES.txt" "$copy/notes.txt"
    printf 'notes: |\n  {{- tpl (.Files.Get "notes.txt") . | nindent 2 }}\n' >"$copy/templates/zz-notes.yaml"
    notes() { # MODE
        "$HELM" template irsa-verify "$copy" -n team-a -f "$CHART/ci/$1-values.yaml" --show-only templates/zz-notes.yaml |
            "$TOOLS_VENV/bin/python" -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["notes"])'
    }
    run notes test
    [ "$status" -eq 0 ]
    [[ "$output" == *"helm test irsa-verify -n team-a --logs"* ]]
    [[ "$output" == *"ServiceAccount team-a/irsa-verify"* ]]
    run notes postSync
    [[ "$output" == *"kubectl -n team-a logs job/irsa-verify"* ]]
    run notes cronJob
    [[ "$output" == *"create job irsa-verify-now --from=cronjob/irsa-verify"* ]]
    # A created ServiceAccount without a role ARN: Pod Identity, or no identity.
    [[ "$output" == *"needs an EKS Pod Identity association"* ]]
    run notes watch
    [[ "$output" == *"port-forward svc/irsa-verify 9464"* ]]
    [[ "$output" == *"PrometheusRule irsa-verify"* ]]
}

@test "README: the chart's helm install example renders (as helm template) what it says" {
    # The README's command, from `helm install` to its last continued line.
    cmd=$(awk '/^helm install irsa-verify charts\/irsa-verify/ { on = 1 } on { print; if (!/\\$/) exit }' "$ROOT/README.md")
    [ -n "$cmd" ]
    cd "$ROOT"
    run bash -euo pipefail -c "${cmd/#helm install/\"\$HELM\" template}"
    [ "$status" -eq 0 ]
    grep -q 'kind: Pod' <<<"$output"
    grep -q 'serviceAccountName: my-app' <<<"$output"
    grep -q 'image: "REGISTRY/irsa-verify:0.1.0"' <<<"$output"
    grep -q 'helm.sh/hook: test' <<<"$output"
}

@test "PrometheusRule: promtool check rules on the rendered rule group" {
    command -v promtool >/dev/null || skip "needs promtool (scripts/test.sh installs Debian's prometheus)"
    render watch
    "$TOOLS_VENV/bin/python" "$ROOT/tests/helm/check_rendered.py" watch "$BATS_TEST_TMPDIR/watch.yaml" "$BATS_TEST_TMPDIR/watch"
    run promtool check rules "$BATS_TEST_TMPDIR/watch/rules.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"SUCCESS: 4 rules found"* ]]
}

@test "PrometheusRule: promtool test rules (tests/helm/alerts_test.yaml): each alert fires, and does not" {
    command -v promtool >/dev/null || skip "needs promtool (scripts/test.sh installs Debian's prometheus)"
    render watch
    "$TOOLS_VENV/bin/python" "$ROOT/tests/helm/check_rendered.py" watch "$BATS_TEST_TMPDIR/watch.yaml" "$BATS_TEST_TMPDIR/watch"
    cp "$ROOT/tests/helm/alerts_test.yaml" "$BATS_TEST_TMPDIR/watch/"
    run promtool test rules "$BATS_TEST_TMPDIR/watch/alerts_test.yaml"
    [ "$status" -eq 0 ]
    [[ "$output" == *"SUCCESS"* ]]
    # Every alert of the rule has a test.
    grep -oE 'alert: [A-Za-z]+' "$BATS_TEST_TMPDIR/watch/rules.yaml" | cut -d' ' -f2 >"$BATS_TEST_TMPDIR/alerts"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/alerts")" -eq 4 ]
    while read -r alert; do
        grep -q "alertname: $alert\$" "$ROOT/tests/helm/alerts_test.yaml"
    done <"$BATS_TEST_TMPDIR/alerts"
}

# The test hook's run, for real where it can be: an emulator role seeded as
# KIND for team-a's ServiceAccount irsa-verify, the chart rendered in mode test
# for it, and the agent run exactly as the rendered pod would run it (its
# arguments, its environment, its ConfigMap files as mounted) with the IRSA
# environment the webhook would add. Its log becomes the stand-in's fixture.
record_hook_run() { # KIND LOGFILE EXPECTED-EXIT
    local out="$BATS_TEST_TMPDIR/hook" scenario bucket table role args=() env=()
    mkdir -p "$out/fixtures"
    scenario=$("$PY" "$ROOT/tests/emulator/scenario.py" seed --endpoint "$EMULATOR_ENDPOINT" --kind "$1" \
        --suffix "helm-$1-$$" --namespace team-a --service-account irsa-verify --token-file "$out/token")
    bucket=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["bucket"])' <<<"$scenario")
    table=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["table"])' <<<"$scenario")
    role=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["role_arn"])' <<<"$scenario")
    printf 'checks:\n  - {action: s3:ListBucket, bucket: %s, expect: allow}\n  - {action: s3:DeleteObject, bucket: %s, expect: deny}\n  - {action: dynamodb:DeleteTable, table: %s, expect: deny}\n' \
        "$bucket" "$bucket" "$table" >"$out/spec.yaml"
    render test --set serviceAccount.roleArn="$role" --set-file spec="$out/spec.yaml"
    "$TOOLS_VENV/bin/python" "$ROOT/tests/helm/check_rendered.py" test "$BATS_TEST_TMPDIR/test.yaml" "$out/pod" >/dev/null
    mapfile -t args <"$out/pod/args"
    mapfile -t env <"$out/pod/env"
    run env -i PATH="$PATH" HOME="$out" "${env[@]}" AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="$EMULATOR_ENDPOINT" \
        AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 AWS_ROLE_ARN="$role" \
        AWS_WEB_IDENTITY_TOKEN_FILE="$out/token" IRSA_VERIFY_TERMINATION_LOG="$out/termination" \
        "$BINARY" "${args[@]}"
    printf '%s\n' "$output" >"$out/fixtures/$2"
    [ "$status" -eq "$3" ]
    # The release's objects (what `helm install` creates) and the hook, apart,
    # as helm keeps them: hooks are not part of the install.
    render test --set serviceAccount.roleArn="$role" --set-file spec="$out/spec.yaml" \
        --show-only templates/serviceaccount.yaml --show-only templates/configmap.yaml
    mv "$BATS_TEST_TMPDIR/test.yaml" "$out/install.yaml"
    render test --set serviceAccount.roleArn="$role" --set-file spec="$out/spec.yaml" --show-only templates/test-pod.yaml
    mv "$BATS_TEST_TMPDIR/test.yaml" "$out/hook.yaml"
}

# What `helm test irsa-verify --logs` does with the hook, as kubectl calls
# against the stand-in, printed as helm prints it: the before-hook-creation
# delete of the last run's pod, the create, the wait for the pod's phase, its log.
helm_test_standin() { # DIR (install.yaml, hook.yaml)
    local pod phase="" polls=0
    pod=$(awk '/^kind: Pod/ { p = 1 } p && /^  name: / { print $2; exit }' "$1/hook.yaml")
    "$KUBECTL" -n team-a apply -f "$1/install.yaml" >/dev/null
    "$KUBECTL" -n team-a delete pod "$pod" --ignore-not-found >/dev/null
    "$KUBECTL" -n team-a apply -f "$1/hook.yaml" >/dev/null
    while [ "$polls" -lt 30 ]; do
        phase=$("$KUBECTL" -n team-a get pod "$pod" -o 'jsonpath={.status.phase}')
        case "$phase" in Succeeded | Failed) break ;; esac
        polls=$((polls + 1))
    done
    printf 'TEST SUITE:     %s\nPhase:          %s\n\nPOD LOGS: %s\n' "$pod" "$phase" "$pod"
    "$KUBECTL" -n team-a logs "$pod" -c irsa-verify
    [ "$phase" = Succeeded ]
}

standin_env() { # the stand-in kubectl, replaying the recorded hook run
    if [ -z "${EMULATOR_ENDPOINT:-}" ] || [ -z "${PY:-}" ]; then
        skip "needs the emulator (scripts/test.sh)"
    fi
    export KUBECTL="$ROOT/tests/smoke/kubectl"
    export REAL_KUBECTL=${REAL_KUBECTL:-$(command -v kubectl)}
    export KUBECTL_STANDIN_FIXTURES="$BATS_TEST_TMPDIR/hook/fixtures"
    export KUBECTL_STANDIN_STATE="$BATS_TEST_TMPDIR/state"
}

junit_of() { # the JUnit document framed in a log on stdin, as README step 5 cuts it out
    sed -n '/^===== irsa-verify junit begin /,/^===== irsa-verify junit end /p' | sed '1d;$d'
}

@test "mode test, as helm test --logs runs it (stand-in kubectl; the log a real run of the rendered hook): a pass" {
    standin_env
    record_hook_run reference logs-pass.txt 0
    export KUBECTL_STANDIN_SCENARIO=irsa-verify=complete
    run helm_test_standin "$BATS_TEST_TMPDIR/hook"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Phase:          Succeeded"* ]]
    [[ "$output" == *"PASS  s3:DeleteObject"* ]]
    [[ "$output" == *"result: 4 pass, 0 fail, 0 error, 0 skip"* ]]
    # The JUnit document in the log is whole, valid, and named for where it ran
    # (the rendered pod's IRSA_VERIFY_SUITE_NAME).
    junit_of <<<"$output" >"$BATS_TEST_TMPDIR/junit.xml"
    xmllint --noout --schema "$ROOT/tests/schema/junit-10.xsd" "$BATS_TEST_TMPDIR/junit.xml"
    grep -q '<testsuite[^>]*name="team-a/irsa-verify"' "$BATS_TEST_TMPDIR/junit.xml"
    # The pod ran as the chart's ServiceAccount, whose role annotation is the seeded role.
    [ "$(cat "$KUBECTL_STANDIN_STATE/pod-irsa-verify-test.sa")" = irsa-verify ]
    grep -q 'eks.amazonaws.com/role-arn: "arn:aws:iam::[0-9]*:role/eks/irsa-helm-reference-' "$BATS_TEST_TMPDIR/hook/install.yaml"
    # before-hook-creation: the last run's pod deleted before the new one, and
    # the new one kept after it (no delete after the create).
    [ "$(grep -c '^-n team-a delete pod irsa-verify-test --ignore-not-found$' "$KUBECTL_STANDIN_STATE/calls.log")" -eq 1 ]
    [ "$(tail -n +"$(grep -n 'apply -f .*hook.yaml' "$KUBECTL_STANDIN_STATE/calls.log" | cut -d: -f1)" \
        "$KUBECTL_STANDIN_STATE/calls.log" | grep -c delete)" -eq 0 ]
}

@test "mode test, as helm test --logs runs it: an over-permissive role fails the test, with its failures" {
    standin_env
    record_hook_run overpermissive logs-fail.txt 1
    export KUBECTL_STANDIN_SCENARIO=irsa-verify=failed
    run helm_test_standin "$BATS_TEST_TMPDIR/hook"
    [ "$status" -eq 1 ]
    [[ "$output" == *"Phase:          Failed"* ]]
    [[ "$output" == *"FAIL  s3:DeleteObject"* ]]
    junit_of <<<"$output" >"$BATS_TEST_TMPDIR/junit.xml"
    xmllint --noout --schema "$ROOT/tests/schema/junit-10.xsd" "$BATS_TEST_TMPDIR/junit.xml"
    [ "$(grep -o '<failure' "$BATS_TEST_TMPDIR/junit.xml" | wc -l)" -eq 2 ]
}
