#!/usr/bin/env bash
# The MXJob's four replicas launched by hand on loopback (scheduler, server, two workers), each with the variables
# the MXJob operator gives it. Waits for all; if one fails the others are stopped and the script exits non-zero.
# PYTHON overrides the interpreter (default .venvs/mxnet), LIMIT the seconds each replica may run (default 300).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/mxnet/bin/python}"
limit="${LIMIT:-300}"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# MX_CONFIG as the operator writes it (the script ignores it): servers and workers do not listen on their entry's
# port, they pick their own; only the scheduler's address matters (DMLC_PS_ROOT_URI, DMLC_PS_ROOT_PORT).
cluster="{\"scheduler\": [{\"url\": \"127.0.0.1\", \"port\": $port}], \"server\": [{\"url\": \"127.0.0.1\", \"port\": 9091}], \"worker\": [{\"url\": \"127.0.0.1\", \"port\": 9091}, {\"url\": \"127.0.0.1\", \"port\": 9091}]}"
export DMLC_PS_ROOT_URI=127.0.0.1 DMLC_PS_ROOT_PORT="$port" DMLC_NUM_SERVER=1 DMLC_NUM_WORKER=2 DMLC_USE_KUBERNETES=1 PYTHONUNBUFFERED=1

pids=()
replica() { # type index [extra env...]
  local type="$1" index="$2"; shift 2
  env DMLC_ROLE="$type" MX_CONFIG="{\"cluster\": $cluster, \"labels\": {\"scheduler\": \"\", \"server\": \"\", \"worker\": \"\"}, \"task\": {\"type\": \"$type\", \"index\": $index}}" "$@" \
    timeout -k 10 "$limit" "$python" "$here/train_dist.py" &
  pids+=($!)
}
replica scheduler 0
replica server 0
replica worker 0 DMLC_WORKER_ID=0
replica worker 1 DMLC_WORKER_ID=1

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
