"""Kubeflow's Python SDK against Floe, unchanged: train a function on two nodes with the default torch runtime.

    python3 -m venv .venvs/trainer-sdk && .venvs/trainer-sdk/bin/pip install -r python/envs/trainer-sdk/requirements.txt
    KUBECONFIG=~/.floe/kubeconfig .venvs/trainer-sdk/bin/python examples/trainer/sdk_train.py
"""
from kubeflow.trainer import CustomTrainer, TrainerClient


def train_allreduce():
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    t = torch.tensor([float(rank + 1)])
    dist.all_reduce(t)
    print(f"rank {rank} of {world}: all_reduce sum {t.item()}", flush=True)
    dist.destroy_process_group()


client = TrainerClient()
for runtime in client.list_runtimes():
    print("runtime:", runtime.name, runtime.trainer.framework)
name = client.train(runtime="torch-distributed", trainer=CustomTrainer(func=train_allreduce, num_nodes=2, resources_per_node={"cpu": 1}))
client.wait_for_job_status(name)
for step in ("node-0", "node-1"):
    for line in client.get_job_logs(name, step=step):
        print(f"[{step}] {line}")
