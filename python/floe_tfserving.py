"""Floe's TensorFlow Serving for KServe's `kserve-tensorflow-serving` runtime: TF Serving's REST API from TensorFlow.

TensorFlow Serving (`tensorflow_model_server`) is a C++ binary shipped only in its container image; this module takes
its command line (`--model_name`, `--model_base_path`, `--rest_api_port`, `--port`, `--rest_api_timeout_in_ms`,
`--file_system_poll_wait_seconds`) and answers its REST API (tensorflow_serving/g3doc/api_rest.md) from TensorFlow:

- the model base path holds numeric version folders, each a SavedModel; the highest is served (TF Serving's default
  "latest" version policy), newer ones are picked up while running, and the REST port opens once one has loaded;
- `GET /v1/models/<name>[/versions/<v>]` is the model status, `GET …/metadata` the signature defs;
- `POST /v1/models/<name>[/versions/<v>]:predict` takes the row format (`"instances"`, answered with
  `"predictions"`) or the columnar format (`"inputs"`, answered with `"outputs"`), `"signature_name"` (default
  `serving_default`) and `{"b64": …}` for string tensors;
- errors are `{"error": "<message>"}` with TF Serving's HTTP codes (invalid argument 400, not found 404, …).

What differs: the gRPC PredictionService (`--port`) is not served, and `:classify`/`:regress` (tf.Example signatures
of Estimator models) answer 501 unless the signature is a predict one, which is TF Serving's 400.

    python floe_tfserving.py --model_name=flowers --port=9000 --rest_api_port=8080 --model_base_path=/mnt/models
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf
from google.protobuf.json_format import MessageToDict
from tensorflow.core.protobuf import saved_model_pb2

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"

PREDICTION_PATH = re.compile(r"/v1/models/([^/:]+)(?:/versions/(\d+))?:(classify|regress|predict)", re.IGNORECASE)
STATUS_PATH = re.compile(r"/v1/models(?:/([^/:]+))?(?:/versions/(\d+))?(/metadata)?", re.IGNORECASE)


class ServingError(Exception):
    """A TF Serving error status: its HTTP code and message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ServingError:
    return ServingError(400, message)


class Servable:
    """One version of the model: the loaded SavedModel, its signatures and their defs (for metadata and method names)."""

    def __init__(self, version: int, path: str):
        self.version = version
        self.path = path
        self.model = tf.saved_model.load(path)
        self.signatures = dict(self.model.signatures)
        proto = saved_model_pb2.SavedModel()
        with open(os.path.join(path, "saved_model.pb"), "rb") as f:
            proto.ParseFromString(f.read())
        self.signature_defs = proto.meta_graphs[0].signature_def if proto.meta_graphs else {}

    def signature(self, name: str):
        key = name or DEFAULT_SIGNATURE
        fn = self.signatures.get(key)
        if fn is None:
            raise invalid(f'Serving signature name: "{key}" not found in signature def')
        return key, fn


class ModelManager:
    """The servable versions under the base path, loaded as they appear (TF Serving's file-system source)."""

    def __init__(self, name: str, base_path: str, poll_seconds: float):
        self.name = name
        self.base_path = base_path
        self.poll_seconds = poll_seconds
        self.lock = threading.Lock()
        self.served: Dict[int, Servable] = {}
        self.failed: Dict[int, str] = {}
        self.reported_empty = False

    def versions_on_disk(self) -> List[int]:
        try:
            names = os.listdir(self.base_path)
        except OSError:
            return []
        return sorted(int(n) for n in names if n.isdigit() and os.path.isdir(os.path.join(self.base_path, n)))

    def poll(self) -> None:
        versions = self.versions_on_disk()
        if not versions:
            if not self.reported_empty:
                print(f"No versions of servable {self.name} found under base path {self.base_path}", file=sys.stderr, flush=True)
                self.reported_empty = True
            return
        latest = versions[-1]
        if latest in self.served or latest in self.failed:
            return
        try:
            servable = Servable(latest, os.path.join(self.base_path, str(latest)))
        except Exception as err:  # a broken version stays unserved; the one before keeps serving
            self.failed[latest] = str(err)
            print(f"Loading servable: {{name: {self.name} version: {latest}}} failed: {err}", file=sys.stderr, flush=True)
            return
        with self.lock:
            self.served = {latest: servable}
        print(f"Successfully loaded servable version {{name: {self.name} version: {latest}}}", file=sys.stderr, flush=True)

    def watch(self) -> None:
        while True:
            time.sleep(self.poll_seconds)
            self.poll()

    def get(self, name: str, version: Optional[int]) -> Servable:
        with self.lock:
            served = dict(self.served)
        if name == self.name:
            if version is None and served:
                return served[max(served)]
            if version is not None and version in served:
                return served[version]
        wanted = f"Latest({name})" if version is None else f"Specific({name}, {version})"
        raise ServingError(404, f"Servable not found for request: {wanted}")

    def status(self, name: str, version: Optional[int]) -> Dict[str, Any]:
        with self.lock:
            served = dict(self.served)
            failed = dict(self.failed)
        if name != self.name or (not served and not failed):
            raise ServingError(404, f"Could not find any versions of model {name}")
        entries = [(v, "AVAILABLE", "OK", "") for v in served] + [(v, "END", "UNKNOWN", msg) for v, msg in failed.items() if v not in served]
        if version is not None:
            entries = [e for e in entries if e[0] == version]
            if not entries:
                raise ServingError(404, f"Could not find version {version} of model {name}")
        return {
            "model_version_status": [
                {"version": str(v), "state": state, "status": {"error_code": code, "error_message": msg}}
                for v, state, code, msg in sorted(entries, reverse=True)
            ]
        }


