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

# Every option the script's `case` parser accepts (-i, --image, ...).
parsed_options() {
    sed -n '/^while \[ \$# -gt 0 \]; do$/,/^done$/p' "$ROOT/scripts/smoke-test.sh" |
        grep -oE '^ +-[^)]*\)' | grep -oE -- '--?[a-z][a-z-]*'
}

# Every exit code the script can end with: literal `exit N`/`return N`, the
# values of its named codes, and the agent's own (src/verdict.rs), passed on.
used_exit_codes() {
    local script="$ROOT/scripts/smoke-test.sh"
    grep -oE '\b(exit|return) [0-9]+\b' "$script" | awk '{ print $2 }'
    grep -E '^readonly ' "$script" | grep -oE '[A-Z_]+=[0-9]+' | cut -d= -f2
    sed -n '/^pub enum ExitCode/,/^}/p' "$ROOT/src/verdict.rs" | grep -oE '= [0-9]+' | grep -oE '[0-9]+'
}

# The README's ```sh block that contains $1, as it stands.
readme_block() {
    awk -v want="$1" '
        /^```sh$/ { inside = 1; block = ""; next }
        inside && /^```$/ { inside = 0; if (index(block, want)) { printf "%s", block; found = 1; exit } next }
        inside { block = block $0 "\n" }
        END { if (!found) exit 1 }
    ' "$ROOT/README.md"
}

# Runs what a CI recipe runs, summarised as tests/smoke/ci-recipe.py prints it
# (env NAME=VALUE, run COMMAND, junit PATH), in a workspace laid out as the
# recipe's: this repository checked out as irsa-verify/, the spec where the
# command names it. The stand-in kubectl plays the cluster.
run_recipe() { # SUMMARY
    local work="$BATS_TEST_TMPDIR/workspace" command spec junit applied
    command=$(sed -n 's/^run //p' "$1")
    junit=$(sed -n 's/^junit //p' "$1")
    [[ "$command" == "irsa-verify/scripts/smoke-test.sh "* ]]
    [ -n "$junit" ]
    spec=$(printf '%s\n' "$command" | grep -oE -- '--spec [^ ]+' | cut -d' ' -f2)
    mkdir -p "$work/$(dirname "$spec")"
    ln -s "$ROOT" "$work/irsa-verify"
    cp "$SPEC" "$work/$spec"
    {
        echo "cd '$work'"
        sed -n 's/^env /export /p' "$1"
        echo "$command"
    } >"$BATS_TEST_TMPDIR/recipe.sh"
    export KUBECTL_STANDIN_SCENARIO=complete
    run timeout 120 sh -eu "$BATS_TEST_TMPDIR/recipe.sh"
    [ "$status" -eq 0 ]
    [[ "$output" == *"result: 4 pass, 0 fail"* ]]
    well_formed "$work/$junit"
    # The recipe's own variables reached the Job.
    applied=$(ls "$KUBECTL_STANDIN_STATE"/applied-*.yaml)
    grep -q "serviceAccountName: $(sed -n "s/^env SERVICE_ACCOUNT=//p" "$1" | tr -d "'")" "$applied"
    grep -q "namespace: $(sed -n "s/^env NAMESPACE=//p" "$1" | tr -d "'")" "$applied"
    grep -q "image: $(sed -n "s/^env IRSA_VERIFY_IMAGE=//p" "$1" | tr -d "'")" "$applied"
}

# Succeeds when the command fails. A bare `! cmd` never fails a bats test
# (bash's errexit ignores it), so the negative assertions use this.
not() { ! "$@"; }

java_home() { dirname "$(dirname "$(readlink -f "$(command -v java)")")"; }

