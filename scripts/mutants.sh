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
    -f src/policy/eval.rs -f src/policy/derive.rs -f src/policy/targets.rs -f src/trust.rs \
    -f src/probe/wire.rs -f src/probe/lookup.rs -f src/probe/same_settings.rs -f src/signed/errors.rs -f src/signed/endpoint.rs -f src/findings.rs -f src/catalogue/mod.rs -f src/sar/mod.rs \
    -f src/resource.rs -f src/glob.rs -f src/spec.rs -f src/assume.rs -f src/chain.rs \
    --re 'src/resource.rs|in overlap|ec2_targets|listed_but_named|prefer_exact_secrets|pick_id|all_elements|secret_arn|IdPick|Target::filled|in picks|classify|is_denial|AuthorizedError::matches|reconsider_denial|denied_action|denied_principal|from_sdk|inconclusive|unsure|judge|Summary::|Coverage::|settle_write_denial|settle_fresh_read|read_observation|condition_ignored|conclude|with_fix|kind_matches|Check::new|assess|sends_nothing|malformed_irsa_token|source_mismatch|setup_hints|unsupported|unguarded|BucketName::parse|src/policy/eval.rs|src/policy/derive.rs|src/policy/targets.rs|src/trust.rs|src/probe/wire.rs|src/probe/lookup.rs|src/probe/same_settings.rs|src/signed/errors.rs|src/signed/endpoint.rs|src/sar/mod.rs|never|src/assume.rs|src/chain.rs|fn area|area_lines|requested_region|ec2_ids_sent|arn_overlap|found_by_tags|tags_on_create|tells_for|tags_named|Attr::values' \
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
rows=src/catalogue/rows.rs
mutant $rows 'AuthorizedError::code("InvalidRange"),' 'AuthorizedError::code("InvalidRange"), AuthorizedError::code("NoSuchBucket"),' --bins
mutant $rows 'AuthorizedError::code("PreconditionFailed"),' 'AuthorizedError::code("PreconditionFailed"), AuthorizedError::code("NoSuchBucket"),' --bins
mutant $rows '&[AuthorizedError::code("ConditionalCheckFailedException")];' '&[AuthorizedError::code("ConditionalCheckFailedException"), AuthorizedError::code("ResourceNotFoundException")];' --bins
mutant $rows '"protected against"],' '"protected against"] }, AuthorizedError { code: "ResourceNotFoundException", message_has: &[],' --bins
# The catalogue: an allowed answer that only a lookup gives, a deny-only row
# that claims "allowed", an EC2 row without DryRun, a resource left out.
mutant $rows 'const DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperation")];' 'const DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperation"), AuthorizedError::code("InvalidVolume.NotFound")];' --bins
mutant $rows 'const KMS_DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperationException")];' 'const KMS_DRY_RUN: &[AuthorizedError] = &[AuthorizedError::code("DryRunOperationException"), AuthorizedError::code("NotFoundException")];' --bins
mutant $rows 'tells: Tells::DenialOnly,
        harmless: "asks for a random version ID' 'tells: Tells::Both,
        harmless: "asks for a random version ID' --test catalogue secrets_and_parameters
mutant $rows '&["arn:{p}:ec2:{r}:{a}:instance/{id}", "arn:{p}:ec2:{r}:{a}:volume/{id}"], false),' '&["arn:{p}:ec2:{r}:{a}:volume/{id}"], false),' --bins
mutant src/probe/mod.rs '(request.service.iam_prefix == "ec2" && !read && !dry)' '(request.service.iam_prefix == "ec2" && !read && !dry && false)' --bins
mutant src/probe/s3.rs 'settle_write_denial(written, &read, bucket, op)' '{ let _ = (read, op); written }' --test e2e a_write_denial_that_may_be_get_objects
mutant src/answer.rs '(*status == Some(403) && code == "Forbidden")' '(*status != Some(403) && code == "Forbidden")' --bins
echo "hand-made mutants: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
