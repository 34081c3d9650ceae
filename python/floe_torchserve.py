"""Floe's entry point for KServe's `kserve-torchserve` runtime: TorchServe (PyPI) behind the kserve SDK, as KServe's image runs it.

KServe's torchserve-kfs image runs the runtime's args (`torchserve --start --model-store=/mnt/models/model-store
--ts-config=/mnt/models/config/config.properties`) and then its KServe wrapper (pytorch/serve kubernetes/kserve/
kserve_wrapper): a kserve ModelServer on port 8080 with one model per entry of config.properties' `model_snapshot`,
whose predict forwards the request to TorchServe's own KServe endpoints (`/v1/models/<name>:predict` with the
`kserve` service envelope, `/v2/models/<name>/infer` with `kservev2`), chosen by PROTOCOL_VERSION.

This module does the same with TorchServe and torch-model-archiver from PyPI and the machine's JDK, with what a shared
host needs: TorchServe's inference, management, metrics and gRPC addresses (8085, 8081, 8082, 7070, 7071 in KServe's
config) become free loopback ports in a copy of config.properties, since every Pod here shares the host's network;
so do the backend workers' socket numbers (initial_worker_port, 9000); the wrapper listens on $PORT (8080, mapped by
Floe) without the kserve SDK's gRPC port; TorchServe runs in the
foreground as this process's child (it goes when the Pod goes); and token authorization, which TorchServe 0.11+ turns
on by default and KServe's 0.9 image predates, is off. The wrapper reports ready once TorchServe's workers are.

    python floe_torchserve.py torchserve --start --model-store=/mnt/models/model-store --ts-config=/mnt/models/config/config.properties
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Dict, List, Tuple

from kserve import Model, ModelServer
from kserve.errors import ModelMissingError
from kserve.predictor_config import PredictorConfig

DEFAULT_MODEL_NAME = "model"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_properties(path: str) -> Dict[str, str]:
    keys: Dict[str, str] = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            keys[name.strip()] = value.strip()
    return keys


def model_names(properties: Dict[str, str]) -> List[str]:
    snapshot = properties.get("model_snapshot")
    if not snapshot:
        return [DEFAULT_MODEL_NAME]
    models = json.loads(snapshot).get("models", {})
    return list(models) or [DEFAULT_MODEL_NAME]


def local_config(properties: Dict[str, str], model_store: str, workdir: str) -> Tuple[str, Dict[str, int]]:
    """config.properties with TorchServe's listeners on free loopback ports, the model store given, no token auth."""
    ports = {name: free_port() for name in ("inference", "management", "metrics", "grpc_inference", "grpc_management", "worker", "distribution")}
    out = dict(properties)
    out["inference_address"] = f"http://127.0.0.1:{ports['inference']}"
    out["management_address"] = f"http://127.0.0.1:{ports['management']}"
    out["metrics_address"] = f"http://127.0.0.1:{ports['metrics']}"
    out["grpc_inference_port"] = str(ports["grpc_inference"])
    out["grpc_management_port"] = str(ports["grpc_management"])
    # Backend workers listen on unix sockets /tmp/.ts.sock.<port> counted from initial_worker_port (9000): one range per Pod.
    out["initial_worker_port"] = str(ports["worker"])
    out["initial_distribution_port"] = str(ports["distribution"])
    out["model_store"] = model_store
    out["disable_token_authorization"] = "true"
    path = os.path.join(workdir, "config.properties")
    with open(path, "w") as f:
        for k, v in out.items():
            f.write(f"{k}={v}\n")
    return path, ports


def wait_for_workers(management_port: int, names: List[str], ts: subprocess.Popen) -> None:
    """Until each model's workers are READY in TorchServe's management API (or TorchServe has exited)."""
    pending = set(names)
    while pending:
        if ts.poll() is not None:
            sys.exit(f"TorchServe exited with code {ts.returncode} before its models were ready")
        for name in sorted(pending):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{management_port}/models/{name}", timeout=5) as res:
                    described = json.loads(res.read())
            except Exception:
                continue
            workers = [w for entry in described for w in entry.get("workers", [])]
            if workers and any(w.get("status") == "READY" for w in workers):
                pending.discard(name)
        if pending:
            time.sleep(0.5)


class TorchserveModel(Model):
    """One model of TorchServe's snapshot: KServe's endpoints here, the inference in TorchServe (predictor_host)."""

    def __init__(self, name: str, model_store: str):
        super().__init__(name)
        self.model_store = model_store

    def load(self) -> bool:
        if not os.path.isdir(self.model_store) or not any(n.endswith(".mar") for n in os.listdir(self.model_store)):
            raise ModelMissingError(self.model_store)
        self.ready = True
        return self.ready


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "torchserve":
        argv = argv[1:]
    parser = argparse.ArgumentParser(description="TorchServe behind KServe's wrapper")
    parser.add_argument("--start", action="store_true")
    parser.add_argument("--model-store", dest="model_store", default="/mnt/models/model-store")
    parser.add_argument("--ts-config", dest="ts_config", default="/mnt/models/config/config.properties")
    args, passthrough = parser.parse_known_args(argv)
    if not os.path.isfile(args.ts_config):
        raise ModelMissingError(args.ts_config)
    properties = read_properties(args.ts_config)
    names = model_names(properties)
    workdir = tempfile.mkdtemp(prefix="floe-torchserve-")
    config, ports = local_config(properties, args.model_store, workdir)
    env = {**os.environ, "LOG_LOCATION": os.path.join(workdir, "logs"), "METRICS_LOCATION": os.path.join(workdir, "logs")}
    torchserve = shutil.which("torchserve") or "torchserve"
    ts = subprocess.Popen(
        [torchserve, "--start", "--foreground", "--ncs", "--disable-token-auth", f"--model-store={args.model_store}", f"--ts-config={config}", *passthrough],
        cwd=workdir,
        env=env,
        # Its own process group: the launcher leaves the JVM and the Python workers behind when it alone is signalled.
        start_new_session=True,
    )

    def stop_torchserve() -> None:
        try:
            os.killpg(ts.pid, signal.SIGTERM)
            ts.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(ts.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop_torchserve)

    def stop(signum, _frame):
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    wait_for_workers(ports["management"], names, ts)
    protocol = os.environ.get("PROTOCOL_VERSION", "v1")
    predictor = PredictorConfig(predictor_host=f"127.0.0.1:{ports['inference']}", predictor_protocol="v2" if protocol in ("v2", "grpc-v2") else "v1")
    models = [TorchserveModel(name, args.model_store) for name in names]
    for model in models:
        model.load()
    http_port = int(os.environ.get("PORT", "8080"))
    ModelServer(http_port=http_port, enable_grpc=False, predictor_config=predictor).start(models)


if __name__ == "__main__":
    main()