@test "--help: the usage on stdout, exit 0; a wrong flag: stderr, exit 64" {
    bats_require_minimum_version 1.5.0
    run --separate-stderr "$ROOT/scripts/smoke-test.sh" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: smoke-test.sh --image IMAGE"* ]]
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
    not grep -q 'wrapper printed' "$JUNIT"
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

@test "--help names every option the parser accepts, and every exit code the script and the agent use" {
    run "$ROOT/scripts/smoke-test.sh" --help
    [ "$status" -eq 0 ]
    help=$output
    # The option lines of the usage text, and the codes of its exit code table.
    option_lines=$(printf '%s\n' "$help" | grep -E '^(  -[a-z], |      )--[a-z]')
    listed_codes=$(printf '%s\n' "$help" | sed -n '/^exit codes/,$p' | grep -oE '^ +[0-9]+  ' | tr -d ' ')
    parsed=$(parsed_options)
    [ "$(printf '%s\n' "$parsed" | wc -l)" -ge 20 ] # the extraction found the parser
    for opt in $parsed; do
        printf '%s\n' "$option_lines" | grep -qE -- "(^| )$opt(,| |$)" || {
            echo "--help does not describe $opt, which the parser accepts"
            return 1
        }
    done
    # ... and describes no option the parser would refuse.
    for opt in $(printf '%s\n' "$option_lines" | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--?[a-z][a-z-]*'); do
        printf '%s\n' "$parsed" | grep -qx -- "$opt" || {
            echo "--help describes $opt, which the parser does not accept"
            return 1
        }
    done
    used=$(used_exit_codes | sort -un)
    for code in 0 1 2 3 64 130; do printf '%s\n' "$used" | grep -qx "$code"; done # the extraction found them
    for code in $used; do
        printf '%s\n' "$listed_codes" | grep -qx "$code" || {
            echo "--help does not explain exit code $code, which the script uses"
            return 1
        }
    done
    # Every named code the script exits or returns with is one of those defined.
    for name in $(grep -oE '(exit|return) "\$[A-Z_]+"' "$ROOT/scripts/smoke-test.sh" | grep -oE '[A-Z_]+"$' | tr -d '"'); do
        grep -qE "^readonly .*\b$name=[0-9]+" "$ROOT/scripts/smoke-test.sh" || {
            echo "exit code $name is not defined"
            return 1
        }
    done
}

@test "copied on its own: exit 64 saying it needs --manifests, nothing sent; given it, it runs" {
    bats_require_minimum_version 1.5.0
    alone="$BATS_TEST_TMPDIR/alone"
    mkdir -p "$alone"
    cp "$ROOT/scripts/smoke-test.sh" "$alone/"
    run --separate-stderr "$alone/smoke-test.sh" --image registry.example/irsa-verify:0.1.0 -s app --spec "$SPEC" -o "$JUNIT"
    [ "$status" -eq 64 ]
    [[ "$stderr" == *"no Job template at $BATS_TEST_TMPDIR/manifests/job: pass --manifests DIR naming a directory with the Job kustomization (manifests/job of irsa-verify)"* ]]
    [ ! -e "$KUBECTL_STANDIN_STATE/calls.log" ]
    [ ! -e "$JUNIT" ]
    # Its --help needs nothing beside it.
    run "$alone/smoke-test.sh" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"--manifests DIR"* ]]
    # A --manifests without the kustomization: the same code, its own message.
    run --separate-stderr "$alone/smoke-test.sh" --image registry.example/irsa-verify:0.1.0 -s app --spec "$SPEC" --manifests "$alone"
    [ "$status" -eq 64 ]
    [[ "$stderr" == *"no Job template at $alone: --manifests DIR must name a directory with the Job kustomization"* ]]
    # Doing what the message says works.
    export KUBECTL_STANDIN_SCENARIO=complete
    run "$alone/smoke-test.sh" --image registry.example/irsa-verify:0.1.0 -s app --spec "$SPEC" -o "$JUNIT" \
        --manifests "$ROOT/manifests/job"
    [ "$status" -eq 0 ]
    well_formed "$JUNIT"
}

@test "the CI runner's Role: renders, validates, no wildcard, and grants exactly the kubectl calls smoke-test.sh makes" {
    [ -n "${TOOLS_VENV:-}" ] || skip "needs TOOLS_VENV (scripts/test.sh)"
    rendered="$BATS_TEST_TMPDIR/rbac.yaml"
    "$REAL_KUBECTL" kustomize "$ROOT/manifests/ci-runner-rbac" >"$rendered"
    run "$TOOLS_VENV/bin/kubernetes-validate" --strict "$rendered"
    [ "$status" -eq 0 ]
    not grep -E 'WARN|ERROR' <<<"$output"
    # No wildcard anywhere: apiGroups, resources, verbs, names (kustomize drops the comments).
    not grep -n '\*' "$rendered"
    # What each kubectl call of the script needs. A call this table does not
    # know fails the test until the table, and the Role, learn it.
    [ "$(grep -c '"\$KUBECTL"' "$ROOT/scripts/smoke-test.sh")" -eq 1 ] # every call goes through kc()
    calls=$(grep -oE '\bkc [a-z]+( -f| [a-z]+)?' "$ROOT/scripts/smoke-test.sh" | sort -u)
    [ "$(wc -l <<<"$calls")" -ge 8 ]
    needed=""
    while read -r call; do
        case "$call" in
            "kc kustomize") ;; # renders on the runner
            "kc apply -f") needed="$needed batch/jobs:get batch/jobs:create core/configmaps:get core/configmaps:create" ;;
            "kc delete -f") needed="$needed batch/jobs:delete core/configmaps:delete" ;;
            "kc get job") needed="$needed batch/jobs:get" ;;
            "kc get pods") needed="$needed core/pods:list" ;;
            "kc get pod") needed="$needed core/pods:get" ;;
            "kc get events") needed="$needed core/events:list" ;;
            "kc get serviceaccount") needed="$needed core/serviceaccounts:get" ;;
            "kc logs") needed="$needed core/pods:get core/pods/log:get" ;;
            *)
                echo "smoke-test.sh makes a kubectl call this test does not know: $call"
                return 1
                ;;
        esac
    done <<<"$calls"
    granted=$("$TOOLS_VENV/bin/python" - "$rendered" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert sorted(d["kind"] for d in docs) == ["Role", "RoleBinding"], "a Role and a RoleBinding, nothing cluster-wide"
role = next(d for d in docs if d["kind"] == "Role")
binding = next(d for d in docs if d["kind"] == "RoleBinding")
assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
for rule in role["rules"]:
    assert set(rule) == {"apiGroups", "resources", "verbs"}, rule
    for group in rule["apiGroups"]:
        for resource in rule["resources"]:
            for verb in rule["verbs"]:
                print(f"{group or 'core'}/{resource}:{verb}")
PY
    )
    expected=$(tr ' ' '\n' <<<"$needed" | sed '/^$/d' | sort -u)
    [ "$(sort -u <<<"$granted")" = "$expected" ] || {
        diff <(echo "$expected") <(sort -u <<<"$granted")
        return 1
    }
}

