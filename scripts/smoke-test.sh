#!/bin/sh
# irsa-verify smoke test, the CI step after a deploy: runs the agent as a Job
# under each workload's ServiceAccount, waits for it, writes one JUnit file
# (a testsuite per ServiceAccount), prints the reports and exits with the
# worst verdict. Needs only kubectl and POSIX tools on the CI runner.
#
# The usage, every option and every exit code: usage() below, which --help prints.
set -eu

# This script's own exit codes (the agent's are 0-3); usage() says what each means.
readonly NEVER_RAN=10 NOT_INJECTED=11 TIMED_OUT=12 NO_REPORT=13 NO_POLICIES=14 USAGE=64 INTERRUPTED=130

# The one usage text: --help prints it; tests/smoke-test.bats checks it names
# every option the parser below accepts and every exit code the script uses.
usage() {
    cat <<'EOF'
usage: smoke-test.sh --image IMAGE (--service-account SA [-n NS] | --target NS/SA ...)
                     (--spec FILE | --bucket B [--object KEY] --table T | --from-role)
                     [--timeout SECS] [--junit-out FILE] [--keep] [--manifests DIR]

Runs irsa-verify as a Job under each workload's ServiceAccount, waits for it,
writes one JUnit file (a testsuite per ServiceAccount), prints the reports and
exits with the worst verdict. Needs kubectl (with its built-in kustomize) and
POSIX tools; --from-role also needs the aws CLI.

options:
  -i, --image IMAGE          the irsa-verify image (REGISTRY/irsa-verify:TAG or @sha256:...)
  -s, --service-account SA   the ServiceAccount to verify, in --namespace
  -n, --namespace NS         default: default
  -t, --target NS/SA         verify this ServiceAccount too (repeatable)
  -f, --spec FILE            expectations (YAML/JSON, see the README's "Spec file")
  -b, --bucket B             instead of a spec: s3:ListBucket allowed, s3:DeleteObject denied on B
      --table T              ... dynamodb:DescribeTable allowed, dynamodb:DeleteTable denied on T
      --object KEY           ... and s3:GetObject allowed on B/KEY
  -r, --from-role            derive the checks from the role's own policies: reads each
                             ServiceAccount's eks.amazonaws.com/role-arn, fetches the role's
                             inline, attached (default version) and trust policies with the
                             aws CLI (needs iam:Get*/List* on the role), and runs the agent
                             on them; --spec then overrides derived checks and
                             --bucket/--table/--object add targets
      --timeout SECS         bound on the whole smoke test (default 300)
  -o, --junit-out FILE       where the JUnit file goes (default irsa-verify-junit.xml)
      --keep                 leave the Jobs and ConfigMaps in the cluster
      --manifests DIR        the Job kustomization to render (manifests/job of irsa-verify;
                             default: ../manifests/job from this script's directory)
  -h, --help                 print this text on stdout and exit 0

environment: KUBECTL (default kubectl), AWS (default aws), TMPDIR

exit codes (with several targets the worst wins: 2 > 1 > 10-14 > 3 > 0):
    0  every check passed (the agent's)
    1  a check failed, including a wrong identity (the agent's)
    2  invalid spec or flags for the agent; nothing was sent (the agent's)
    3  could not verify: a check could not be decided (the agent's)
   10  the Job never ran: image pull error, unschedulable, admission refused
       (the pod's status and events are printed)
   11  the webhook did not inject the IRSA or Pod Identity environment into the
       pod; with --from-role, also: the ServiceAccount names no role
   12  timed out (--timeout)
   13  no complete JUnit report in the pod's log
   14  --from-role: the role's policies could not be read with the aws CLI
   64  usage: a wrong or missing option, an unreadable spec, no Job template
       at --manifests, or the Job did not render
  130  interrupted (SIGINT or SIGTERM); the Jobs are deleted all the same
EOF
}

KUBECTL=${KUBECTL:-kubectl}
AWS=${AWS:-aws}
here=$(cd "$(dirname "$0")" && pwd)
manifests=""
image="" namespace=default service_account="" targets="" spec="" bucket="" table="" object=""
timeout=300 junit_out=irsa-verify-junit.xml keep=false from_role=false

# Asked-for help goes to stdout and succeeds; wrong usage is exit 64 (die).
help() { usage; exit 0; }
die() { printf 'smoke-test: %s\n' "$*" >&2; exit "$USAGE"; }
log() { printf 'smoke-test: %s\n' "$*" >&2; }
# Seconds since the epoch, with POSIX tools only: srand() returns the seed it replaces.
now() { awk 'BEGIN { srand(); print srand() }'; }
kc() { "$KUBECTL" --request-timeout=20s "$@"; }

need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -i | --image) need "$@"; image=$2; shift 2 ;;
        -s | --service-account) need "$@"; service_account=$2; shift 2 ;;
        -n | --namespace) need "$@"; namespace=$2; shift 2 ;;
        -t | --target) need "$@"; targets="$targets $2"; shift 2 ;;
        -f | --spec) need "$@"; spec=$2; shift 2 ;;
        -b | --bucket) need "$@"; bucket=$2; shift 2 ;;
        --table) need "$@"; table=$2; shift 2 ;;
        --object) need "$@"; object=$2; shift 2 ;;
        --timeout) need "$@"; timeout=$2; shift 2 ;;
        -o | --junit-out) need "$@"; junit_out=$2; shift 2 ;;
        --keep) keep=true; shift ;;
        -r | --from-role) from_role=true; shift ;;
        --manifests) need "$@"; manifests=$2; shift 2 ;;
        -h | --help) help ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

