#!/usr/bin/env bash
# The Python binding's overhead and a factorised-solve loop against ngspice
# (issue 23). Builds the package in release mode into bench/.venv-python
# (maturin, numpy from PyPI) and runs bench/python_solve.py on cores 0,1.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv-python
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.7,<2" "numpy>=1.21"
start=$(date +%s)
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" "$venv/bin/maturin" develop --release --locked -q -m python/Cargo.toml
echo "release build and install: $(( $(date +%s) - start )) s" >&2
taskset -c 0,1 "$venv/bin/python" bench/python_solve.py "${1:-5}"
