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
# In two halves: the install runs in the background beside ours (pip waits on the disk and the network
# more than on the CPU: about 90 s saved on a fresh machine), and finish_consumers_venv waits for it.
CONSUMERS_VENV="$ROOT/.venv-consumers"
start_consumers_venv() {
  local stamp="$CONSUMERS_VENV/.installed"
  local want
  want="$(sha256sum "$ROOT/requirements-consumers.txt" | cut -d' ' -f1)"
  CONSUMERS_PID=""
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing requirements-consumers.txt (label-studio-sdk, Datumaro) into $CONSUMERS_VENV in the background ..."
    CONSUMERS_LOG="$(mktemp)"
    (
      set -e
      [ -x "$CONSUMERS_VENV/bin/python" ] || python3 -m venv "$CONSUMERS_VENV"
      "$CONSUMERS_VENV/bin/pip" install --quiet -r "$ROOT/requirements-consumers.txt"
      echo "$want" > "$stamp"
    ) > "$CONSUMERS_LOG" 2>&1 &
    CONSUMERS_PID=$!
  fi
}
finish_consumers_venv() {
  if [ -n "${CONSUMERS_PID:-}" ]; then
    if ! wait "$CONSUMERS_PID"; then
      cat "$CONSUMERS_LOG" >&2
      echo "Installing requirements-consumers.txt into $CONSUMERS_VENV failed (above)." >&2
      exit 1
    fi
    cat "$CONSUMERS_LOG"
    rm -f "$CONSUMERS_LOG"
  fi
  export WIRESAG_CONSUMERS_PYTHON="$CONSUMERS_VENV/bin/python"
}
