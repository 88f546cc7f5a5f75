#!/usr/bin/env bash
# Do the tests defend the rules that decide a verdict? Two parts:
#   1. cargo-mutants (crates.io) over the classification code, judged by the
#      unit tests: every mutant must be caught or unviable.
#   2. Hand-made mutants of what cargo-mutants does not mutate (the tables of
#      answers that prove authorization, and the GetObject cross-check, which
#      only the end-to-end tests reach): each must make a named test fail.
# Not part of scripts/test.sh (minutes, and it edits src/ in place while it runs).
#   scripts/mutants.sh            (HAND_ONLY=1: part 2 only)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
if ! git diff --quiet -- src; then
    echo "mutants.sh: src/ has uncommitted changes; commit or stash them first" >&2
    exit 64
fi

log "1/2 cargo-mutants over the verdict rules (unit tests)"
[ "${HAND_ONLY:-}" = 1 ] || cargo mutants --in-place --baseline skip --timeout 120 \
    -f src/answer.rs -f src/verdict.rs -f src/probe/s3.rs -f src/probe/dynamodb.rs -f src/probe/mod.rs \
    -f src/run.rs -f src/identity/assess.rs -f src/identity/token.rs -f src/check.rs \
    -f src/policy/eval.rs -f src/policy/derive.rs -f src/trust.rs \
    --re 'classify|is_denial|AuthorizedError::matches|reconsider_denial|denied_action|denied_principal|from_sdk|inconclusive|judge|Summary::|settle_write_denial|read_observation|condition_ignored|conclude|with_fix|kind_matches|Check::new|assess|sends_nothing|malformed_irsa_token|source_mismatch|setup_hints|unsupported|BucketName::parse|src/policy/eval.rs|src/policy/derive.rs|src/trust.rs' \
    -- --bins

log "2/2 hand-made mutants"
ensure_venv
export IRSA_VERIFY_PYTHON="$PY"
caught=0 missed=0
# mutant FILE PYTHON-REPLACEMENT-OLD PYTHON-REPLACEMENT-NEW TEST-ARGS...
mutant() {
    local file=$1 old=$2 new=$3
    shift 3
    python3 - "$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
assert old in text, f"{path}: the mutated text is gone: {old!r}"
open(path, "w").write(text.replace(old, new, 1))
PY
    if ! cargo test --quiet --no-run "$@" >/dev/null 2>&1; then
        log "UNVIABLE (does not build): $file: $old -> $new"
        missed=$((missed + 1))
    elif cargo test --quiet "$@" >/dev/null 2>&1; then
        log "MISSED: $file: $old -> $new"
        missed=$((missed + 1))
    else
        log "caught: $file: $old -> $new"
        caught=$((caught + 1))
    fi
    git checkout --quiet -- "$file"
}
trap 'git checkout --quiet -- src' EXIT
mutant src/probe/s3.rs 'AuthorizedError::code("InvalidRange"),' 'AuthorizedError::code("InvalidRange"), AuthorizedError::code("NoSuchBucket"),' --bins
mutant src/probe/s3.rs 'AuthorizedError::code("PreconditionFailed"),' 'AuthorizedError::code("PreconditionFailed"), AuthorizedError::code("NoSuchBucket"),' --bins
mutant src/probe/dynamodb.rs '&[AuthorizedError::code("ConditionalCheckFailedException")];' '&[AuthorizedError::code("ConditionalCheckFailedException"), AuthorizedError::code("ResourceNotFoundException")];' --bins
mutant src/probe/dynamodb.rs '}];' '}, AuthorizedError::code("ResourceNotFoundException")];' --bins
mutant src/probe/s3.rs 'settle_write_denial(written, &read, bucket, op)' '{ let _ = (read, op); written }' --test e2e a_write_denial_that_may_be_get_objects
mutant src/answer.rs '(*status == Some(403) && code == "Forbidden")' '(*status != Some(403) && code == "Forbidden")' --bins
echo "hand-made mutants: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
