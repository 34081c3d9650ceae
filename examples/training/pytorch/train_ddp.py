"""One replica of a PyTorchJob: DistributedDataParallel over gloo on scikit-learn's digits.

Runs unchanged
- under the PyTorchJob operator (Master + Workers): MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK come from the
  operator; rank 0 listens on MASTER_PORT (the TCPStore), every rank joins with init_method env://;
- under torchrun (the elastic form, Workers only): torchrun reads the operator's PET_* variables, rendezvouses, and
  sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT itself for this process;
- alone (`python train_ddp.py` with none of these set): a world of one.

Every rank trains on its shard; DDP averages the gradients, so the ranks end with bit-identical parameters. Progress
(loss per epoch) goes to stdout, flushed; each rank's last stdout line is `FLOE_RESULT {json}`.
Network: none (the digits ship with scikit-learn). Deterministic for a given world size.
"""
import datetime
import hashlib
import ipaddress
import json
import os
import socket
import time

STARTED = time.time()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn as nn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

EPOCHS = int(os.environ.get("EPOCHS", "15"))
BATCH = 32


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    if "MASTER_ADDR" not in os.environ and "RANK" not in os.environ:  # run alone: a world of one
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE="1", RANK="0")
    # On one machine every peer is on 127.0.0.1: keep gloo's sockets on the loopback interface. Elsewhere (a cluster,
    # MASTER_ADDR a Service name) gloo's default: the address that this host's name resolves to.
    if is_loopback(os.environ["MASTER_ADDR"]) and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    timeout = datetime.timedelta(seconds=int(os.environ.get("DDP_TIMEOUT_SECONDS", "600")))
    dist.init_process_group("gloo", init_method="env://", timeout=timeout)
    rank, size = dist.get_rank(), dist.get_world_size()
    launcher = "torchrun" if "TORCHELASTIC_RUN_ID" in os.environ else "env"
    print(f"[rank {rank}/{size}] joined via {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']} ({launcher}, "
          f"imports+join {time.time() - STARTED:.1f}s)", flush=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)  # several ranks share few cores

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_shard = torch.from_numpy(X_train[rank::size])
    y_shard = torch.from_numpy(y_train[rank::size]).long()

    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    ddp = nn.parallel.DistributedDataParallel(model)  # broadcasts rank 0's initial parameters
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    steps = (len(X_train) // size) // BATCH  # the same number of steps on every rank (DDP needs it)
    started = time.time()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(X_shard), generator=torch.Generator().manual_seed(epoch * 100 + rank))
        total = 0.0
        for s in range(steps):
            idx = order[s * BATCH:(s + 1) * BATCH]
            optimizer.zero_grad()
            loss = loss_fn(ddp(X_shard[idx]), y_shard[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"[rank {rank}] epoch {epoch} loss {total / steps:.4f}", flush=True)
    train_seconds = time.time() - started

    with torch.no_grad():
        accuracy = (model(torch.from_numpy(X_test)).argmax(dim=1).numpy() == y_test).mean().item()
    params = [p.detach().double() for p in model.parameters()]
    checksum = float(sum(p.sum().item() for p in params))
    digest = hashlib.sha256(b"".join(p.numpy().tobytes() for p in params)).hexdigest()
    dist.barrier()
    dist.destroy_process_group()
    result = {
        "framework": "pytorch", "rank": rank, "world_size": size, "accuracy": round(accuracy, 4),
        "checksum": round(checksum, 6), "params_sha256": digest[:16], "epochs": EPOCHS, "launcher": launcher,
        "local_rank": int(os.environ.get("LOCAL_RANK", "0")),
        "restart_count": int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
        "train_seconds": round(train_seconds, 2), "wall_seconds": round(time.time() - STARTED, 2),
    }
    print("FLOE_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
