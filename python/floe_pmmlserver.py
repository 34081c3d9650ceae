"""Floe's PMML server for KServe's `kserve-pmmlserver` runtime: pypmml (PMML4S on the machine's JVM) on the kserve SDK.

KServe's pmmlserver is not published on PyPI; this module takes its command line (`--model_name`, `--model_dir`, and
the kserve SDK's flags) and gives its answers: it loads the one `.pmml` file in `--model_dir` with pypmml and answers
V1 (`{"instances": [[...], ...]}` -> `{"predictions": [{<output field>: value, ...}, ...]}`, each row's values taken
in the model's input order, or named in an object) and V2 (the input tensors, or a table with the `pd` content type,
become a DataFrame with the model's input names; the answer is one output per output field). Whatever PMML4S refuses
is KServe's InferenceError: 500 with `{"error": …}`.

    python floe_pmmlserver.py --model_name iris --model_dir /mnt/models --http_port 8080
"""

from __future__ import annotations

import argparse
from typing import Dict, Optional, Union

import pandas as pd
from kserve import InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.errors import InferenceError
from kserve.utils.utils import get_predict_input, get_predict_response
from pypmml import Model as PmmlModel

from floe_server_common import one_model_file


class PMMLModel(Model):
    """One PMML model behind KServe's V1 and V2 REST endpoints."""

    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.model: Optional[PmmlModel] = None

    def load(self) -> bool:
        self.model = PmmlModel.fromFile(one_model_file(self.model_dir, (".pmml",)))
        self.ready = True
        return self.ready

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        try:
            names = list(self.model.inputNames)
            if isinstance(payload, InferRequest):
                frame = get_predict_input(payload, columns=names)
                if not isinstance(frame, pd.DataFrame):
                    frame = pd.DataFrame(frame, columns=names)
                return get_predict_response(payload, self.model.predict(frame), self.name)
            rows = get_predict_input(payload)
            # Plain Python values for py4j (it would send numpy scalars by their repr), and plain dicts back.
            rows = rows.tolist() if hasattr(rows, "tolist") else rows
            records = [row if isinstance(row, dict) else dict(zip(names, row)) for row in rows]
            return {"predictions": [dict(self.model.predict(record).items()) for record in records]}
        except Exception as err:
            raise InferenceError(str(err)) from err


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the folder holding one .pmml file")
    args, _ = parser.parse_known_args()
    model = PMMLModel(args.model_name, args.model_dir)
    model.load()
    ModelServer().start([model])


if __name__ == "__main__":
    main()
