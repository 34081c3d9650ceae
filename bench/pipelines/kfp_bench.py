"""The kfp side of bench/pipelines-bench.ts: the benchmark pipelines, compiled, and kfp.local running them.

Usage:
  python kfp_bench.py compile OUT_DIR STEPS FANOUT
      Writes OUT_DIR/linear.yaml (STEPS trivial steps, each taking the previous output), OUT_DIR/parallel.yaml
      (a ParallelFor over FANOUT trivial tasks) and OUT_DIR/independent.yaml (FANOUT independent tasks in one DAG:
      the fallback where a runner cannot run ParallelFor). Prints {"linear": path, ...} as JSON.
  python kfp_bench.py local YAML WORK_DIR
      Runs the compiled YAML once with kfp.local's SubprocessRunner(use_venv=False), caching off, loading it with
      kfp.components.load_component_from_file and calling the loaded pipeline. Prints one JSON line:
      {"ok": true, "wall_ms": …} or {"ok": false, "error_type": …, "error": …, "wall_ms": …}.

Each `local` call is its own process so that every run starts from the same state; the time measured is the call
of the pipeline (submit to finished), the process's start and kfp's import are reported apart (init_ms).
"""
import json
import os
import sys
import time
import traceback

T0 = time.perf_counter()

from kfp import compiler, components, dsl, local  # noqa: E402

IMPORT_MS = (time.perf_counter() - T0) * 1000


@dsl.component(base_image='python:3.11')
def step(x: int) -> int:
    return x + 1


def compile_all(out_dir: str, steps: int, fanout: int) -> dict:
    os.makedirs(out_dir, exist_ok=True)

    @dsl.pipeline(name='bench-linear')
    def linear(start: int = 0):
        t = step(x=start)
        for _ in range(steps - 1):
            t = step(x=t.output)

    @dsl.pipeline(name='bench-parallel')
    def parallel():
        with dsl.ParallelFor(list(range(fanout))) as i:
            step(x=i)

    @dsl.pipeline(name='bench-independent')
    def independent():
        for i in range(fanout):
            step(x=i)

    out = {}
    for name, p in (('linear', linear), ('parallel', parallel), ('independent', independent)):
        path = os.path.join(out_dir, f'{name}.yaml')
        compiler.Compiler().compile(p, path)
        out[name] = path
    return out


def run_local(yaml_path: str, work_dir: str) -> dict:
    os.makedirs(work_dir, exist_ok=True)
    started = time.perf_counter()
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=os.path.join(work_dir, 'root'),
               workspace_root=os.path.join(work_dir, 'workspace'), raise_on_error=True, enable_caching=False)
    pipeline = components.load_component_from_file(yaml_path)
    init_ms = IMPORT_MS + (time.perf_counter() - started) * 1000
    t = time.perf_counter()
    try:
        pipeline()
    except BaseException as e:  # kfp.local raises RuntimeError for a failed task, others for what it cannot run
        return {'ok': False, 'error_type': type(e).__name__, 'error': str(e), 'traceback': traceback.format_exc()[-2000:],
                'wall_ms': (time.perf_counter() - t) * 1000, 'init_ms': init_ms}
    return {'ok': True, 'wall_ms': (time.perf_counter() - t) * 1000, 'init_ms': init_ms}


def main():
    if sys.argv[1] == 'compile':
        result = compile_all(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == 'local':
        result = run_local(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f'unknown command {sys.argv[1]}')
    sys.stdout.flush()
    print(json.dumps(result))


main()
