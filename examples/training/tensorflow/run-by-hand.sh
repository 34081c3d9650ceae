#!/usr/bin/env bash
# The TFJob's two workers launched by hand on loopback, each with the TF_CONFIG the operator would give it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/tensorflow/bin/python}"
free() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p0="$(free)"; p1="$(free)"
cluster="{\"worker\": [\"127.0.0.1:$p0\", \"127.0.0.1:$p1\"]}"
pids=()
for i in 0 1; do
  TF_CONFIG="{\"cluster\": $cluster, \"task\": {\"type\": \"worker\", \"index\": $i}, \"environment\": \"cloud\"}" PYTHONUNBUFFERED=1 "$python" "$here/train_mwms.py" & pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
