"""One replica of an XGBoostJob: XGBoost's collective (the Rabit tracker) over the operator's variables.

The XGBoostJob operator gives every replica MASTER_ADDR and MASTER_PORT (the master's address and port), WORLD_SIZE
(all replicas) and RANK (the master is 0, workers 1..), plus WORKER_PORT and WORKER_ADDRS (unused here: LightGBM's).
The master (RANK 0) also runs the tracker, in-process, listening on MASTER_ADDR:MASTER_PORT for WORLD_SIZE workers,
and trains like every other rank. Every rank joins the collective with its RANK as task id; histogram training
allreduces the gradient histograms, so every rank ends with the same model, trained on all the shards of
breast_cancer. Progress (logloss per round) goes to stdout, flushed; each rank's last stdout line is
`FLOE_RESULT {json}`. Network: none beyond the job's own (the data ships with scikit-learn). Deterministic.
Workers may start before the master: they poll the tracker's port (every 0.25 s, up to XGB_WAIT_SECONDS=300), then
join; XGBoost's own connect retries (XGB_RETRY=15, sleeping 2 s, 4 s, ... between tries) come on top. Ports: the
tracker listens on MASTER_PORT, and every rank also listens on an ephemeral port (0.0.0.0) for its peers.
Knobs (env, optional): ROUNDS (30), OMP_NUM_THREADS (1), XGB_RETRY, XGB_TIMEOUT (300), XGB_TRACKER_TIMEOUT (300),
XGB_BIND_SECONDS (120), XGB_WAIT_SECONDS (300).
"""
import hashlib
import json
import os
import socket
import time

STARTED = time.time()

import xgboost as xgb  # noqa: E402
from xgboost import collective  # noqa: E402
from xgboost.tracker import RabitTracker  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "30"))


def resolve(host: str, seconds: float = 120.0) -> str:
    """The tracker binds an IP address, not a name. On a cluster the master's own Service name (MASTER_ADDR) may take
    a moment to resolve after the pod starts."""
    deadline = time.time() + seconds
    while True:
        try:
            return socket.gethostbyname(host)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(1)


def start_tracker(host: str, port: int, world: int) -> RabitTracker:
    """The tracker's socket has no SO_REUSEADDR: right after an earlier tracker on this port (a restarted master, the
    previous job on the same port) its TIME_WAIT connections make the bind fail ("Address already in use") for up
    to a minute. Retry until XGB_BIND_SECONDS."""
    deadline = time.time() + float(os.environ.get("XGB_BIND_SECONDS", "120"))
    while True:
        try:
            # sortby="task": ranks follow the task ids (compared as strings, hence zero-padded), not host order.
            tracker = RabitTracker(n_workers=world, host_ip=host, port=port, sortby="task",
                                   timeout=int(os.environ.get("XGB_TRACKER_TIMEOUT", "300")))
            break
        except xgb.core.XGBoostError as err:
            if "Address already in use" not in str(err) or time.time() > deadline:
                raise
            print(f"[rank 0] tracker port {host}:{port} still in use, retrying", flush=True)
            time.sleep(2)
    tracker.start()
    return tracker


def wait_for_tracker(host: str, port: int, seconds: float) -> None:
    """Workers: wait (polling every 0.25 s) until the master's tracker accepts connections, rather than letting
    XGBoost's own connect retries back off by 2 s, 4 s, ... when the master is a little slower to start. The tracker
    logs one harmless "Failed to verify" warning for the probe."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.25)


class Progress(xgb.callback.TrainingCallback):
    def __init__(self, rank: int) -> None:
        self.rank = rank

    def after_iteration(self, model, epoch, evals_log) -> bool:
        metrics = " ".join(f"{data}-{name} {values[-1]:.5f}" for data, m in evals_log.items() for name, values in m.items())
        print(f"[rank {self.rank}] round {epoch} {metrics}", flush=True)
        return False


def main() -> None:
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    master, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    print(f"[rank {rank}/{world}] tracker at {master}:{port}", flush=True)

    tracker = None
    if rank == 0:
        # Started before the slower imports below, so that the workers find it early.
        tracker = start_tracker(resolve(master), port, world)

    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    dtrain = xgb.DMatrix(X_train[rank::world], label=y_train[rank::world])
    dtest = xgb.DMatrix(X_test, label=y_test)

    args = {"dmlc_communicator": "rabit", "dmlc_tracker_uri": master, "dmlc_tracker_port": port,
            "dmlc_task_id": f"{rank:06d}", "dmlc_retry": int(os.environ.get("XGB_RETRY", "15")),
            "dmlc_timeout": int(os.environ.get("XGB_TIMEOUT", "300"))}
    if rank != 0:
        wait_for_tracker(master, port, float(os.environ.get("XGB_WAIT_SECONDS", "300")))
    with collective.CommunicatorContext(**args):
        crank, cworld = collective.get_rank(), collective.get_world_size()
        assert cworld == world and crank == rank, (crank, cworld, rank, world)
        print(f"[rank {rank}] joined the collective (imports+join {time.time() - STARTED:.1f}s)", flush=True)
        params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 3, "eta": 0.3,
                  "eval_metric": "logloss", "seed": 0, "nthread": int(os.environ.get("OMP_NUM_THREADS", "1"))}
        started = time.time()
        # Metrics are allreduced too: "train" is the logloss over all shards.
        booster = xgb.train(params, dtrain, num_boost_round=ROUNDS, evals=[(dtrain, "train"), (dtest, "test")],
                            verbose_eval=False, callbacks=[Progress(rank)])
        train_seconds = time.time() - started

    accuracy = float(((booster.predict(dtest) > 0.5).astype(int) == y_test).mean())
    digest = hashlib.sha256(bytes(booster.save_raw("json"))).hexdigest()
    if tracker is not None:
        tracker.wait_for()
    result = {
        "framework": "xgboost", "rank": crank, "world_size": cworld, "accuracy": round(accuracy, 4),
        "checksum": float(int(digest[:12], 16)), "model_sha256": digest[:16], "rounds": ROUNDS,
        "xgboost": xgb.__version__, "train_seconds": round(train_seconds, 2),
        "wall_seconds": round(time.time() - STARTED, 2),
    }
    print("FLOE_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
