"""A custom KServe predictor on the kserve SDK: an iris classifier that also answers class names.

Run by an InferenceService's `spec.predictor.containers` (see README.md); KServe's `--model_name`, and Floe's
`--http_port` / `--grpc_port` for the replica's own loopback ports, arrive as arguments; `--model_dir` is where the
model folder is mounted (`env STORAGE_URI` in the manifest).
"""

import argparse

import joblib
import numpy as np
from kserve import InferRequest, Model, ModelServer, model_server
from kserve.errors import InvalidInput
from kserve.utils.utils import get_predict_input, get_predict_response

NAMES = ["setosa", "versicolor", "virginica"]


class IrisNames(Model):
    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.estimator = None

    def load(self) -> bool:
        self.estimator = joblib.load(f"{self.model_dir}/model.joblib")
        self.ready = True
        return self.ready

    async def predict(self, payload, headers=None, response_headers=None):
        try:
            rows = np.asarray(get_predict_input(payload), dtype=np.float64).reshape(-1, 4)
        except ValueError as err:
            raise InvalidInput(f"expected rows of 4 measurements: {err}") from err
        classes = self.estimator.predict(rows)
        if isinstance(payload, InferRequest):
            return get_predict_response(payload, classes, self.name)
        return {"predictions": classes.tolist(), "names": [NAMES[c] for c in classes]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", default="/mnt/models")
    args, _ = parser.parse_known_args()
    model = IrisNames(args.model_name, args.model_dir)
    model.load()
    ModelServer().start([model])