@test "ci/github-actions.yml: actionlint; its smoke-test step runs and writes the JUnit its report step publishes" {
    [ -n "${TOOLS_VENV:-}" ] || skip "needs TOOLS_VENV (scripts/test.sh)"
    run "$TOOLS_VENV/bin/actionlint" "$ROOT/ci/github-actions.yml"
    [ "$status" -eq 0 ]
    "$TOOLS_VENV/bin/python" "$ROOT/tests/smoke/ci-recipe.py" github "$ROOT/ci/github-actions.yml" >"$BATS_TEST_TMPDIR/summary"
    grep -qx 'when always()' "$BATS_TEST_TMPDIR/summary"
    run_recipe "$BATS_TEST_TMPDIR/summary"
}

@test "ci/gitlab-ci.yml: yamllint, the GitLab CI schema; its script runs and writes the JUnit its artifacts report" {
    [ -n "${TOOLS_VENV:-}" ] || skip "needs TOOLS_VENV (scripts/test.sh)"
    "$TOOLS_VENV/bin/yamllint" -s -c "$ROOT/.yamllint.yaml" "$ROOT/ci/gitlab-ci.yml"
    run "$TOOLS_VENV/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "$ROOT/ci/gitlab-ci.yml"
    [ "$status" -eq 0 ]
    "$TOOLS_VENV/bin/python" "$ROOT/tests/smoke/ci-recipe.py" gitlab "$ROOT/ci/gitlab-ci.yml" >"$BATS_TEST_TMPDIR/summary"
    grep -qx 'when always' "$BATS_TEST_TMPDIR/summary"
    run_recipe "$BATS_TEST_TMPDIR/summary"
}

