"""One replica of a TFJob: MultiWorkerMirroredStrategy over TF_CONFIG, with a custom training loop.

The TFJob operator gives every replica TF_CONFIG: the cluster (every worker's address, read from its Service) and
this replica's task. MultiWorkerMirroredStrategy reads it, starts this task's gRPC server on its own address, and
all-reduces the gradients, so every worker ends with the same weights. Each worker trains on its shard of
scikit-learn's digits. (Keras 3's model.fit under this strategy fails in TF 2.21; a custom loop works.)
Each worker's last line is `FLOE_RESULT {json}`.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

config = json.loads(os.environ["TF_CONFIG"])
rank = config["task"]["index"]
world = len(config["cluster"]["worker"])
print(f"[worker {rank}/{world}] cluster {config['cluster']}", flush=True)

strategy = tf.distribute.MultiWorkerMirroredStrategy()
tf.random.set_seed(0)

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
    print(f"[worker {rank}] epoch {epoch} loss {total / steps:.4f}", flush=True)

accuracy = float((np.argmax(model(X_test, training=False).numpy(), axis=1) == y_test).mean())
checksum = float(sum(np.asarray(v.numpy(), dtype=np.float64).sum() for v in model.trainable_variables))
result = {"framework": "tensorflow", "rank": rank, "world_size": world, "accuracy": round(accuracy, 4), "checksum": round(checksum, 5)}
print("FLOE_RESULT " + json.dumps(result), flush=True)
