#!/usr/bin/env bash
# The elastic PyTorchJob's three replicas (3 Workers, no Master) launched by hand on loopback, each as the operator runs
# it: `torchrun ../pytorch/train_ddp.py` with no torchrun flags, torchrun reading the operator's PET_* variables:
#   PET_NNODES=3:3 (elasticPolicy min:max; override with PET_NNODES=1:3 etc.), PET_NPROC_PER_NODE=1,
#   PET_RDZV_BACKEND=c10d, PET_RDZV_ENDPOINT=127.0.0.1:<free port> (worker-0's port), PET_RDZV_ID=<job name>,
#   PET_MAX_RESTARTS=3, PYTHONUNBUFFERED=1.
# Every replica's endpoint host is 127.0.0.1, so each agent first tries to host the c10d TCPStore on that port; the
# first one binds it, the others fall back to clients. torchrun then gives the training processes
# MASTER_ADDR/MASTER_PORT = the same endpoint (the agents' store is shared), RANK, WORLD_SIZE, LOCAL_RANK.
# Waits for all; exits non-zero if any replica fails, if any rank saw a world other than 3, or the ranks disagree.
# TORCH_VENV=<venv dir> overrides .venvs/torch; LOG_DIR=<dir> keeps each replica's output (default: a temp dir).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${TORCH_VENV:-$here/../../../.venvs/torch}"
script="$here/../pytorch/train_ddp.py"
logs="${LOG_DIR:-$(mktemp -d)}"; mkdir -p "$logs"
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PATH="$venv/bin:$PATH"
export PET_NNODES="${PET_NNODES:-3:3}" PET_NPROC_PER_NODE=1 PET_RDZV_BACKEND=c10d PET_RDZV_ENDPOINT="127.0.0.1:$port" \
  PET_RDZV_ID=pytorch-elastic PET_MAX_RESTARTS=3 PYTHONUNBUFFERED=1
start=$(date +%s%N)
pids=()
for i in 0 1 2; do
  torchrun "$script" >"$logs/worker$i.out" 2>"$logs/worker$i.err" & pids+=($!)
done
status=0
for i in 0 1 2; do
  wait "${pids[$i]}"; rc=$?
  [ "$rc" -eq 0 ] || { echo "worker-$i exited $rc (stderr: $logs/worker$i.err)" >&2; tail -n 5 "$logs/worker$i.err" >&2; status=1; }
done
ms=$(( ($(date +%s%N) - start) / 1000000 )); wall="$((ms / 1000)).$(printf %03d $((ms % 1000)))"
for i in 0 1 2; do tail -n 1 "$logs/worker$i.out"; done
sums=$(for i in 0 1 2; do tail -n 1 "$logs/worker$i.out" | sed -n 's/.*"checksum": \([-0-9.e]*\).*/\1/p'; done | sort -u | wc -l)
worlds=$(for i in 0 1 2; do tail -n 1 "$logs/worker$i.out" | sed -n 's/.*"world_size": \([0-9]*\).*/\1/p'; done | sort -u)
[ "$status" -ne 0 ] || [ "$sums" -eq 1 ] || { echo "replicas disagree on the checksum" >&2; status=1; }
[ "$status" -ne 0 ] || [ "$worlds" = 3 ] || { echo "world size(s) $worlds, expected 3" >&2; status=1; }
echo "pytorch-elastic by hand: wall ${wall}s, exit $status, logs in $logs"
exit "$status"