[ -n "$image" ] || die "--image is required"
[ -n "$service_account" ] && targets="$namespace/$service_account $targets"
[ -n "$(printf '%s' "$targets" | tr -d ' ')" ] || die "give --service-account SA or --target NS/SA"
case "$timeout" in '' | *[!0-9]*) die "--timeout takes whole seconds" ;; esac
[ "$timeout" -gt 0 ] || die "--timeout must be positive"
# The Job template: manifests/job of irsa-verify. A copy of this script on its
# own has none beside it, and says what it needs.
if [ -z "$manifests" ]; then
    manifests="$(dirname "$here")/manifests/job"
    [ -f "$manifests/kustomization.yaml" ] ||
        die "no Job template at $manifests: pass --manifests DIR naming a directory with the Job kustomization (manifests/job of irsa-verify), or keep this script in scripts/ beside that manifests/"
else
    [ -f "$manifests/kustomization.yaml" ] ||
        die "no Job template at $manifests: --manifests DIR must name a directory with the Job kustomization (manifests/job of irsa-verify)"
fi
if [ "$from_role" = true ]; then
    [ -z "$spec" ] || [ -r "$spec" ] || die "cannot read the spec $spec"
    command -v "$AWS" >/dev/null 2>&1 || die "--from-role needs the aws CLI ($AWS) on the PATH"
elif [ -n "$spec" ]; then
    [ -z "$bucket$table$object" ] || die "--spec cannot be combined with --bucket/--table/--object"
    [ -r "$spec" ] || die "cannot read the spec $spec"
elif [ -z "$bucket$table" ]; then
    die "give --spec FILE, --bucket and/or --table, or --from-role"
