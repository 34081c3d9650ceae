#!/usr/bin/env bash
# The XGBoostJob's three replicas (Master + 2 Workers) launched by hand on loopback, with the variables the operator
# gives them: MASTER_ADDR, MASTER_PORT (a free port: the master's in-process tracker listens there), WORLD_SIZE=3,
# RANK 0|1|2, WORKER_PORT, WORKER_ADDRS, PYTHONUNBUFFERED=1. Waits for all; exits non-zero if any replica fails or
# the ranks disagree on the model.
# PYTHON=<interpreter> overrides .venvs/torch; LOG_DIR=<dir> keeps each replica's output (default: a temp dir).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-$here/../../../.venvs/torch/bin/python}"
logs="${LOG_DIR:-$(mktemp -d)}"; mkdir -p "$logs"
freeport() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export MASTER_ADDR=127.0.0.1 MASTER_PORT="$(freeport)" WORLD_SIZE=3 PYTHONUNBUFFERED=1 \
  WORKER_PORT="$(freeport)" WORKER_ADDRS=127.0.0.1,127.0.0.1
start=$(date +%s%N)
pids=()
for rank in 0 1 2; do
  RANK=$rank "$python" "$here/train_xgb.py" >"$logs/rank$rank.out" 2>"$logs/rank$rank.err" & pids+=($!)
done
status=0
for rank in 0 1 2; do
  wait "${pids[$rank]}"; rc=$?
  [ "$rc" -eq 0 ] || { echo "rank $rank exited $rc (stderr: $logs/rank$rank.err)" >&2; tail -n 5 "$logs/rank$rank.err" >&2; status=1; }
done
ms=$(( ($(date +%s%N) - start) / 1000000 )); wall="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
for rank in 0 1 2; do tail -n 1 "$logs/rank$rank.out"; done
sums=$(for rank in 0 1 2; do tail -n 1 "$logs/rank$rank.out" | sed -n 's/.*"checksum": \([-0-9.e]*\).*/\1/p'; done | sort -u | wc -l)
[ "$status" -ne 0 ] || [ "$sums" -eq 1 ] || { echo "ranks disagree on the checksum" >&2; status=1; }
echo "xgboost by hand: wall ${wall}s, exit $status, logs in $logs"
exit "$status"
