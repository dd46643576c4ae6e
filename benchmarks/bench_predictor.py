"""keel's model package and Predictor against bare ONNX Runtime, bare LightGBM and MLflow.

The reference model (issue 7): LightGBM, 100 trees, 31 leaves, on scikit-learn's
breast_cancer (30 numeric features) behind keel's default feature pipeline (median
imputation, standard scaling, missing indicators). Measured in one run:

1. ``predict_one`` through the package's Predictor (validation + features + model) p50/p99,
   bare ``InferenceSession.run`` of the same graph on a prebuilt row (1 intra-op thread,
   probabilities only), and bare ``booster.predict`` of one prebuilt feature row.
   Targets: keel p50 <= 20 µs and <= 2.5x bare ONNX Runtime.
2. ``predict_proba`` on 1,000,000 rows (from the raw frame: features included) vs
   ``booster.predict`` on the precomputed feature matrix. Target: >= 0.9x its throughput.
3. Package load: ``load_package(path).predictor()``. Target: <= 150 ms.
4. Register: ``write_package`` (hashes, ONNX export with its parity check) +
   ``Registry.register`` vs MLflow's ``mlflow.lightgbm.log_model`` + ``register_model`` of
   the same booster, MLflow in ``benchmarks/.venv-mlflow`` (a subprocess; never imported
   here). Targets: <= 1 s and >= 10x faster.

Every figure is a median over repetitions; OMP_WAIT_POLICY=PASSIVE for every process.
Results: ``benchmarks/results/predictor-<date>.json``; a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from _harness import (
    competitor_python,
    fmt_duration,
    fmt_ratio,
    machine_info,
    run_json,
    verdict,
    write_results,
)

FULL = {
    "single_calls": 20_000,
    "batch_rows": 1_000_000,
    "batch_reps": 5,
    "load_reps": 7,
    "register_reps": 5,
    "mlflow_reps": 3,
}
QUICK = {
    "single_calls": 2_000,
    "batch_rows": 100_000,
    "batch_reps": 2,
    "load_reps": 3,
    "register_reps": 2,
    "mlflow_reps": 1,
}
MLFLOW_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "OMP_WAIT_POLICY": "PASSIVE",
}

# The MLflow side, run by .venv-mlflow's interpreter: log + register the same booster.
MLFLOW_SIDE = r"""
import json, sys, time, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
import lightgbm, mlflow, numpy as np
model_file, root, reps, sample = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
booster = lightgbm.Booster(model_file=model_file)
example = np.load(sample)
mlflow.set_tracking_uri(f"sqlite:///{root}/mlflow.db")
# Artifacts into the temp dir too (MLflow's default is ./mlruns in the working directory).
experiment = mlflow.create_experiment("bench", artifact_location=f"file://{root}/artifacts")
mlflow.set_experiment(experiment_id=experiment)
times = []
for rep in range(reps):
    t0 = time.perf_counter()
    with mlflow.start_run():
        info = mlflow.lightgbm.log_model(booster, name="model", input_example=example)
    mlflow.register_model(info.model_uri, "reference")
    times.append(time.perf_counter() - t0)