@test "ci/Jenkinsfile: Groovy parses it; its stage runs smoke-test.sh and publishes that JUnit in post/always" {
    command -v groovy >/dev/null || skip "needs groovy (scripts/test.sh installs it)"
    export JAVA_HOME=${JAVA_HOME:-$(java_home)}
    listing=$(groovy "$ROOT/tests/smoke/jenkinsfile-calls.groovy" "$ROOT/ci/Jenkinsfile")
    # The stage whose sh step calls the smoke test ...
    stage=$(awk -F'\t' '$1 ~ /\/sh$/ && $2 ~ /scripts\/smoke-test\.sh / { match($1, /stage\[[^]]*\]/); print substr($1, RSTART, RLENGTH); exit }' <<<"$listing")
    [ -n "$stage" ]
    # ... publishes its JUnit file whatever the outcome: junit in post { always { } }.
    junit=$(awk -F'\t' -v p="pipeline/stages/$stage/post/always/junit" '
        $1 == p { n = split($2, w, " "); for (i = 1; i <= n; i++) if (w[i] ~ /^testResults=/) print substr(w[i], 13) }' <<<"$listing")
    [ -n "$junit" ]
    {
        awk -F'\t' '$1 ~ /^pipeline\/environment\/\$/ { sub(/.*\$/, "", $1); printf "env %s=\047%s\047\n", $1, $2 }' <<<"$listing"
        awk -F'\t' -v s="$stage" '$1 ~ /\/sh$/ && index($1, s) && $2 ~ /smoke-test\.sh/ { print "run " $2; exit }' <<<"$listing"
        echo "junit $junit"
    } >"$BATS_TEST_TMPDIR/summary"
    run_recipe "$BATS_TEST_TMPDIR/summary"
}

@test "README steps 2-5: the template, changed as step 2 says, renders, validates, runs as the workload's ServiceAccount; step 5 reads the verdict" {
    tree="$BATS_TEST_TMPDIR/checkout"
    mkdir -p "$tree/manifests/overlays" "$tree/bin"
    cp -r "$ROOT/manifests/job" "$tree/manifests/"
    cp -r "$ROOT/manifests/overlays/template" "$tree/manifests/overlays/"
    ln -s "$KUBECTL" "$tree/bin/kubectl"
    cd "$tree"
    # Step 2: the copy, and its four placeholders, each marked CHANGE.
    readme_block 'cp -r manifests/overlays/template' | grep -qx 'cp -r manifests/overlays/template manifests/overlays/my-app'
    cp -r manifests/overlays/template manifests/overlays/my-app
    overlay=manifests/overlays/my-app
    [ "$(grep -c '^# CHANGE [1-4],' "$overlay/kustomization.yaml")" -eq 4 ]
    # The lines `kustomize edit set namespace team-a` and `kustomize edit set
    # image ghcr.io/example/irsa-verify=registry.example/irsa-verify:0.2.0`
    # write, written by hand (no kustomize CLI here), and the ServiceAccount and spec.
    sed -i -e 's/^namespace: .*/namespace: team-a/' \
        -e 's|^    newName: .*|    newName: registry.example/irsa-verify|' -e 's/^    newTag: .*/    newTag: 0.2.0/' \
        -e 's/^        value: my-app$/        value: orders/' "$overlay/kustomization.yaml"
    cp "$SPEC" "$overlay/spec.yaml"
    # It renders, and no placeholder of the template is left: the four were all.
    "$REAL_KUBECTL" kustomize "$overlay" >rendered.yaml
    not grep -nE 'my-namespace|my-app|registry\.example\.com/platform' rendered.yaml
    grep -q 'serviceAccountName: orders' rendered.yaml
    grep -q 'namespace: team-a' rendered.yaml
    grep -q 'image: registry.example/irsa-verify:0.2.0' rendered.yaml
    not grep -q 'kind: ServiceAccount' rendered.yaml # it runs as the workload's, creates none
    if [ -n "${TOOLS_VENV:-}" ]; then
        run "$TOOLS_VENV/bin/kubernetes-validate" --strict rendered.yaml
        [ "$status" -eq 0 ]
        not grep -E 'WARN|ERROR' <<<"$output"
    fi
    # Steps 4 and 5, the README's own command blocks, in this namespace.
    readme_block 'kubectl apply -k manifests/overlays/my-app' | sed 's/my-namespace/team-a/g' >step4.sh
    readme_block 'until kubectl' | sed 's/my-namespace/team-a/g' >step5.sh
    export KUBECTL_STANDIN_SCENARIO=complete
    run env PATH="$tree/bin:$PATH" bash -euo pipefail step4.sh
    [ "$status" -eq 0 ]
    [[ "$output" == *"job.batch/irsa-verify created"* ]]
    grep -q 'delete job irsa-verify --ignore-not-found --cascade=foreground' "$KUBECTL_STANDIN_STATE/deleted.log"
    # The Job ran as the workload's ServiceAccount, in its namespace, with the image.
    [ "$(cat "$KUBECTL_STANDIN_STATE/job-irsa-verify.sa")" = orders ]
    grep -q 'namespace: team-a' "$KUBECTL_STANDIN_STATE/applied-irsa-verify.yaml"
    grep -q 'image: registry.example/irsa-verify:0.2.0' "$KUBECTL_STANDIN_STATE/applied-irsa-verify.yaml"
    run env PATH="$tree/bin:$PATH" timeout 60 bash -euo pipefail step5.sh
    [ "$status" -eq 0 ]
    grep -c 'get job irsa-verify -o jsonpath=' "$KUBECTL_STANDIN_STATE/calls.log" | grep -qx 2 # it waited for the end
    [[ "$output" == *"result: 4 pass, 0 fail, 0 error, 0 skip"* ]]
    [[ "$output" == *"irsa-verify exit 0: 4 pass, 0 fail, 0 error, 0 skip"* ]]
    well_formed irsa-verify-junit.xml
    # The byte count on the end marker matches the file, as step 5 says.
    bytes=$(grep -oE '^===== irsa-verify junit end [0-9a-f]+ bytes=[0-9]+' "$SMOKE_FIXTURES/logs-pass.txt" | sed 's/.*bytes=//')
    [ "$(wc -c <irsa-verify-junit.xml)" -eq "$bytes" ]
}
