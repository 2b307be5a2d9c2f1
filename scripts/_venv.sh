# Sourced by scripts/start and scripts/test: make the virtual environment and install
# the given requirements file when it changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WIRESAG_VENV:-$ROOT/.venv}"
ensure_venv() {
  local requirements="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment in $VENV ..."
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  local want
  want="$(cat "$ROOT/requirements.txt" "$ROOT/$requirements" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing $requirements (a few minutes the first time) ..."
    "$VENV/bin/pip" install --quiet -r "$ROOT/$requirements"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# The other tools' environment (requirements-consumers.txt), apart from ours: their pins clash with ours.
ensure_consumers_venv() {
  local venv="$ROOT/.venv-consumers"
  local stamp="$venv/.installed"
  local want
  want="$(sha256sum "$ROOT/requirements-consumers.txt" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing requirements-consumers.txt (label-studio-sdk, Datumaro) into $venv ..."
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r "$ROOT/requirements-consumers.txt"
    echo "$want" > "$stamp"
  fi
  export WIRESAG_CONSUMERS_PYTHON="$venv/bin/python"
}
