"""Optuna's side of bench/katib-optuna: the same problems, search spaces, budgets and seeds as Floe's algorithms.

Spawned by dist/bench/katib-optuna.js with a JSON request on stdin; writes one JSON answer to stdout and progress
lines to stderr. Modes:
  quality: for each problem, sampler and seed, a sequential ask/tell run of `trials` trials; best-so-far at each
           checkpoint.
  latency: on a study holding the first N trials of a given history (study.add_trials), the time of study.ask() plus
           the suggest_* calls, for each N.
Parameters come as Katib ParameterSpecs (double/int, min/max as strings, uniform or logUniform).
"""
import json
import os
import platform
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import optuna  # noqa: E402
from optuna.distributions import FloatDistribution, IntDistribution  # noqa: E402

from objectives import objective  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=UserWarning, module="optuna")


def _threads():
    # One thread, like Floe's Node side, and so that this process and the driver share the two cores evenly.
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


# Floe's algorithmName -> the Optuna sampler it is compared with (defaults otherwise).
SAMPLERS = {
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    # Optuna 5's bare TPESampler() runs multivariate for single-objective studies; Katib's tpe is per-parameter.
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=False),
    "multivariate-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True),
    "bayesianoptimization": lambda seed: optuna.samplers.GPSampler(seed=seed),
    "cmaes": lambda seed: optuna.samplers.CmaEsSampler(seed=seed),
}
SAMPLER_NAMES = {
    "random": "RandomSampler",
    "tpe": "TPESampler(multivariate=False)",
    "multivariate-tpe": "TPESampler(multivariate=True)",
    "bayesianoptimization": "GPSampler",
    "cmaes": "CmaEsSampler",
}


def progress(msg):
    sys.stderr.write(f"{msg}\n")
    sys.stderr.flush()


def distribution(spec):
    fs = spec["feasibleSpace"]
    log = fs.get("distribution", "uniform") == "logUniform"
    if spec["parameterType"] == "int":
        return IntDistribution(int(fs["min"]), int(fs["max"]), log=log)
    if spec["parameterType"] == "double":
        return FloatDistribution(float(fs["min"]), float(fs["max"]), log=log)
    raise ValueError(f"parameter {spec['name']}: parameterType {spec['parameterType']} is not in this bench")


def suggest_all(trial, specs):
    out = {}
    for spec in specs:
        d = distribution(spec)
        if isinstance(d, IntDistribution):
            out[spec["name"]] = trial.suggest_int(spec["name"], d.low, d.high, log=d.log)
        else:
            out[spec["name"]] = trial.suggest_float(spec["name"], d.low, d.high, log=d.log)
    return out


def quality(req):
    results = {}
    checkpoints = req["checkpoints"]
    for problem in req["problems"]:
        f = objective(problem["name"])
        specs = problem["parameters"]
        per_problem = results.setdefault(problem["name"], {})
        for algo in req["algorithms"]:
            runs = []
            for seed in req["seeds"]:
                study = optuna.create_study(direction="minimize", sampler=SAMPLERS[algo](seed))
                best = float("inf")
                best_at = {}
                t0 = time.perf_counter()
                for i in range(req["trials"]):
                    trial = study.ask()
                    params = suggest_all(trial, specs)
                    value = f(params)
                    study.tell(trial, value)
                    best = min(best, value)
                    if i + 1 in checkpoints:
                        best_at[str(i + 1)] = best
                seconds = time.perf_counter() - t0
                runs.append({"seed": seed, "bestAt": best_at, "seconds": round(seconds, 3)})
                progress(f"{problem['name']} {SAMPLER_NAMES[algo]} seed {seed}: best {best:.6g} ({seconds:.1f} s)")
            per_problem[algo] = {"sampler": SAMPLER_NAMES[algo], "runs": runs}
    return results


def latency(req):
    specs = req["parameters"]
    dists = {s["name"]: distribution(s) for s in specs}
    history = req["history"]
    frozen = []
    for h in history:
        params = {k: (int(float(v)) if isinstance(dists[k], IntDistribution) else float(v)) for k, v in h["params"].items()}
        frozen.append(optuna.trial.create_trial(params=params, distributions=dists, value=h["value"]))
    limit = req["limitSeconds"]
    out = {}
    for algo in req["algorithms"]:
        # Warm-up (imports, torch's first calls), not timed.
        warm = optuna.create_study(direction="minimize", sampler=SAMPLERS[algo](0))
        warm.add_trials(frozen[:20])
        suggest_all(warm.ask(), specs)
        per_algo = {}
        previous = None
        for n in req["sizes"]:
            if previous is not None and previous[1] * (n / previous[0]) ** 3 > 5 * limit:
                predicted = previous[1] * (n / previous[0]) ** 3
                per_algo[str(n)] = {"skipped": f"predicted {predicted:.0f} s a suggestion (cubic growth from {previous[0]} trials)"}
                progress(f"latency {SAMPLER_NAMES[algo]} at {n} trials: skipped (predicted {predicted:.0f} s)")
                continue
            times = []
            spent = 0.0
            for rep in range(req["reps"]):
                study = optuna.create_study(direction="minimize", sampler=SAMPLERS[algo](rep + 1))
                study.add_trials(frozen[:n])
                t0 = time.perf_counter()
                suggest_all(study.ask(), specs)
                dt = time.perf_counter() - t0
                times.append(dt * 1000)
                spent += dt
                if spent > limit:
                    break
            med = statistics.median(times)
            entry = {"medianMs": round(med, 3), "runsMs": [round(t, 3) for t in times]}
            if med > limit * 1000:
                entry["overLimit"] = f"a suggestion took over {limit} s"
            per_algo[str(n)] = entry
            previous = (n, med / 1000)
            progress(f"latency {SAMPLER_NAMES[algo]} at {n} trials: median {med:.1f} ms of {len(times)}")
        out[algo] = {"sampler": SAMPLER_NAMES[algo], "sizes": per_algo}
    return out


def versions():
    import importlib.metadata as md

    v = {"python": platform.python_version()}
    for pkg in ["optuna", "numpy", "scipy", "torch", "cmaes", "xgboost-cpu", "scikit-learn"]:
        try:
            v[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            v[pkg] = None
    return v


def main():
    _threads()
    req = json.load(sys.stdin)
    unknown = [a for a in req["algorithms"] if a not in SAMPLERS]
    if unknown:
        raise SystemExit(f"no Optuna sampler paired with {unknown}")
    answer = {"versions": versions(), "samplers": {a: SAMPLER_NAMES[a] for a in req["algorithms"]}}
    if req["mode"] == "quality":
        answer["quality"] = quality(req)
    elif req["mode"] == "latency":
        answer["latency"] = latency(req)
    else:
        raise SystemExit(f"unknown mode {req['mode']!r}")
    sys.stdout.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
