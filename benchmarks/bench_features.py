"""keel's feature pipeline side by side with the same bare scikit-learn pipeline, in one run.

Two figures (issue: feature engineering):

1. One record through a pipeline of 20 numeric + 5 categorical columns (median imputation
   with missing indicators, standard scaling, one-hot with a rare bucket on 3 columns,
   target encoding on 2): ``FeaturePipeline.transform_one(dict)``, per-call p50/p99, vs a
   scikit-learn ColumnTransformer with the same steps, fitted on the same rows, calling
   ``transform`` on a one-row DataFrame. The keel output is checked equal to the batch
   output for every record timed.
2. fit + transform of 1,000,000 rows of that table: ``FeaturePipeline.fit_transform`` (its
   output checks and leakage check included) vs the bare ColumnTransformer's
   ``fit_transform`` on the same frame.

scikit-learn is keel's own dependency, so both sides run in this interpreter. Results go to
``benchmarks/results/features-<date>.json``; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from _common import SEED, latency_summary, repeat, summarize, time_calls
from _harness import HERE, fmt_duration, fmt_ratio, machine_info, verdict, write_results
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from keel.data import infer_schema
from keel.features import FeaturePipeline

FULL = {
    "rows": 1_000_000,
    "fit_reps": 3,
    "record_pool": 2_000,
    "record_calls": 20_000,
    "sklearn_record_calls": 1_000,
}
QUICK = {
    "rows": 50_000,
    "fit_reps": 2,
    "record_pool": 500,
    "record_calls": 5_000,
    "sklearn_record_calls": 200,
}
NUMERIC = [f"x{i:02d}" for i in range(20)]
ONEHOT = ["plan", "region", "device"]
TARGET = ["city", "merchant"]
SPEC = {
    "numeric": {"impute": "median", "indicator": True, "scale": "standard"},
    "categorical": {"encode": "onehot", "rare_below": 0.01},
    "columns": {name: {"encode": "target"} for name in TARGET},
}


def make_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """20 numeric columns (1% missing in five), 5 categorical (cardinality 4 to 2,000)."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        values = rng.normal(i, 1 + i / 10, rows)
        if i < 5:
            values[rng.random(rows) < 0.01] = np.nan
        data[name] = values
    for name, k in zip([*ONEHOT, *TARGET], [4, 12, 30, 500, 2_000], strict=True):
        codes = rng.zipf(1.5, rows) % k
        data[name] = pd.array([f"{name}{c}" for c in range(k)], dtype="str")[codes]
    merchant_effect = (codes % 7 == 0) * 1.5  # codes of the last column, "merchant"
    logit = data["x00"] - data["x01"] / 2 + merchant_effect  # type: ignore[operator]
    data["churned"] = (rng.random(rows) < 1 / (1 + np.exp(-np.nan_to_num(logit)))).astype(int)
    return pd.DataFrame(data)