fi
for t in $targets; do
    case "$t" in */*) ;; *) die "--target takes NAMESPACE/SERVICEACCOUNT, not $t" ;; esac
done

work="${TMPDIR:-/tmp}/irsa-verify-smoke.$$"
mkdir -m 700 "$work" || die "cannot create $work"
rendered_all=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ "$keep" = false ]; then
        for r in $rendered_all; do
            kc delete -f "$r" --ignore-not-found --wait=false >/dev/null 2>&1 || true
        done
    elif [ -n "$rendered_all" ]; then
        log "kept the Jobs and ConfigMaps (--keep)"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit "$INTERRUPTED"' INT TERM

# The spec every target checks (with --from-role: only overrides, if given).
if [ -z "$spec" ] && [ "$from_role" = false ]; then
    spec="$work/spec.yaml"
    {
        echo "checks:"
        if [ -n "$bucket" ]; then
            printf '  - {action: s3:ListBucket, bucket: "%s", expect: allow}\n' "$bucket"
            printf '  - {action: s3:DeleteObject, bucket: "%s", expect: deny}\n' "$bucket"
            [ -z "$object" ] || printf '  - {action: s3:GetObject, bucket: "%s", key: "%s", expect: allow}\n' "$bucket" "$object"
        fi
        if [ -n "$table" ]; then
            printf '  - {action: dynamodb:DescribeTable, table: "%s", expect: allow}\n' "$table"
            printf '  - {action: dynamodb:DeleteTable, table: "%s", expect: deny}\n' "$table"
        fi
    } >"$spec"
fi

run_id=$(now)
deadline=$(($(now) + timeout))
worst=0
# Severity: 2 > 1 > 10..14 > 3 > 0.
rank() { case "$1" in 2) echo 5 ;; 1) echo 4 ;; 1[0-4]) echo 3 ;; 3) echo 2 ;; 0) echo 0 ;; *) echo 3 ;; esac; }
record() { [ "$(rank "$1")" -gt "$(rank "$worst")" ] && worst=$1; return 0; }

# The role's policies as the aws CLI prints them, for --from-role: inline ones
# (get-role-policy), attached ones at their default version
# (get-policy-version), and the trust policy (get-role).
fetch_policies() { # NS SA DIR
    role_arn=$(kc get serviceaccount "$2" -n "$1" -o jsonpath='{.metadata.annotations.eks\.amazonaws\.com/role-arn}' 2>/dev/null || true)
    if [ -z "$role_arn" ]; then
        log "$1/$2: the ServiceAccount has no eks.amazonaws.com/role-arn annotation: there is no role to read the policies of"
        return "$NOT_INJECTED"
    fi
    role=${role_arn##*/}
    mkdir -p "$3/policies" "$3/trust"
    names=$("$AWS" iam list-role-policies --role-name "$role" --query 'PolicyNames[]' --output text) || return "$NO_POLICIES"
    for n in $names; do
        [ "$n" != None ] || continue
        "$AWS" iam get-role-policy --role-name "$role" --policy-name "$n" --output json >"$3/policies/inline-$n.json" || return "$NO_POLICIES"
    done
    arns=$("$AWS" iam list-attached-role-policies --role-name "$role" --query 'AttachedPolicies[].PolicyArn' --output text) || return "$NO_POLICIES"
    for arn in $arns; do
        [ "$arn" != None ] || continue
        version=$("$AWS" iam get-policy --policy-arn "$arn" --query 'Policy.DefaultVersionId' --output text) || return "$NO_POLICIES"
        "$AWS" iam get-policy-version --policy-arn "$arn" --version-id "$version" --output json \
            >"$3/policies/attached-${arn##*/}.json" || return "$NO_POLICIES"
    done
    "$AWS" iam get-role --role-name "$role" --output json >"$3/trust/trust.json" || return "$NO_POLICIES"
    count=0
    for f in "$3"/policies/*.json; do [ ! -e "$f" ] || count=$((count + 1)); done
    if [ "$count" -eq 0 ]; then
        log "$1/$2: the role $role has no inline or attached policies"
        return "$NO_POLICIES"
    fi
    log "$1/$2: read $count policies and the trust policy of $role"
}

# The configMapGenerator entries that carry the role's policies.
from_role_configmaps() { # DIR
    echo "  - name: irsa-verify-policies"
    echo "    files:"
    for f in "$1"/policies/*.json; do echo "      - policies/${f##*/}"; done
    echo "  - name: irsa-verify-trust"
    echo "    files:"
    echo "      - trust/trust.json"
}

# The Job patch that mounts them and runs the agent on them.
from_role_patch() {
    args="--from-policy, /etc/irsa-verify/policies, --trust-policy, /etc/irsa-verify/trust/trust.json, --junit-log"
    [ -z "$spec" ] || args="$args, --spec, /etc/irsa-verify/spec.yaml"
    [ -z "$bucket" ] || args="$args, --bucket, \"$bucket\""
    [ -z "$table" ] || args="$args, --table, \"$table\""
    [ -z "$object" ] || args="$args, --object, \"$object\""
    cat <<EOF
      - op: replace
        path: /spec/template/spec/containers/0/args
        value: [$args]
      - op: add
        path: /spec/template/spec/volumes/-
        value: {name: policies, configMap: {name: irsa-verify-policies}}
      - op: add
        path: /spec/template/spec/volumes/-
        value: {name: trust, configMap: {name: irsa-verify-trust}}
      - op: add
        path: /spec/template/spec/containers/0/volumeMounts/-
        value: {name: policies, mountPath: /etc/irsa-verify/policies, readOnly: true}
      - op: add
        path: /spec/template/spec/containers/0/volumeMounts/-
        value: {name: trust, mountPath: /etc/irsa-verify/trust, readOnly: true}
EOF
}

