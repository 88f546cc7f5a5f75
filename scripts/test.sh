#!/usr/bin/env bash
# Every test. Sets up what it needs itself: the emulator and validator venvs
# (PyPI), Debian packages (bats, shellcheck, xmllint, buildah, podman, runc,
# musl-tools, groovy for the Jenkinsfile, prometheus for promtool and watch
# mode's live scrape), helm and the Prometheus Operator's schemas (npm, into
# .tools/), the musl Rust target.
#   1. cargo fmt --check, clippy -D warnings, cargo test: unit tests, and the
#      built binary against the emulator (end-to-end, identity, faults, bad input)
#   2. the emulator's fidelity (tests/emulator/check_fidelity.py: every wire
#      row of the built binary's catalogue sent to the patched moto), static
#      checks: shellcheck, hadolint, yamllint, every kustomize overlay
#      (and the CI runner's RBAC) rendered and validated with
#      kubernetes-validate --strict, checkov, the manifests' specs and policy
#      files through the agent's own parser
#   3. scripts/smoke-test.sh with bats, driven by a stand-in kubectl; the CI
#      recipes (ci/) linted and run, the README's cluster steps walked
#   4. the Helm chart (charts/irsa-verify) with bats: helm lint and template in
#      every mode, validated, its schema's refusals, promtool on its alerts, its
#      test hook played through the stand-in kubectl
#   5. the musl release binary's memory over a 1,000-run watch
#      (scripts/watch-memory.sh: a budget, like the binary size; one test in the
#      total, a failure reported at the end); the container: built from the
#      Dockerfile with buildah, run with podman as the pod would, against the emulator
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv
ensure_pip_venv "$ROOT/.venv-tools" tests/tools-requirements.txt
ensure_pip_venv "$ROOT/.venv-checkov" tests/checkov-requirements.txt
ensure_apt bats:bats shellcheck:shellcheck xmllint:libxml2-utils buildah:buildah podman:podman runc:runc musl-gcc:musl-tools \
    update-ca-certificates:ca-certificates groovy:groovy promtool:prometheus
command -v kubectl >/dev/null || ensure_apt kubectl:kubectl
ensure_helm
rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
export IRSA_VERIFY_PYTHON="$PY"
tools="$ROOT/.venv-tools/bin"

# Every runner's output is kept, to total the tests at the end.
results="$ROOT/target/test-results"
rm -rf "$results" && mkdir -p "$results"

log "1/5 cargo fmt --check, clippy, cargo test"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked 2>&1 | tee "$results/cargo.txt"

log "2/5 the emulator's fidelity to AWS for every catalogue row, static checks"
# The debug binary cargo test just built lists the catalogue it checks; it
# starts its own moto. A FAIL line makes it exit 1, and pipefail stops here.
"$PY" tests/emulator/check_fidelity.py --binary target/debug/irsa-verify | tee "$results/fidelity.txt"
# The schema the tests validate every JUnit document against is the shared reference's copy.
shared_xsd="$ROOT/../shared/reference/junit-10.xsd"
if [ -f "$shared_xsd" ]; then
    cmp "$shared_xsd" tests/schema/junit-10.xsd
fi
shellcheck -x scripts/*.sh .ci/run tests/smoke/kubectl tests/smoke/record-fixtures.sh tests/helm.bats
"$tools/hadolint" Dockerfile
# charts/: its values and CI values; its templates are not YAML until rendered
# (.yamllint.yaml ignores them), their output is linted in tests/helm.bats.
"$tools/yamllint" -s manifests ci charts tests/helm .checkov.yaml .yamllint.yaml
rendered="$ROOT/target/rendered"
rm -rf "$rendered" && mkdir -p "$rendered"
for dir in manifests/base manifests/job manifests/overlays/* manifests/ci-runner-rbac; do
    out="$rendered/$(echo "$dir" | tr / _).yaml"
    kubectl kustomize "$dir" >"$out"
    # Warnings are failures too.
    if "$tools/kubernetes-validate" --strict "$out" 2>&1 | grep -E 'WARN|ERROR'; then
        echo "kubernetes-validate: $dir does not validate" >&2
        exit 1
    fi
done
"$ROOT/.venv-checkov/bin/checkov" --quiet --compact --skip-download --config-file .checkov.yaml \
    -d "$rendered" --framework kubernetes
"$ROOT/.venv-checkov/bin/checkov" --quiet --compact --skip-download --config-file .checkov.yaml \
    -f Dockerfile --framework dockerfile
for spec in manifests/job/spec.yaml manifests/overlays/*/spec.yaml; do
    target/debug/irsa-verify --validate-only --spec "$spec" >/dev/null