def bare_sklearn() -> ColumnTransformer:
    """The same steps written directly with scikit-learn."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return ColumnTransformer(
        [
            ("numeric", numeric, NUMERIC),
            ("missing", MissingIndicator(features="missing-only", error_on_new=False), NUMERIC),
            (
                "onehot",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist", min_frequency=0.01, sparse_output=False
                ),
                ONEHOT,
            ),
            ("target", TargetEncoder(target_type="binary", cv=folds), TARGET),
        ],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )


def bench_records(params: dict, train: pd.DataFrame) -> dict:
    schema = infer_schema(train)
    pipe = FeaturePipeline(SPEC, schema=schema, target="churned").fit(train)
    bare = bare_sklearn().fit(train.drop(columns="churned"), train["churned"])
    pool = train.drop(columns="churned").sample(params["record_pool"], random_state=SEED)
    records = [
        {k: (None if v is None or v != v else v) for k, v in r.items()}
        for r in pool.to_dict("records")
    ]
    batch = pipe.transform(pool)
    singles = np.array([pipe.transform_one(r) for r in records])
    assert np.array_equal(singles, batch), "transform_one differs from transform"
    keel_ns, keel_cpu = time_calls(pipe.transform_one, records, params["record_calls"])
    frames = [pool.iloc[[i]] for i in range(len(pool))]
    bare_ns, bare_cpu = time_calls(bare.transform, frames, params["sklearn_record_calls"])
    keel = {**latency_summary(keel_ns), "cpu_per_call_us": keel_cpu / len(keel_ns) * 1e6}
    sk = {**latency_summary(bare_ns), "cpu_per_call_us": bare_cpu / len(bare_ns) * 1e6}
    return {
        "keel": keel,
        "sklearn": sk,
        "features": len(pipe.feature_names_out_),
        "ratio_p50": sk["p50_us"] / keel["p50_us"],
    }


def bench_fit(params: dict, frame: pd.DataFrame) -> dict:
    schema = infer_schema(frame)
    features, target = frame.drop(columns="churned"), frame["churned"]

    def keel_fit() -> None:
        FeaturePipeline(SPEC, schema=schema, target="churned").fit_transform(frame)

    def bare_fit() -> None:
        bare_sklearn().fit_transform(features, target)

    reps = params["fit_reps"]
    keel, bare = [], []
    for _ in range(reps):  # interleaved, so drift in machine load hits both alike
        keel += repeat(keel_fit, 1)
        bare += repeat(bare_fit, 1)
    k, b = summarize(keel, params["rows"]), summarize(bare, params["rows"])
    return {
        "keel": k,
        "sklearn": b,
        "ratio_wall": k["wall_s_p50"] / b["wall_s_p50"],
        "ratio_cpu": k["cpu_s_p50"] / b["cpu_s_p50"],
    }


def run(params: dict) -> dict:
    frame = make_frame(params["rows"])
    train = frame.iloc[:100_000] if len(frame) > 100_000 else frame
    return {
        "benchmark": "features",
        "machine": machine_info(),
        "params": params,
        "record": bench_records(params, train),
        "fit_transform": bench_fit(params, frame),
        "notes": [
            "single record: keel's output is asserted equal to its batch output first",
            "fit: keel includes its output checks and leakage check; schema given to both",
        ],
    }


def markdown(payload: dict) -> str:
    rec, fit = payload["record"], payload["fit_transform"]
    k, s = rec["keel"], rec["sklearn"]
    rows = [
        "| figure | keel | scikit-learn | ratio | target | verdict |",
        "|---|---|---|---|---|---|",
        f"| one record, p50 ({rec['features']} features) | {k['p50_us']:.1f} µs "
        f"(p99 {k['p99_us']:.1f}) | {s['p50_us']:.0f} µs | {fmt_ratio(rec['ratio_p50'])} faster "
        f"| ≤ 30 µs and ≥ 20x | {verdict(k['p50_us'] <= 30 and rec['ratio_p50'] >= 20)} |",
        f"| fit + transform {payload['params']['rows']:,} rows | "
        f"{fmt_duration(fit['keel']['wall_s_p50'])} (CPU {fmt_duration(fit['keel']['cpu_s_p50'])})"
        f" | {fmt_duration(fit['sklearn']['wall_s_p50'])} (CPU "
        f"{fmt_duration(fit['sklearn']['cpu_s_p50'])}) | {fit['ratio_wall']:.2f}x the time "
        f"(CPU {fit['ratio_cpu']:.2f}x) | ≤ 1.5x | {verdict(fit['ratio_wall'] <= 1.5)} |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 rows; writes nothing")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    payload = run(QUICK if args.quick else FULL)
    payload["total_wall_s"] = time.perf_counter() - t0
    if not args.quick:
        path = write_results("features", payload, payload["machine"]["date"])
        print(f"wrote {path.relative_to(HERE.parent)}", file=sys.stderr)
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