# Renders and applies the Job for one target; prints the Job's name.
launch() { # NS SA INDEX
    dir="$work/t$3"
    mkdir -p "$dir/job"
    cp "$manifests"/* "$dir/job/"
    if [ -n "$spec" ]; then cp "$spec" "$dir/spec.yaml"; else cp "$manifests/spec.yaml" "$dir/spec.yaml"; fi
    if [ "$from_role" = true ]; then
        fetch_policies "$1" "$2" "$dir" || return $?
    fi
    name=$(printf '%s' "$2" | tr '.' '-' | cut -c1-30)
    cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $1
nameSuffix: -$name-$run_id
resources:
  - job
configMapGenerator:
  - name: irsa-verify-spec
    behavior: replace
    files:
      - spec.yaml
$([ "$from_role" = false ] || from_role_configmaps "$dir")
patches:
  - target:
      kind: Job
    patch: |-
      - op: replace
        path: /spec/template/spec/serviceAccountName
        value: "$2"
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: "$image"
      - op: replace
        path: /spec/activeDeadlineSeconds
        value: $timeout
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: {name: IRSA_VERIFY_SUITE_NAME, value: "$1/$2"}
$([ "$from_role" = false ] || from_role_patch)
EOF
    kc kustomize "$dir" >"$dir/rendered.yaml" || return "$USAGE"
    rendered_all="$rendered_all $dir/rendered.yaml"
    if ! kc apply -f "$dir/rendered.yaml" >"$dir/apply.out" 2>&1; then
        cat "$dir/apply.out" >&2
        return "$NEVER_RAN"
    fi
    echo "irsa-verify-$name-$run_id" >"$dir/job-name"
}

diagnose() { # NS POD
    [ -n "$2" ] || return 0
    echo "--- pod $2 status" >&2
    kc get pod "$2" -n "$1" -o wide >&2 2>&1 || true
    echo "--- events" >&2
    kc get events -n "$1" --field-selector "involvedObject.name=$2" >&2 2>&1 || true
}

# Cuts the framed JUnit document out of a log; fails if absent or incomplete.
extract() { # LOGFILE OUT
    awk -v out="$2" '
        /^===== irsa-verify junit begin [0-9a-f]+ =====$/ { nonce = $5; inside = 1; printf "" > out; next }
        inside && $0 ~ ("^===== irsa-verify junit end " nonce " bytes=[0-9]+ =====$") {
            split($6, kv, "="); bytes = kv[2]; inside = 0; found = 1; next }
        inside { print >> out; next }
        { print > "/dev/stderr" }
        END { if (!found) exit 1; print bytes }
    ' "$1"
}

# Waits for one target's Job; prints its report; returns its exit code.
wait_for() { # NS SA INDEX
    dir="$work/t$3"
    job=$(cat "$dir/job-name")
    pod="" injected_checked=false injected=true
    while :; do
        conditions=$(kc get job "$job" -n "$1" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {end}' 2>/dev/null || true)
        case "$conditions" in *Complete=True* | *Failed=True*) break ;; esac
        [ -n "$pod" ] || pod=$(kc get pods -n "$1" -l "job-name=$job" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
        if [ -n "$pod" ]; then
            waiting=$(kc get pod "$pod" -n "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null || true)
            case "$waiting" in
                ErrImagePull | ImagePullBackOff | InvalidImageName | CreateContainerConfigError | CreateContainerError)
                    log "$1/$2: the Job never ran: $waiting"
                    diagnose "$1" "$pod"
                    return "$NEVER_RAN"
                    ;;
            esac
            if [ "$injected_checked" = false ]; then
                env_names=$(kc get pod "$pod" -n "$1" -o jsonpath='{.spec.containers[0].env[*].name}' 2>/dev/null || true)
                injected_checked=true
                case " $env_names " in
                    *" AWS_ROLE_ARN "* | *" AWS_CONTAINER_CREDENTIALS_FULL_URI "*) injected=true ;;
                    *) injected=false ;;
                esac
            fi
        fi
        if [ "$(now)" -ge "$deadline" ]; then
            scheduled=""
            [ -z "$pod" ] || scheduled=$(kc get pod "$pod" -n "$1" -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].reason}' 2>/dev/null || true)
            if [ "$scheduled" = Unschedulable ]; then
                log "$1/$2: the Job never ran: the pod is unschedulable"
                diagnose "$1" "$pod"
                return "$NEVER_RAN"
            fi
            log "$1/$2: timed out after ${timeout}s waiting for the Job"
            diagnose "$1" "$pod"
            return "$TIMED_OUT"
        fi
        sleep 2
    done
    [ -n "$pod" ] || pod=$(kc get pods -n "$1" -l "job-name=$job" -o jsonpath='{.items[0].metadata.name}' 2>/dev/null || true)
    code=$(kc get pod "$pod" -n "$1" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}' 2>/dev/null || true)
    if [ -z "$pod" ] || [ -z "$code" ]; then
        reason=$(kc get job "$job" -n "$1" -o jsonpath='{.status.conditions[?(@.type=="Failed")].reason}' 2>/dev/null || true)
        log "$1/$2: the Job never ran${reason:+ ($reason)}"
        diagnose "$1" "$pod"
        return "$NEVER_RAN"
    fi
    kc logs "$pod" -n "$1" -c irsa-verify >"$dir/log" 2>&1 || true
    if ! bytes=$(extract "$dir/log" "$dir/junit.xml" 2>"$dir/human"); then
        log "$1/$2: no JUnit report in the pod's log (agent exit $code); the log:"
        cat "$dir/log" >&2
        return "$NO_REPORT"
    fi
    cat "$dir/human"
    if [ "$(wc -c <"$dir/junit.xml" | tr -d ' ')" != "$bytes" ]; then
        log "$1/$2: the JUnit report in the log is incomplete"
        return "$NO_REPORT"
    fi
    if [ "$injected" = false ]; then
        log "$1/$2: the pod has neither AWS_ROLE_ARN nor AWS_CONTAINER_CREDENTIALS_FULL_URI: the EKS webhook did not inject IRSA or Pod Identity (is the ServiceAccount annotated / associated? was the webhook running?)"
        diagnose "$1" "$pod"
        return "$NOT_INJECTED"
    fi
    return "$code"
}

i=0
for t in $targets; do
    i=$((i + 1))
    ns=${t%%/*} sa=${t#*/}
    rc=0
    launch "$ns" "$sa" "$i" || rc=$?
    [ "$rc" -eq 0 ] || { log "$ns/$sa: could not create the Job"; echo "$rc" >"$work/t$i/code"; }
