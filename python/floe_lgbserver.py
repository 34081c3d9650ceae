"""Floe's LightGBM model server for KServe's `kserve-lgbserver` runtime, on the kserve SDK.

KServe's lgbserver is not published on PyPI; this module takes its command line (`--model_name`, `--model_dir`,
`--nthread`, and the kserve SDK's own flags) and gives its answers: it loads the one `.bst` booster file in
`--model_dir` and answers V1 (rows as lists, or as `{feature: value}` objects named like the booster's features) and
the Open Inference Protocol V2 (the first input tensor, or the request as a table with the `pd` content type; the
answer is `output-0`). Whatever LightGBM refuses is KServe's InferenceError: 500 with `{"error": …}`.

    python floe_lgbserver.py --model_name iris --model_dir /mnt/models --http_port 8080 --nthread 1
"""

from __future__ import annotations

import argparse
from typing import Dict, Optional, Union

import lightgbm as lgb
from kserve import InferRequest, InferResponse, Model, model_server
from kserve.errors import InferenceError
from kserve.utils.utils import get_predict_input, get_predict_response

from floe_server_common import one_model_file, serve


class LightGBMModel(Model):
    """One LightGBM booster behind KServe's V1 and V2 REST endpoints."""

    def __init__(self, name: str, model_dir: str, nthread: int):
        super().__init__(name)
        self.model_dir = model_dir
        self.nthread = nthread
        self.booster: Optional[lgb.Booster] = None

    def load(self) -> bool:
        path = one_model_file(self.model_dir, (".bst",))
        self.booster = lgb.Booster(params={"nthread": self.nthread}, model_file=path)
        self.ready = True
        return self.ready

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        try:
            rows = get_predict_input(payload, columns=self.booster.feature_name())
            return get_predict_response(payload, self.booster.predict(rows), self.name)
        except Exception as err:
            raise InferenceError(str(err)) from err


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the folder holding one .bst booster file")
    parser.add_argument("--nthread", default=1, type=int, help="threads LightGBM uses per prediction")
    args, _ = parser.parse_known_args()
    model = LightGBMModel(args.model_name, args.model_dir, args.nthread)
    serve(model, args.model_dir, lambda name, folder: LightGBMModel(name, folder, args.nthread))


if __name__ == "__main__":
    main()
