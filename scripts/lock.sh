#!/usr/bin/env bash
# Regenerate requirements.lock from pyproject.toml's ranges (make lock).
# Usage: scripts/lock.sh PYTHON LOCKFILE
set -euo pipefail
py=${1:-python3.11}; lock=${2:-requirements.lock}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet "torch==2.14.1" "torchvision==0.29.1"   # never let pip pick torch
"$tmp/venv/bin/pip" install --quiet ".[dev]"
{
  echo "# Exact pins of every dependency (Python 3.11). The Makefile installs with this file;"
  echo "# pyproject.toml holds the ranges. Regenerate with 'make lock' after changing pyproject.toml."
  "$tmp/venv/bin/pip" freeze --exclude course_lib | sed -E 's/^((nvidia-|cuda-|triton).*)$/\1 ; sys_platform == "linux"/'
} > "$lock.tmp"
mv "$lock.tmp" "$lock"
python3 "$(dirname "$0")/write_environment.py"
echo "wrote $lock ($(grep -vc '^#' "$lock") pins)"
