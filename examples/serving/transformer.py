"""A KServe transformer on the kserve SDK: measurements arrive in millimetres, the iris model wants centimetres.

Run by an InferenceService's `spec.transformer.containers` (see README.md): KServe's controller (and Floe's) adds
`--model_name` and `--predictor_host`; `preprocess` rewrites each request before the SDK sends it on to the predictor.
"""

import argparse

from kserve import Model, ModelServer, model_server


class MillimetresToCentimetres(Model):
    def __init__(self, name: str):
        super().__init__(name)
        self.ready = True

    async def preprocess(self, payload, headers=None):
        return {"instances": [[value / 10 for value in row] for row in payload["instances"]]}


if __name__ == "__main__":
    args, _ = argparse.ArgumentParser(parents=[model_server.parser]).parse_known_args()
    ModelServer().start([MillimetresToCentimetres(args.model_name)])
