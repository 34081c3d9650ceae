"""The problems of bench/katib-optuna: Branin, Hartmann6 and an XGBoost model's validation RMSE.

Imported by optuna_bench.py (Optuna's side) and run as a worker by the Node driver (Floe's side), so both sides
evaluate the same functions. Worker protocol: one JSON object a line on stdin, one answer a line on stdout:
  {"problem": "xgboost-diabetes", "params": {"eta": "0.1", ...}}  ->  {"value": 55.1}   (or {"error": "..."})
Parameter values may be numbers or Katib's strings.
"""
import json
import math
import sys

# Hartmann6: https://www.sfu.ca/~ssurjano/hart6.html
_H6_ALPHA = [1.0, 1.2, 3.0, 3.2]
_H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
_H6_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]


def branin(p):
    x1, x2 = float(p["x1"]), float(p["x2"])
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def hartmann6(p):
    x = [float(p[f"x{i + 1}"]) for i in range(6)]
    total = 0.0
    for alpha, a, pp in zip(_H6_ALPHA, _H6_A, _H6_P):
        total += alpha * math.exp(-sum(a[j] * (x[j] - pp[j]) ** 2 for j in range(6)))
    return -total


class XgboostDiabetes:
    """XGBoost regressor on scikit-learn's bundled diabetes data (442 rows, no download): RMSE on a fixed 142-row
    validation split. 50 boosting rounds, one thread, fixed seed: deterministic, ~8-35 ms an evaluation."""

    def __init__(self):
        import numpy as np
        import xgboost as xgb
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        order = np.random.default_rng(0).permutation(len(y))
        train, valid = order[:300], order[300:]
        self._np = np
        self._xgb = xgb
        self._dtrain = xgb.DMatrix(X[train], label=y[train], nthread=1)
        self._dvalid = xgb.DMatrix(X[valid], nthread=1)
        self._yvalid = y[valid]

    def __call__(self, p):
        params = {
            "objective": "reg:squarederror",
            "tree_method": "hist",
            "max_bin": 64,
            "nthread": 1,
            "seed": 0,
            "eta": float(p["eta"]),
            "max_depth": int(round(float(p["max_depth"]))),
            "min_child_weight": float(p["min_child_weight"]),
            "lambda": float(p["lambda"]),
            "subsample": float(p["subsample"]),
        }
        booster = self._xgb.train(params, self._dtrain, num_boost_round=50)
        pred = booster.predict(self._dvalid)
        return float(self._np.sqrt(self._np.mean((pred - self._yvalid) ** 2)))


_cache = {}


def objective(name):
    """The objective function of a problem, by name (the XGBoost data are loaded once, on first use)."""
    if name == "branin":
        return branin
    if name == "hartmann6":
        return hartmann6
    if name == "xgboost-diabetes":
        if name not in _cache:
            _cache[name] = XgboostDiabetes()
        return _cache[name]
    raise KeyError(f"unknown problem {name!r}")


def serve():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            answer = {"value": objective(req["problem"])(req["params"])}
        except Exception as exc:  # the driver reports it; the worker keeps serving
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
