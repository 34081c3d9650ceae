"""Estimates pi with MPI: every rank integrates its share of 4/(1+x^2) over [0, 1], rank 0 sums them.

Run by an MPIJob's launcher with `mpirun -n <ranks> python pi.py`; each rank prints its share, rank 0 the result.
"""
import socket
import os

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
steps = 1_000_000
# Midpoint rule on this rank's interleaved slice of the steps.
x = (np.arange(rank, steps, size, dtype=np.float64) + 0.5) / steps
share = float(np.sum(4.0 / (1.0 + x * x)) / steps)
# The worker this rank's daemon was started for: FLOE_MPI_HOST locally, the Pod's hostname on a cluster.
host = os.environ.get("FLOE_MPI_HOST") or socket.gethostname()
print(f"rank {rank} of {size} on {host}: share {share:.12f}", flush=True)
pi = comm.reduce(share, op=MPI.SUM, root=0)
if rank == 0:
    print(f"pi is approximately {pi:.12f}, error {abs(pi - np.pi):.2e}", flush=True)
