"""One replica of an MXJob: MXNet's parameter server with the dist_sync kvstore.

The MXJob operator gives every replica DMLC_ROLE (scheduler, server or worker), DMLC_PS_ROOT_URI and
DMLC_PS_ROOT_PORT (the scheduler's address, read from its Service), DMLC_NUM_SERVER and DMLC_NUM_WORKER.
The scheduler and the servers run ps-lite as soon as mxnet is imported and exit when the workers finish.
Each worker trains a small network on its shard of scikit-learn's digits; dist_sync sums the gradients on the
servers, so every worker ends with the same parameters. Each worker's last line is `FLOE_RESULT {json}`.
"""
import json
import os
import sys

role = os.environ.get("DMLC_ROLE", "worker")
print(f"[{role}] scheduler at {os.environ.get('DMLC_PS_ROOT_URI')}:{os.environ.get('DMLC_PS_ROOT_PORT')}", flush=True)

import mxnet as mx  # noqa: E402  (with DMLC_ROLE=scheduler|server this import runs the role and returns when it ends)

if role != "worker":
    print(f"[{role}] done", flush=True)
    sys.exit(0)

import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

kv = mx.kv.create("dist_sync")
rank, size = kv.rank, kv.num_workers
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
    print(f"[worker {rank}] epoch {epoch} loss {total / steps:.4f}", flush=True)

pred = net(nd.array(X_test)).argmax(axis=1).asnumpy()
accuracy = float((pred == y_test).mean())
checksum = float(sum(p.data().asnumpy().astype("float64").sum() for p in net.collect_params().values()))
result = {"framework": "mxnet", "rank": rank, "world_size": size, "accuracy": round(accuracy, 4), "checksum": round(checksum, 6)}
print("FLOE_RESULT " + json.dumps(result), flush=True)
