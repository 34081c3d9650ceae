"""What Floe's model servers for KServe's runtimes (floe_sklearnserver.py, floe_xgbserver.py, floe_lgbserver.py) share.

KServe's servers look for exactly one model file with their extensions directly in `--model_dir` (the folder the
storage initializer fills: a storageUri naming one file leaves that file there). None is KServe's ModelMissingError,
more than one a RuntimeError; either way the server exits and the InferenceService reports the load failure.
"""

from __future__ import annotations

import os
from typing import Tuple

from kserve.errors import ModelMissingError


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
