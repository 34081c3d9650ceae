"""Floe's XGBoost model server for KServe's `kserve-xgbserver` runtime, on the kserve SDK.

KServe's xgbserver is not published on PyPI; this module takes its command line (`--model_name`, `--model_dir`,
`--nthread`, and the kserve SDK's own flags) and gives its answers: it loads the one booster file (`.bst`, `.json` or
`.ubj`) in `--model_dir` and answers V1 (`{"instances": [[...], ...]}` -> `{"predictions": [...]}`) and the Open
Inference Protocol V2 (the first input tensor, or the request as a table with the `pd` content type, becomes a
DMatrix; the answer is `output-0`). Whatever XGBoost refuses is KServe's InferenceError: 500 with `{"error": …}`.

    python floe_xgbserver.py --model_name flowers --model_dir /mnt/models --http_port 8080 --nthread 1
"""

from __future__ import annotations

import argparse
from typing import Dict, Optional, Union

import xgboost as xgb
from kserve import InferRequest, InferResponse, Model, model_server
from kserve.errors import InferenceError
from kserve.utils.utils import get_predict_input, get_predict_response

from floe_server_common import one_model_file, serve

BOOSTER_EXTENSIONS = (".bst", ".json", ".ubj")


class XGBoostModel(Model):
    """One XGBoost booster behind KServe's V1 and V2 REST endpoints."""

    def __init__(self, name: str, model_dir: str, nthread: int):
        super().__init__(name)
        self.model_dir = model_dir
        self.nthread = nthread
        self.booster: Optional[xgb.Booster] = None

    def load(self) -> bool:
        path = one_model_file(self.model_dir, BOOSTER_EXTENSIONS)
        with open(path, "rb") as f:
            # From bytes, so the file's format is read from its content whatever its name says.
            self.booster = xgb.Booster(params={"nthread": self.nthread}, model_file=bytearray(f.read()))
        self.ready = True
        return self.ready

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        try:
            matrix = xgb.DMatrix(get_predict_input(payload), nthread=self.nthread)
            return get_predict_response(payload, self.booster.predict(matrix), self.name)
        except Exception as err:
            raise InferenceError(str(err)) from err


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the folder holding one .bst, .json or .ubj booster file")
    parser.add_argument("--nthread", default=1, type=int, help="threads XGBoost uses per prediction")
    args, _ = parser.parse_known_args()
    model = XGBoostModel(args.model_name, args.model_dir, args.nthread)
    serve(model, args.model_dir, lambda name, folder: XGBoostModel(name, folder, args.nthread))


if __name__ == "__main__":
    main()
