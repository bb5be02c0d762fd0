#!/usr/bin/env bash
# One-time setup: virtualenv with pinned packages, then the JVM JARs from Maven Central.
# After this, runs and tests need no network.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
command -v java >/dev/null || { echo "setup: Java 17 is required (java not on PATH)" >&2; exit 2; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
echo "setup: installing the project and its pinned dependencies"
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "setup: resolving JARs listed in jars.lock into .jars/"
.venv/bin/python scripts/resolve_jars.py
echo "setup: done"
