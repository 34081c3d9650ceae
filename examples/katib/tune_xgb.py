"""One Katib trial: XGBoost regression on scikit-learn's diabetes data (shipped with the package, no download).

Trains with the hyperparameters given on the command line, then prints the validation error in Katib's
`name=value` line format, which the StdOut metrics collector reads:

    rmse=53.9
    mae=43.1

With no arguments it trains with XGBoost's defaults (the baseline a tuned model should beat).
"""
import argparse

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--learning-rate", type=float, default=0.3)
parser.add_argument("--max-depth", type=int, default=6)
parser.add_argument("--min-child-weight", type=float, default=1.0)
parser.add_argument("--subsample", type=float, default=1.0)
parser.add_argument("--n-estimators", type=int, default=100)
args = parser.parse_args()

X, y = load_diabetes(return_X_y=True)
X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=0)
model = xgb.XGBRegressor(
    learning_rate=args.learning_rate,
    max_depth=args.max_depth,
    min_child_weight=args.min_child_weight,
    subsample=args.subsample,
    n_estimators=args.n_estimators,
    random_state=0,
    n_jobs=1,
)
model.fit(X_train, y_train)
pred = model.predict(X_valid)
print(f"rmse={float(np.sqrt(np.mean((pred - y_valid) ** 2))):.6f}")
print(f"mae={float(np.mean(np.abs(pred - y_valid))):.6f}")
