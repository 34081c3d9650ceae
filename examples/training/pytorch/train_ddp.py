"""One replica of a PyTorchJob: DistributedDataParallel over gloo on scikit-learn's digits.

Runs unchanged under the PyTorchJob operator (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK from the operator) and under
torchrun (the elastic form: torchrun reads the operator's PET_* variables and sets the same four itself). Every rank
trains on its shard; DDP averages the gradients, so the ranks end with the same parameters. Each rank's last line is
`FLOE_RESULT {json}`.
"""
import ipaddress
import json
import os
import socket
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def main() -> None:
    # On one machine every peer is on 127.0.0.1: keep gloo on the loopback interface. On a cluster, gloo's default.
    if loopback(os.environ.get("MASTER_ADDR", "")) and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    dist.init_process_group("gloo", init_method="env://")
    rank, size = dist.get_rank(), dist.get_world_size()
    print(f"[rank {rank}/{size}] joined via {os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}", flush=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    X_shard = torch.from_numpy(X_train[rank::size])
    y_shard = torch.from_numpy(y_train[rank::size]).long()

    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    ddp = nn.parallel.DistributedDataParallel(model)  # broadcasts rank 0's initial parameters
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    batch = 32
    steps = (len(X_train) // size) // batch  # the same number of steps on every rank
    started = time.time()
    for epoch in range(15):
        order = torch.randperm(len(X_shard), generator=torch.Generator().manual_seed(epoch * 100 + rank))
        total = 0.0
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(ddp(X_shard[idx]), y_shard[idx])
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"[rank {rank}] epoch {epoch} loss {total / steps:.4f}", flush=True)

    with torch.no_grad():
        accuracy = (model(torch.from_numpy(X_test)).argmax(dim=1).numpy() == y_test).mean().item()
    checksum = float(sum(p.double().sum().item() for p in model.parameters()))
    dist.barrier()
    dist.destroy_process_group()
    result = {"framework": "pytorch", "rank": rank, "world_size": size, "accuracy": round(accuracy, 4), "checksum": round(checksum, 6), "train_seconds": round(time.time() - started, 2)}
    print("FLOE_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
