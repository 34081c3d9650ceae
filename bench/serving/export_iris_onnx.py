"""Exports the iris LogisticRegression saved by serving-bench (model.joblib) to ONNX with skl2onnx.

Usage: python export_iris_onnx.py MODEL_JOBLIB OUT_ONNX. One float input "input" [batch, 4]; outputs "label" (int64
[batch]) and "probabilities" (float [batch, 3]) as plain tensors (zipmap off: a ZipMap is a sequence of maps, which
the V2 protocol cannot carry). Checks the export predicts what the scikit-learn model predicts on iris.
"""
import sys

import joblib
import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris

model = joblib.load(sys.argv[1])
onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, 4]))], options={id(model): {"zipmap": False}}, target_opset=17)
with open(sys.argv[2], "wb") as f:
    f.write(onx.SerializeToString())
X, _ = load_iris(return_X_y=True)
from onnx.reference import ReferenceEvaluator  # noqa: E402

label, proba = ReferenceEvaluator(onx).run(None, {"input": X.astype(np.float32)})
if not (label == model.predict(X)).all() or not np.allclose(proba, model.predict_proba(X), atol=1e-4):
    sys.exit("the ONNX export does not predict what the scikit-learn model predicts")
