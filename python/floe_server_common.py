"""What Floe's model servers for KServe's runtimes (floe_sklearnserver.py, floe_xgbserver.py, floe_lgbserver.py) share.

KServe's servers look for exactly one model file with their extensions directly in `--model_dir` (the folder the
storage initializer fills: a storageUri naming one file leaves that file there). None is KServe's ModelMissingError,
more than one a RuntimeError; either way the server exits and the InferenceService reports the load failure.

Multi-model serving, as KServe's sklearnserver and xgbserver do it: when `--model_dir` holds no model file (an
InferenceService without a storageUri that hosts TrainedModels), the server starts with no model and a repository
that loads `<model_dir>/<name>/` on `POST /v2/repository/models/<name>/load` (the folder KServe's model agent fills for
each TrainedModel) and drops it on `.../unload`.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Tuple

from kserve import Model, ModelServer
from kserve.errors import ModelMissingError
from kserve.model_repository import ModelRepository


def one_model_file(model_dir: str, extensions: Tuple[str, ...]) -> str:
    """The one file in `model_dir` whose name ends with one of `extensions` (or `model_dir` itself when it is such a file)."""
    if os.path.isfile(model_dir) and model_dir.endswith(extensions):
        return model_dir
    if not os.path.isdir(model_dir):
        raise ModelMissingError(model_dir)
    found = sorted(
        os.path.join(model_dir, name)
        for name in os.listdir(model_dir)
        if name.endswith(extensions) and os.path.isfile(os.path.join(model_dir, name))
    )
    if not found:
        raise ModelMissingError(model_dir)
    if len(found) > 1:
        raise RuntimeError(f"More than one model file is detected, only one is allowed within model_dir: {found}")
    return found[0]


class FolderRepository(ModelRepository):
    """Loads the model named `name` from `<models_dir>/<name>/` with `make(name, folder)`, on the repository API's load."""

    def __init__(self, models_dir: str, make: Callable[[str, str], Model]):
        super().__init__(models_dir)
        self.make = make

    async def load(self, name: str) -> bool:
        model = self.make(name, os.path.join(self.models_dir, name))
        if model.load():
            self.update(model)
        return model.ready


def serve(model: Model, models_dir: str, make: Callable[[str, str], Model]) -> None:
    """Serves `model` from `models_dir`; with no model file there, serves an empty repository of `models_dir` instead."""
    try:
        model.load()
    except ModelMissingError:
        logging.warning("no model file for model %s under %s: serving the model repository", model.name, models_dir)
        ModelServer(registered_models=FolderRepository(models_dir, make)).start([])
        return
    ModelServer().start([model])
