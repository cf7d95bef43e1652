#!/usr/bin/env bash
# Install Debian's Chromium and a CJK font for the browser tests and chart images, when missing.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
need=()
command -v chromium >/dev/null || need+=(chromium)
{ fc-list 2>/dev/null || true; } | grep -i "noto sans cjk" >/dev/null || need+=(fonts-noto-cjk)  # no -q: pipefail + SIGPIPE
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
fi