done
overlay=manifests/overlays/from-policy
target/debug/irsa-verify --validate-only --from-policy "$overlay/policies" \
    --trust-policy "$overlay/trust.json" >/dev/null

log "3/5 scripts/smoke-test.sh (bats, stand-in kubectl, logs recorded from real runs)"
trap stop_emulator EXIT
bootstrap_emulator "$ROOT/target/moto-bats.log"
export PY
export SMOKE_FIXTURES="$ROOT/target/smoke-fixtures" TOOLS_VENV="$ROOT/.venv-tools"
tests/smoke/record-fixtures.sh "$SMOKE_FIXTURES"
bats tests/smoke-test.bats | tee "$results/bats-smoke.txt"

log "4/5 the Helm chart (helm $HELM_VERSION from npm: lint, template, schema, promtool, its test hook)"
export HELM CHECKOV="$ROOT/.venv-checkov/bin/checkov" BINARY="$ROOT/target/debug/irsa-verify"
bats tests/helm.bats | tee "$results/bats-helm.txt"

log "5/5 the release binary's memory over 1,000 watch runs; the container (buildah build of the Dockerfile, podman run as the pod)"
cargo build --release --locked --target x86_64-unknown-linux-musl
# A budget: over it, the rest still runs and the closing line counts it failed.
# (It starts its own emulator.)
scripts/watch-memory.sh target/x86_64-unknown-linux-musl/release/irsa-verify 2>&1 |
    tee "$results/watch-memory.txt" || true
context="$ROOT/target/container-context"
rm -rf "$context" && mkdir -p "$context/out"
cp target/x86_64-unknown-linux-musl/release/irsa-verify "$context/out/"
cp /etc/ssl/certs/ca-certificates.crt "$context/out/"
export PODMAN_STORAGE=vfs BUILDAH_ISOLATION=chroot
buildah --storage-driver vfs bud --quiet --format docker --build-arg BINARY_FROM=prebuilt \
    -f Dockerfile -t localhost/irsa-verify:test "$context" >/dev/null
export IMAGE=localhost/irsa-verify:test
bats tests/container.bats | tee "$results/bats-container.txt"
# One closing line for the whole run (pipefail has already stopped on any
# failure but the memory budget's).
# A bats "# skip" and a cargo "ignored" count as skipped, not passed.
passed=$(awk '/^test result:/ { n += $4 } END { print n + 0 }' "$results/cargo.txt")
skipped=$(awk '/^test result:/ { n += $8 } END { print n + 0 }' "$results/cargo.txt")
bats_skipped=$(cat "$results"/bats-*.txt | grep -c '^ok .* # skip' || true)
bats_ok=$(cat "$results"/bats-*.txt | grep -c '^ok ' || true)
passed=$((passed + bats_ok - bats_skipped))
skipped=$((skipped + bats_skipped))
failed=$(cat "$results"/bats-*.txt | grep -c '^not ok ' || true)
# check_fidelity.py: one "ok  -" or "FAIL -" line per assertion.
fidelity_ok=$(grep -c '^ok ' "$results/fidelity.txt" || true)
fidelity_failed=$(grep -c '^FAIL ' "$results/fidelity.txt" || true)
passed=$((passed + fidelity_ok))
failed=$((failed + fidelity_failed))
# scripts/watch-memory.sh: one test, passed when it printed its "ok" line.
if grep -qx 'watch-memory: ok' "$results/watch-memory.txt"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi
[ "$failed" -eq 0 ] && log "all checks passed"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
