"""One replica of an XGBoostJob: XGBoost's collective (the Rabit tracker) over the operator's variables.

The XGBoostJob operator gives every replica MASTER_ADDR and MASTER_PORT (the master's address, read from its Service),
WORLD_SIZE and RANK (the master is 0). The master also runs the tracker on MASTER_ADDR:MASTER_PORT; every rank joins
the collective, and histogram-based training synchronises the trees, so every rank ends with the same model, trained
on all the shards. Each rank's last line is `FLOE_RESULT {json}`.
"""
import hashlib
import json
import os
import socket

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from xgboost import collective
from xgboost.tracker import RabitTracker

rank = int(os.environ["RANK"])
world = int(os.environ["WORLD_SIZE"])
master, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
print(f"[rank {rank}/{world}] tracker at {master}:{port}", flush=True)

tracker = None
if rank == 0:
    # Bind to an address (the tracker does not resolve names); the master's own Service name resolves to itself.
    tracker = RabitTracker(n_workers=world, host_ip=socket.gethostbyname(master), port=port, sortby="task", timeout=300)
    tracker.start()

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
dtrain = xgb.DMatrix(X_train[rank::world], label=y_train[rank::world])
dtest = xgb.DMatrix(X_test, label=y_test)

args = {"dmlc_tracker_uri": master, "dmlc_tracker_port": port, "dmlc_task_id": str(rank), "dmlc_retry": 10, "dmlc_timeout": 300}
with collective.CommunicatorContext(**args):
    assert collective.get_world_size() == world, collective.get_world_size()
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 3, "eta": 0.3, "eval_metric": "logloss", "seed": 0}
    booster = xgb.train(params, dtrain, num_boost_round=30, evals=[(dtrain, f"shard{rank}")], verbose_eval=10)
    crank = collective.get_rank()

accuracy = float(((booster.predict(dtest) > 0.5).astype(int) == y_test).mean())
digest = hashlib.sha256(bytes(booster.save_raw("json"))).hexdigest()
if tracker is not None:
    tracker.wait_for()
result = {"framework": "xgboost", "rank": crank, "world_size": world, "accuracy": round(accuracy, 4), "checksum": float(int(digest[:12], 16))}
print("FLOE_RESULT " + json.dumps(result), flush=True)