print(json.dumps({"register_s": times, "mlflow": mlflow.__version__}))
"""


def _log(msg: str) -> None:
    print(f"[bench_predictor] {msg}", file=sys.stderr, flush=True)


def reference_model():
    """(Trained, train frame, holdout frame, holdout target, fitted LGBMClassifier)."""
    import lightgbm
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    from keel.data import infer_schema
    from keel.features import FeaturePipeline
    from keel.models import Trained

    data = load_breast_cancer(as_frame=True)
    X, y = data.frame.drop(columns=["target"]), data.frame["target"]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    schema = infer_schema(X_train)
    features = FeaturePipeline(schema=schema).fit(X_train, y_train)
    model = lightgbm.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, n_jobs=2)
    model.fit(features.transform(X_train), y_train.to_numpy())
    trained = Trained("binary", [0, 1], schema, features, [("lightgbm", {}, model)], None)
    return trained, X_train, X_test, y_test, model


def latencies(call, args, n: int) -> list[float]:
    """Seconds per call, each timed alone; args cycled."""
    for a in args[:200]:
        call(a)
    out = []
    for i in range(n):
        a = args[i % len(args)]
        t0 = time.perf_counter_ns()
        call(a)
        out.append((time.perf_counter_ns() - t0) / 1e9)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def single_rows(package_path: Path, trained, X_test, model, cfg) -> dict:
    import numpy as np

    from keel.models import load_package
    from keel.models._onnx_parity import open_session

    package = load_package(package_path)
    predictor = package.predictor()
    assert predictor.backend == "onnx" and predictor.scope == "pipeline", predictor.reason
    records = X_test.to_dict("records")
    session = open_session(package.onnx_graph(), threads=1)
    rows = [np.asarray(list(r.values()), dtype=np.float64)[None] for r in records]
    features = [trained.features.transform_one(r)[None] for r in records]
    n = cfg["single_calls"]
    keel = latencies(predictor.predict_one, records, n)
    ort = latencies(lambda row: session.run(["probabilities"], {"input": row}), rows, n)
    booster = latencies(model.booster_.predict, features, max(n // 5, 500))
    return {
        "keel_predict_one_p50_s": pct(keel, 0.5),
        "keel_predict_one_p99_s": pct(keel, 0.99),
        "ort_run_p50_s": pct(ort, 0.5),
        "ort_run_p99_s": pct(ort, 0.99),
        "booster_one_p50_s": pct(booster, 0.5),
        "booster_one_p99_s": pct(booster, 0.99),
        "ratio_keel_to_ort": pct(keel, 0.5) / pct(ort, 0.5),
    }


def batch(package_path: Path, trained, X_train, model, cfg) -> dict:
    import numpy as np

    from keel.models import load_package

    predictor = load_package(package_path).predictor()
    frame = X_train.sample(cfg["batch_rows"], replace=True, random_state=0).reset_index(drop=True)
    matrix = trained.features.transform(frame)
    keel, booster = [], []
    for _ in range(cfg["batch_reps"]):  # interleaved, so load on the box hits both alike
        keel.append(_timed(lambda: predictor.predict_proba(frame)))
        booster.append(_timed(lambda: model.booster_.predict(matrix)))
    diff = np.abs(predictor.predict_proba(frame)[:, 1] - model.booster_.predict(matrix)).max()
    wall_k = statistics.median(w for w, _ in keel)
    wall_b = statistics.median(w for w, _ in booster)
    return {
        "rows": cfg["batch_rows"],
        "keel_wall_s": wall_k,
        "keel_cpu_s": statistics.median(c for _, c in keel),
        "booster_wall_s": wall_b,
        "booster_cpu_s": statistics.median(c for _, c in booster),
        "keel_rows_per_s": cfg["batch_rows"] / wall_k,
        "booster_rows_per_s": cfg["batch_rows"] / wall_b,
        "throughput_ratio": wall_b / wall_k,
        "max_abs_diff": float(diff),
        "reps": {"keel": keel, "booster": booster},
    }


def _timed(call) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - t0, time.process_time() - c0


def load_time(package_path: Path, cfg) -> dict:
    from keel.models import load_package

    times = [
        _timed(lambda: load_package(package_path).predictor())[0] for _ in range(cfg["load_reps"])
    ]
    return {"load_predictor_s": statistics.median(times), "reps": times}


def register_keel(trained, X_test, y_test, tmp: Path, cfg) -> dict:
    from keel.models import Registry, write_package
    from keel.store import SQLStore
    from keel.store._artifacts_local import LocalArtifactStore

    store = SQLStore(f"sqlite:///{tmp / 'keel.db'}")
    store.open()
    registry = Registry(store, LocalArtifactStore(tmp / "artifacts"), user="bench")
    times = []
    for rep in range(cfg["register_reps"]):

        def register(dest: Path = tmp / f"pkg{rep}") -> None:
            registry.register("reference", write_package(trained, dest, holdout=(X_test, y_test)))

        times.append(_timed(register)[0])
    return {"register_s": statistics.median(times), "reps": times}


def register_mlflow(model, X_test, tmp: Path, cfg) -> dict:
    import numpy as np

    python = competitor_python("mlflow", ["mlflow", "lightgbm"], "KEEL_BENCH_MLFLOW_PYTHON")
    model_file, sample = tmp / "booster.txt", tmp / "example.npy"
    model.booster_.save_model(str(model_file))
    np.save(sample, X_test.to_numpy()[:5])
    root = tmp / "mlflow"
    root.mkdir()
    cmd = [
        str(python),
        "-c",
        MLFLOW_SIDE,
        str(model_file),
        str(root),
        str(cfg["mlflow_reps"]),
        str(sample),
    ]
    result = run_json(cmd, env=MLFLOW_ENV, timeout=1800)
    result["register_median_s"] = statistics.median(result["register_s"])
    return result


def table(r: dict) -> str:
    s, b, ld, reg = r["single"], r["batch"], r["load"], r["register"]
    d = fmt_duration
    one_ok = s["keel_predict_one_p50_s"] <= 20e-6 and s["ratio_keel_to_ort"] <= 2.5
    rows = [
        (
            "predict_one p50 (p99)",
            f"{d(s['keel_predict_one_p50_s'])} ({d(s['keel_predict_one_p99_s'])})",
            f"ORT run {d(s['ort_run_p50_s'])}; booster {d(s['booster_one_p50_s'])}",
            f"{fmt_ratio(s['ratio_keel_to_ort'])} of ORT",
            verdict(one_ok),
        ),
        (
            f"predict {b['rows']:,} rows",
            d(b["keel_wall_s"]),
            f"booster {d(b['booster_wall_s'])}",
            f"{fmt_ratio(b['throughput_ratio'])} throughput",
            verdict(b["throughput_ratio"] >= 0.9),
        ),
        (
            "load package + predictor",
            d(ld["load_predictor_s"]),
            "—",
            "—",
            verdict(ld["load_predictor_s"] <= 0.15),
        ),
    ]
    if "mlflow" in reg:
        keel_s, mlflow_s = reg["keel"]["register_s"], reg["mlflow"]["register_median_s"]
        ratio = mlflow_s / keel_s
        ok = keel_s <= 1 and ratio >= 10
        rows.append(
            (
                "register a version",
                d(keel_s),
                f"MLflow {d(mlflow_s)}",
                f"{fmt_ratio(ratio)} faster",
                verdict(ok),
            )
        )
    lines = ["| figure | keel | baseline | ratio | target |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smoke-test the harness; writes nothing"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow comparison")
    args = parser.parse_args()
    cfg = QUICK if args.quick else FULL
    from keel.models import write_package

    trained, X_train, X_test, y_test, model = reference_model()
    results: dict = {"config": cfg, "machine": machine_info()}
    with tempfile.TemporaryDirectory(prefix="keel-bench-predictor-") as tmp_name:
        tmp = Path(tmp_name)
        package_path = write_package(trained, tmp / "reference", holdout=(X_test, y_test))
        _log("single rows")
        results["single"] = single_rows(package_path, trained, X_test, model, cfg)
        _log(f"{cfg['batch_rows']:,} rows")
        results["batch"] = batch(package_path, trained, X_train, model, cfg)
        results["load"] = load_time(package_path, cfg)
        _log("register (keel)")
        results["register"] = {"keel": register_keel(trained, X_test, y_test, tmp, cfg)}
        if not args.no_mlflow:
            _log("register (MLflow, in benchmarks/.venv-mlflow)")
            results["register"]["mlflow"] = register_mlflow(model, X_test, tmp, cfg)
    print(table(results))
    if not args.quick:
        path = write_results("predictor", results, results["machine"]["date"])
        _log(f"wrote {path}")


if __name__ == "__main__":
    main()
