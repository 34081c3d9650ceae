"""Train two small iris classifiers and save them the way MLServer's runtimes load them.

    python train_models.py OUT_DIR

writes
    OUT_DIR/sklearn/model.joblib   LogisticRegression, joblib.dump   (mlserver_sklearn.SKLearnModel)
    OUT_DIR/xgboost/model.json     XGBClassifier.save_model, JSON    (mlserver_xgboost.XGBoostModel)

and prints, for each, the prediction for the first iris row (5.1, 3.5, 1.4, 0.2), so that a server's answer can be
compared with it. Each folder is what a KServe storage initializer would leave in /mnt/models. No model-settings.json
is written: the server is configured by MLSERVER_* environment variables, as KServe's kserve-mlserver runtime does.

Standard library, scikit-learn and xgboost only (the mlserver environment: python/envs/mlserver).
"""

import json
import os
import sys

import joblib
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def main(out_dir):
    x, y = load_iris(return_X_y=True)
    x = x.astype("float32")
    first = x[:1]

    sk_dir = os.path.join(out_dir, "sklearn")
    os.makedirs(sk_dir, exist_ok=True)
    sk = LogisticRegression(max_iter=1000).fit(x, y)
    joblib.dump(sk, os.path.join(sk_dir, "model.joblib"))

    xgb_dir = os.path.join(out_dir, "xgboost")
    os.makedirs(xgb_dir, exist_ok=True)
    # n_jobs=1: predictable on a small machine; the saved model does not keep it.
    xg = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(x, y)
    # mlserver-xgboost looks for model.bst, model.json, model.ubj (in that order) in the folder. The .json suffix
    # selects XGBoost's JSON format; .ubj, UBJSON; .bst is the legacy binary name (xgboost 3 writes UBJSON
    # under any other suffix).
    xg.save_model(os.path.join(xgb_dir, "model.json"))

    print(json.dumps({
        "input": first.tolist(),
        "sklearn": {"path": os.path.join(sk_dir, "model.joblib"), "predict": sk.predict(first).tolist(),
                    "train_accuracy": round(float(sk.score(x, y)), 4)},
        "xgboost": {"path": os.path.join(xgb_dir, "model.json"), "predict": xg.predict(first).tolist(),
                    "train_accuracy": round(float(xg.score(x, y)), 4)},
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python train_models.py OUT_DIR")
    main(sys.argv[1])