def decode_value(value: Any) -> Any:
    """JSON values to what tf.constant takes: `{"b64": …}` becomes bytes, lists recursively."""
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            try:
                return base64.b64decode(value["b64"], validate=True)
            except Exception as err:
                raise invalid(f"Unable to base64 decode: {err}") from err
        raise invalid("JSON object: does not have named input or is not a b64 value")
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def to_tensor(name: str, value: Any, spec: tf.TensorSpec) -> tf.Tensor:
    try:
        if spec.dtype == tf.string:
            return tf.constant(value, dtype=tf.string)
        array = np.asarray(value)
        if array.dtype.kind in "USO":
            raise invalid(f"JSON Value: {json.dumps(value)[:80]} Type: String is not of expected type: {spec.dtype.name} (input {name})")
        return tf.constant(array, dtype=spec.dtype)
    except ServingError:
        raise
    except (ValueError, TypeError) as err:
        raise invalid(f"Failed to process input {name}: {err}") from err


def request_tensors(body: Dict[str, Any], specs: Dict[str, tf.TensorSpec]) -> Tuple[Dict[str, tf.Tensor], str]:
    """The signature's input tensors from a row-format ("instances") or columnar ("inputs") request, and the format."""
    has_instances, has_inputs = "instances" in body, "inputs" in body
    if has_instances == has_inputs:
        if not has_instances:
            raise invalid("Missing 'inputs' or 'instances' key")
        raise invalid("Not formatted correctly expecting only one of 'inputs' or 'instances' keys exclusively")
    names = list(specs)
    if has_instances:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise invalid("Excepting 'instances' to be an list/array")
        if not instances:
            raise invalid("No values in 'instances' list")
        if len(names) == 1 and not all(isinstance(i, dict) and names[0] in i for i in instances):
            columns = {names[0]: [decode_value(i) for i in instances]}
        else:
            columns = {}
            for n, instance in enumerate(instances):
                if not isinstance(instance, dict):
                    raise invalid(f"Failed to process element: {n} of 'instances' list. JSON object: expecting named inputs {names}")
                missing = [k for k in names if k not in instance]
                if missing:
                    raise invalid(f"Failed to process element: {n} of 'instances' list. JSON object: missing named input(s): {missing}")
                for k in names:
                    columns.setdefault(k, []).append(decode_value(instance[k]))
        fmt = "row"
    else:
        inputs = body["inputs"]
        if len(names) == 1 and not (isinstance(inputs, dict) and names[0] in inputs and set(inputs) == {names[0]}):
            columns = {names[0]: decode_value(inputs)}
        elif isinstance(inputs, dict):
            unknown = [k for k in inputs if k not in specs]
            if unknown:
                raise invalid(f"input tensor alias not found in signature: {unknown[0]}. Inputs expected to be in the set {{{','.join(names)}}}.")
            missing = [k for k in names if k not in inputs]
            if missing:
                raise invalid(f"Request inputs do not match required inputs for model: missing {missing}")
            columns = {k: decode_value(v) for k, v in inputs.items()}
        else:
            raise invalid(f"Expecting named inputs {names} as a JSON object in 'inputs'")
        fmt = "columnar"
    return {k: to_tensor(k, v, specs[k]) for k, v in columns.items()}, fmt


def json_values(name: str, tensor: tf.Tensor) -> Any:
    """A tensor as TF Serving writes it: floats at their own precision, strings as text (or b64 for `*_bytes`)."""
    array = tensor.numpy()
    if array.dtype == np.float32 or array.dtype == np.float16:
        return array.astype(np.str_).astype(np.float64).tolist()
    if array.dtype.kind in "SO":
        if name.endswith("_bytes"):
            return np.vectorize(lambda b: {"b64": base64.b64encode(b).decode()}, otypes=[object])(array).tolist()
        return np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else b, otypes=[object])(array).tolist()
    return array.tolist()


