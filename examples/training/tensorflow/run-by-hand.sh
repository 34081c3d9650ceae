#!/usr/bin/env bash
# The TFJob's two workers launched by hand on loopback, each with the TF_CONFIG the TFJob operator would give it
# (each worker's gRPC server listens on its own entry's port). Waits for both; if one fails the other is stopped
# and the script exits non-zero. PYTHON overrides the interpreter (default .venvs/tensorflow), LIMIT the seconds
# each worker may run (default 300).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/tensorflow/bin/python}"
limit="${LIMIT:-300}"
# Two distinct free ports (both sockets held open while choosing).
read -r p0 p1 < <("$python" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
cluster="{\"worker\": [\"127.0.0.1:$p0\", \"127.0.0.1:$p1\"]}"

pids=()
for i in 0 1; do
  TF_CONFIG="{\"cluster\": $cluster, \"task\": {\"type\": \"worker\", \"index\": $i}, \"environment\": \"cloud\"}" PYTHONUNBUFFERED=1 \
    timeout -k 10 "$limit" "$python" "$here/train_mwms.py" &
  pids+=($!)
done

status=0
left=("${pids[@]}")
while ((${#left[@]} > 0)); do
  rc=0; wait -n -p finished "${left[@]}" || rc=$?
  rest=(); for pid in "${left[@]}"; do [[ $pid == "$finished" ]] || rest+=("$pid"); done; left=("${rest[@]}")
  if ((rc != 0 && status == 0)); then
    echo "run-by-hand: process $finished exited with $rc; stopping the others" >&2
    status=1
    for pid in "${left[@]}"; do kill "$pid" 2>/dev/null || true; done
  fi
done
exit "$status"
