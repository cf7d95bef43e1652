#!/usr/bin/env bash
# Quick start, command 1: set up, build the demo store if absent, serve the dashboard
# on http://localhost:8501 (local mode binds to 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export LAB_DB="${LAB_DB:-data/demo.duckdb}"
if [ ! -f "$LAB_DB" ]; then
  echo "Building the demo store $LAB_DB (about 5 seconds) ..." >&2
  .venv/bin/python -m analytics demo --db "$LAB_DB"
fi
echo "Open http://localhost:8501" >&2
exec .venv/bin/python -m streamlit run app.py --server.port "${PORT:-8501}" "$@"