def predict(manager: ModelManager, name: str, version: Optional[int], body: Dict[str, Any]) -> Dict[str, Any]:
    servable = manager.get(name, version)
    signature_name = body.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise invalid("'signature_name' key must be a string")
    _, fn = servable.signature(signature_name)
    specs = fn.structured_input_signature[1]
    tensors, fmt = request_tensors(body, specs)
    try:
        outputs = fn(**tensors)
    except tf.errors.OpError as err:
        raise ServingError(400 if isinstance(err, tf.errors.InvalidArgumentError) else 500, err.message) from err
    except (TypeError, ValueError) as err:
        raise invalid(str(err)) from err
    if not isinstance(outputs, dict):
        outputs = {"output_0": outputs}
    values = {k: json_values(k, v) for k, v in outputs.items()}
    if fmt == "columnar":
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    sizes = {k: (v.shape[0] if v.shape.rank else None) for k, v in outputs.items()}
    if len(set(sizes.values())) != 1 or None in sizes.values():
        raise invalid(f"Tensor name: {next(iter(outputs))} has inconsistent batch size with the other outputs; use the columnar ('inputs') format")
    if len(values) == 1:
        return {"predictions": next(iter(values.values()))}
    rows = next(iter(sizes.values()))
    return {"predictions": [{k: v[i] for k, v in values.items()} for i in range(rows)]}


def metadata(manager: ModelManager, name: str, version: Optional[int]) -> Dict[str, Any]:
    servable = manager.get(name, version)
    defs = {k: MessageToDict(v, preserving_proto_field_name=True) for k, v in servable.signature_defs.items()}
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(servable.version)},
        "metadata": {"signature_def": {"@type": "type.googleapis.com/tensorflow.serving.SignatureDefMap", "signature_def": defs}},
    }


def classify_or_regress(manager: ModelManager, name: str, version: Optional[int], method: str, body: Dict[str, Any]) -> Dict[str, Any]:
    servable = manager.get(name, version)
    key = body.get("signature_name") or DEFAULT_SIGNATURE
    sig = servable.signature_defs.get(key)
    if sig is None:
        raise invalid(f'No signature was found with the name "{key}"')
    expected = f"tensorflow/serving/{method}"
    if sig.method_name != expected:
        kind = "classification" if method == "classify" else "regression"
        raise invalid(f"Expected {kind} signature method_name to be {expected}. Was: {sig.method_name}")
    raise ServingError(501, f"Floe's TensorFlow Serving does not serve :{method} (tf.Example signatures); use :predict")


def handler_for(manager: ModelManager):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "floe-tfserving"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def reply(self, code: int, body: Dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def answer(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                self.reply(200, self.route(method, path, raw))
            except ServingError as err:
                self.reply(err.code, {"error": err.message})
            except Exception as err:  # what TF Serving would call an internal error
                self.reply(500, {"error": str(err)})

        def route(self, method: str, path: str, raw: bytes) -> Dict[str, Any]:
            m = PREDICTION_PATH.fullmatch(path)
            if method == "POST" and m:
                name, version, verb = m.group(1), m.group(2), m.group(3).lower()
                try:
                    body = json.loads(raw or b"null")
                except ValueError as err:
                    raise invalid(f"JSON Parse error: {err}") from err
                if not isinstance(body, dict):
                    raise invalid("JSON Parse error: the request body must be a JSON object")
                v = int(version) if version else None
                if verb == "predict":
                    return predict(manager, name, v, body)
                return classify_or_regress(manager, name, v, verb, body)
            m = STATUS_PATH.fullmatch(path)
            if method == "GET" and m:
                name, version, meta = m.group(1), m.group(2), m.group(3)
                if not name:
                    raise invalid("Missing model name in request.")
                v = int(version) if version else None
                return metadata(manager, name, v) if meta else manager.status(name, v)
            raise invalid(f"Malformed request: {method} {path}")

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.answer("GET")

        def do_POST(self) -> None:  # noqa: N802
            self.answer("POST")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="TF Serving's REST API for one SavedModel (versions under a base path)")
    parser.add_argument("--model_name", default="default")
    parser.add_argument("--model_base_path", required=True)
    parser.add_argument("--rest_api_port", type=int, default=0, help="the REST port (0: TF Serving's 'no REST API')")
    parser.add_argument("--port", type=int, default=8500, help="TF Serving's gRPC port: accepted, not served")
    parser.add_argument("--rest_api_timeout_in_ms", type=int, default=30000)
    parser.add_argument("--file_system_poll_wait_seconds", type=float, default=1)
    parser.add_argument("--rest_api_num_threads", type=int, default=0)
    args, _unknown = parser.parse_known_args()
    if args.rest_api_port == 0:
        sys.exit("--rest_api_port is required: Floe's TensorFlow Serving serves the REST API only")
    manager = ModelManager(args.model_name, args.model_base_path, max(args.file_system_poll_wait_seconds, 0.2))
    # TF Serving opens its ports once the model's first version has loaded.
    manager.poll()
    while not manager.served:
        time.sleep(manager.poll_seconds)
        manager.poll()
    threading.Thread(target=manager.watch, daemon=True).start()
    server = ThreadingHTTPServer(("0.0.0.0", args.rest_api_port), handler_for(manager))
    server.daemon_threads = True
    print(f"Exporting HTTP/REST API at:localhost:{args.rest_api_port} ...", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
