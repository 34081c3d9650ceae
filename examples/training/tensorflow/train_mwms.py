"""One replica of a TFJob: MultiWorkerMirroredStrategy over TF_CONFIG, with a custom training loop.

The TFJob operator gives every replica TF_CONFIG: the cluster (every replica's address, read from its Service) and
this replica's task. MultiWorkerMirroredStrategy reads it, starts this task's gRPC server on the port of its own
entry, waits until every chief/worker task has connected (to task 0's coordination service), and all-reduces the
gradients, so every worker ends with the same weights. Each worker trains on its shard of scikit-learn's digits.
(Keras 3's model.fit under this strategy fails in TF 2.21; a custom loop works.) Without TF_CONFIG (a one-replica
job) it trains alone. Each worker's last line is `FLOE_RESULT {json}`.
"""
import json
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def log(line):
    """One write per line, so that replicas sharing a terminal do not interleave within a line."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

# The operator sets TF_CONFIG only when the job has more than one replica; without it this is a single worker.
config = json.loads(os.environ.get("TF_CONFIG") or '{"cluster": {"worker": ["localhost:0"]}, "task": {"type": "worker", "index": 0}}')
cluster, task = config["cluster"], config["task"]
if task["type"] not in ("chief", "worker"):
    sys.exit(f"train_mwms.py runs chief and worker replicas only (MultiWorkerMirroredStrategy), not {task['type']}")
# MultiWorkerMirroredStrategy numbers the chief (if any) first, then the workers.
chiefs = len(cluster.get("chief", []))
rank = task["index"] + (chiefs if task["type"] == "worker" else 0)
world = chiefs + len(cluster.get("worker", []))
log(f"[worker {rank}/{world}] task {task['type']}-{task['index']}, cluster {cluster}")

strategy = tf.distribute.MultiWorkerMirroredStrategy()
# The strategy's coordination service installs a preemption notifier that catches SIGTERM and keeps running (it is
# meant for PreemptionCheckpointHandler, unused here): restore the default, so that deleting the Pod stops the worker.
signal.signal(signal.SIGTERM, signal.SIG_DFL)
# Keras 3 draws its initialisers' seeds from its own generator: seed Python, NumPy, TensorFlow and Keras together.
# (The strategy also broadcasts worker 0's initial values, so the workers agree even without a seed.)
tf.keras.utils.set_random_seed(0)

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
X_shard, y_shard = X_train[rank::world], y_train[rank::world].astype(np.int64)

batch = 32
global_batch = batch * world
with strategy.scope():
    model = tf.keras.Sequential([tf.keras.Input((64,)), tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dense(10)])
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


@tf.function
def train_step(x, labels):
    def step(x, labels):
        with tf.GradientTape() as tape:
            loss = tf.nn.compute_average_loss(loss_object(labels, model(x, training=True)), global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(step, args=(x, labels)), axis=None)


steps = (len(X_train) // world) // batch  # the same number of collective steps on every worker
for epoch in range(15):
    order = np.random.RandomState(epoch * 100 + rank).permutation(len(X_shard))
    total = 0.0
    for s in range(steps):
        idx = order[s * batch:(s + 1) * batch]
        total += float(train_step(tf.constant(X_shard[idx]), tf.constant(y_shard[idx])))
    log(f"[worker {rank}] epoch {epoch} loss {total / steps:.4f}")

accuracy = float((np.argmax(model(X_test, training=False).numpy(), axis=1) == y_test).mean())
checksum = float(sum(np.asarray(v.numpy(), dtype=np.float64).sum() for v in model.trainable_variables))
result = {"framework": "tensorflow", "rank": rank, "world_size": world, "accuracy": round(accuracy, 4), "checksum": round(checksum, 5)}
log("FLOE_RESULT " + json.dumps(result))
