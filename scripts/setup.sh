#!/usr/bin/env bash
# Create .venv (if needed) and install the locked dependencies (if the lock changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "Python 3.11 or newer is needed ($PY is $("$PY" --version 2>&1)). Install it with your package manager." >&2
  exit 1
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    echo "Installing python3-venv with the system package manager..." >&2
    as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv >/dev/null
    "$PY" -m venv .venv
  fi
fi

want="$(sha256sum requirements.lock | cut -d' ' -f1)"
have="$(cat .venv/.lock-sha256 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "Installing locked dependencies into .venv ..." >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  echo "$want" > .venv/.lock-sha256
fi
