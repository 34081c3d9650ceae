#!/usr/bin/env bash
# The XGBoostJob's three replicas (master + 2 workers) launched by hand on loopback, with the same variables.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/torch/bin/python}"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" WORLD_SIZE=3 PYTHONUNBUFFERED=1
pids=()
for rank in 0 1 2; do RANK=$rank "$python" "$here/train_xgb.py" & pids+=($!); done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
