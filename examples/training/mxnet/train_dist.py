"""One replica of an MXJob: MXNet's parameter server (ps-lite) with the dist_sync kvstore.

The MXJob operator gives every replica DMLC_ROLE (scheduler, server or worker), DMLC_PS_ROOT_URI and
DMLC_PS_ROOT_PORT (the scheduler's address, read from its Service), DMLC_NUM_SERVER, DMLC_NUM_WORKER,
DMLC_USE_KUBERNETES=1, MX_CONFIG (ignored here) and, on workers, DMLC_WORKER_ID. The scheduler listens on
DMLC_PS_ROOT_PORT; servers and workers pick their own free ports and register with it. The scheduler and the
servers run ps-lite as soon as mxnet is imported, and the import exits the process (status 0) when the workers
finish. Each worker trains a small network on its shard of scikit-learn's digits (by kvstore rank, which ps-lite
assigns and which need not equal DMLC_WORKER_ID); dist_sync sums the gradients on the servers, which apply the
optimiser, so every worker ends with the same parameters. Each worker's last line is `FLOE_RESULT {json}`.
"""
import ipaddress
import json
import os
import socket
import sys


def log(line):
    """One write per line, so that replicas sharing a terminal do not interleave within a line."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


role = os.environ.get("DMLC_ROLE", "worker")
root = os.environ.get("DMLC_PS_ROOT_URI", "")


def is_loopback(host):
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


# Local mode (the scheduler's address is a loopback one, as on Floe): keep every ps-lite socket on loopback.
# Servers and workers otherwise advertise and bind the first non-loopback interface's address (and fail with
# "failed to get the interface" where there is none); DMLC_USE_KUBERNETES=1 makes the scheduler bind 0.0.0.0
# instead of DMLC_PS_ROOT_URI. On a cluster (a Service name) nothing changes.
if is_loopback(root):
    os.environ.setdefault("DMLC_NODE_HOST", "127.0.0.1")
    os.environ["DMLC_USE_KUBERNETES"] = "0"
log(f"[{role}] scheduler at {root}:{os.environ.get('DMLC_PS_ROOT_PORT')}, "
    f"{os.environ.get('DMLC_NUM_SERVER')} server(s), {os.environ.get('DMLC_NUM_WORKER')} worker(s)")

try:
    # With DMLC_ROLE=scheduler|server this import runs the role and calls sys.exit() when the workers are done.
    import mxnet as mx
except SystemExit as done:
    log(f"[{role}] finished")
    raise done

if role != "worker":  # not reached for scheduler and server
    sys.exit(0)

import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

kv = mx.kv.create("dist_sync")
rank, size = kv.rank, kv.num_workers
worker_id = os.environ.get("DMLC_WORKER_ID")
log(f"[worker {rank}/{size}] kvstore {kv.type}, DMLC_WORKER_ID={worker_id}")
mx.random.seed(7)
np.random.seed(7)

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype("float32")
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
X_shard, y_shard = X_train[rank::size], y_train[rank::size]

net = gluon.nn.Sequential()
net.add(gluon.nn.Dense(64, activation="relu"), gluon.nn.Dense(10))
net.initialize(mx.init.Xavier(), ctx=mx.cpu())
# The kvstore initialises every parameter from worker 0, so all workers start equal.
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kv)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

batch = 32
# dist_sync needs every worker to push the same number of times.
steps = (len(X_train) // size) // batch
for epoch in range(15):
    order = np.random.RandomState(epoch * 100 + rank).permutation(len(X_shard))
    total = 0.0
    for s in range(steps):
        idx = order[s * batch:(s + 1) * batch]
        data, label = nd.array(X_shard[idx]), nd.array(y_shard[idx])
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(batch * size)
        total += float(loss.mean().asscalar())
    log(f"[worker {rank}] epoch {epoch} loss {total / steps:.4f}")

pred = net(nd.array(X_test)).argmax(axis=1).asnumpy()
accuracy = float((pred == y_test).mean())
checksum = float(sum(p.data().asnumpy().astype("float64").sum() for p in net.collect_params().values()))
result = {"framework": "mxnet", "rank": rank, "world_size": size, "accuracy": round(accuracy, 4), "checksum": round(checksum, 6),
          "worker_id": None if worker_id is None else int(worker_id)}
log("FLOE_RESULT " + json.dumps(result))
