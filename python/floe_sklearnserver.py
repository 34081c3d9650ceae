"""Floe's scikit-learn model server for KServe's `kserve-sklearnserver` runtime, on the kserve SDK.

KServe's own sklearnserver is not published on PyPI, so Floe serves scikit-learn models with this module instead: a
`kserve.Model` that loads the one `model.joblib` / `model.pkl` / `model.pickle` in `--model_dir` and answers the V1
protocol (`{"instances": [...]}` -> `{"predictions": [...]}`) and the Open Inference Protocol V2 (the first input
tensor is the feature matrix; the answer is one output tensor `output-0`). Bad input (a shape that does not match the
data, a datatype the data does not fit, features the model does not take) is the protocol's 400.

    python floe_sklearnserver.py --model_name iris --model_dir /mnt/models --http_port 8080
"""

from __future__ import annotations

import argparse
import os
import pickle
from typing import Any, Dict, Optional, Union

import joblib
import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.errors import InvalidInput
from kserve.utils.utils import get_predict_input, get_predict_response

MODEL_FILES = ("model.joblib", "model.pkl", "model.pickle")


def find_model_file(model_dir: str) -> str:
    """The model file in `model_dir` (or `model_dir` itself when it names a file)."""
    if os.path.isfile(model_dir):
        return model_dir
    found = [name for name in MODEL_FILES if os.path.isfile(os.path.join(model_dir, name))]
    if not found:
        raise RuntimeError(f"no model file in {model_dir}: expected one of {', '.join(MODEL_FILES)}")
    if len(found) > 1:
        raise RuntimeError(f"more than one model file in {model_dir}: {', '.join(found)}")
    return os.path.join(model_dir, found[0])


class SKLearnModel(Model):
    """One scikit-learn estimator behind KServe's V1 and V2 REST endpoints."""

    def __init__(self, name: str, model_dir: str, method: str = "predict"):
        super().__init__(name)
        self.model_dir = model_dir
        self.method = method
        self.estimator: Any = None

    def load(self) -> bool:
        path = find_model_file(self.model_dir)
        if path.endswith(".joblib"):
            self.estimator = joblib.load(path)
        else:
            with open(path, "rb") as f:
                self.estimator = pickle.load(f)
        if not hasattr(self.estimator, self.method):
            raise RuntimeError(f"{type(self.estimator).__name__} has no method {self.method}")
        self.ready = True
        return self.ready

    def _features(self, payload: Union[Dict, InferRequest]) -> np.ndarray:
        """The feature matrix of a V1 or V2 request; anything that is not one is the caller's error (400)."""
        if isinstance(payload, dict):
            instances = payload.get("instances", payload.get("inputs"))
            if not isinstance(instances, list):
                raise InvalidInput('Expected "instances" to be a list')
        try:
            features = get_predict_input(payload)
            features = np.asarray(features)
        except InvalidInput:
            raise
        except (ValueError, TypeError) as err:
            raise InvalidInput(f"the input is not a feature matrix: {err}") from err
        if features.ndim == 1:
            features = features.reshape(1, -1)
        if features.ndim != 2:
            raise InvalidInput(f"expected a 2-D feature matrix (rows x features), got shape {list(features.shape)}")
        if features.dtype.kind not in "biuf":
            raise InvalidInput(f"expected numbers, got {features.dtype} data")
        expected = getattr(self.estimator, "n_features_in_", None)
        if expected is not None and features.shape[1] != expected:
            raise InvalidInput(f"the model takes {expected} features per row, got {features.shape[1]}")
        return features

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        features = self._features(payload)
        try:
            result = getattr(self.estimator, self.method)(features)
        except ValueError as err:
            raise InvalidInput(str(err)) from err
        if isinstance(payload, InferRequest):
            return get_predict_response(payload, np.asarray(result), self.name)
        return {"predictions": np.asarray(result).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the folder holding model.joblib, model.pkl or model.pickle")
    parser.add_argument("--method", default="predict", choices=["predict", "predict_proba"], help="what an inference calls")
    args, _ = parser.parse_known_args()
    model = SKLearnModel(args.model_name, args.model_dir, args.method)
    model.load()
    ModelServer().start([model])


if __name__ == "__main__":
    main()