done

i=0
for t in $targets; do
    i=$((i + 1))
    ns=${t%%/*} sa=${t#*/}
    if [ -f "$work/t$i/code" ]; then
        rc=$(cat "$work/t$i/code")
    else
        rc=0
        wait_for "$ns" "$sa" "$i" || rc=$?
        echo "$rc" >"$work/t$i/code"
    fi
    log "$ns/$sa: exit $rc"
    record "$rc"
done

# One JUnit file: each agent's <testsuite>, inside one <testsuites>.
{
    printf '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n'
    i=0
    for t in $targets; do
        i=$((i + 1))
        f="$work/t$i/junit.xml"
        if [ -s "$f" ]; then
            sed -e '1s/^<?xml[^>]*?>//' -e '1s/^<testsuites>//' -e '$s/<\/testsuites>$//' "$f"
        else
            # No report: the target still shows up, as an error.
            printf '<testsuite name="%s" tests="1" errors="1" failures="0"><testcase name="irsa-verify job for %s" classname="irsa-verify.smoke-test"><error type="job-did-not-report" message="exit %s: see the smoke test output"/></testcase></testsuite>\n' "$t" "$t" "$(cat "$work/t$i/code")"
        fi
    done
    printf '</testsuites>\n'
} >"$junit_out"
log "JUnit report: $junit_out; exit $worst"
exit "$worst"
