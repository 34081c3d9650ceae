#!/usr/bin/env bash
# The MXJob's four replicas launched by hand on loopback: scheduler, server, two workers.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/mxnet/bin/python}"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DMLC_PS_ROOT_URI=127.0.0.1 DMLC_PS_ROOT_PORT="$port" DMLC_NUM_SERVER=1 DMLC_NUM_WORKER=2 DMLC_USE_KUBERNETES=1 PYTHONUNBUFFERED=1
pids=()
DMLC_ROLE=scheduler "$python" "$here/train_dist.py" & pids+=($!)
DMLC_ROLE=server "$python" "$here/train_dist.py" & pids+=($!)
DMLC_ROLE=worker DMLC_WORKER_ID=0 "$python" "$here/train_dist.py" & pids+=($!)
DMLC_ROLE=worker DMLC_WORKER_ID=1 "$python" "$here/train_dist.py" & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
