"""Floe's scikit-learn model server for KServe's `kserve-sklearnserver` runtime, on the kserve SDK.

KServe's own sklearnserver is not published on PyPI, so Floe serves scikit-learn models with this module instead, with
the same command line and the same answers: a `kserve.Model` that loads the one `*.joblib` / `*.pkl` / `*.pickle` file
in `--model_dir` and answers the V1 protocol (`{"instances": [...]}` -> `{"predictions": [...]}`) and the Open
Inference Protocol V2 (the first input tensor is the feature matrix, or the whole request as a table with the `pd`
content type; the answer is one output tensor `output-0`). `PREDICT_PROBA=true` in the environment calls
`predict_proba`. Whatever the estimator refuses is KServe's InferenceError: a 500 with `{"error": <its message>}`, as
KServe's sklearnserver answers; the SDK itself answers an unknown model (404) and a body it cannot parse.

    python floe_sklearnserver.py --model_name iris --model_dir /mnt/models --http_port 8080
"""

from __future__ import annotations

import argparse
import os
import pickle
from typing import Any, Dict, Optional, Union

import joblib
from kserve import InferRequest, InferResponse, Model, model_server
from kserve.errors import InferenceError
from kserve.utils.utils import get_predict_input, get_predict_response

from floe_server_common import one_model_file, serve

MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle")


class SKLearnModel(Model):
    """One scikit-learn estimator behind KServe's V1 and V2 REST endpoints."""

    def __init__(self, name: str, model_dir: str, method: Optional[str] = None):
        super().__init__(name)
        self.model_dir = model_dir
        self.method = method
        self.estimator: Any = None

    def load(self) -> bool:
        path = one_model_file(self.model_dir, MODEL_EXTENSIONS)
        if path.endswith(".joblib"):
            self.estimator = joblib.load(path)
        else:
            with open(path, "rb") as f:
                self.estimator = pickle.load(f)
        self.ready = True
        return self.ready

    def _method(self) -> str:
        if self.method:
            return self.method
        proba = os.environ.get("PREDICT_PROBA", "false").lower() == "true"
        return "predict_proba" if proba and hasattr(self.estimator, "predict_proba") else "predict"

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        try:
            result = getattr(self.estimator, self._method())(get_predict_input(payload))
            return get_predict_response(payload, result, self.name)
        except Exception as err:
            raise InferenceError(str(err)) from err


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the folder holding one .joblib, .pkl or .pickle file")
    parser.add_argument("--method", default=None, choices=["predict", "predict_proba"], help="what an inference calls (else PREDICT_PROBA decides)")
    args, _ = parser.parse_known_args()
    model = SKLearnModel(args.model_name, args.model_dir, args.method)
    serve(model, args.model_dir, lambda name, folder: SKLearnModel(name, folder, args.method))


if __name__ == "__main__":
    main()
