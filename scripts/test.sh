#!/usr/bin/env bash
# Every test: formatting, lints, unit tests and the end-to-end tests that run
# the built binary against the emulator. Sets up what it needs itself.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv
export IRSA_VERIFY_PYTHON="$PY"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy -D warnings"
cargo clippy --all-targets --locked -- -D warnings
log "cargo test (unit, end-to-end against the emulator, bad input)"
cargo test --locked
