"""The pandera (and pydantic) half of ``bench_data.py``; runs in its own virtualenv.

Usage (one task per process, the result is one JSON object on stdout)::

    python _pandera_side.py validate --spec SPEC.json --clean A.parquet --corrupt B.parquet
    python _pandera_side.py records --spec SPEC.json --records RECORDS.json

``SPEC.json`` is keel's inferred schema translated by ``bench_data.pandera_spec``: one
entry per column with its pandas dtype, nullability, the range to check (numeric and
integer columns) and the known categories (categorical columns). Both halves read the same
Parquet files and the same records; only validation is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

from _common import latency_summary, repeat, summarize, time_calls, timed


def build_schema(spec: dict, *, coerce: bool = False):
    """A ``pandera.pandas.DataFrameSchema`` checking what keel's schema checks."""
    import pandera.pandas as pa

    columns = {}
    for col in spec["columns"]:
        checks = []
        if col.get("min") is not None and col.get("max") is not None:
            checks.append(pa.Check.in_range(col["min"], col["max"]))
        if col.get("categories") is not None:
            checks.append(pa.Check.isin(col["categories"]))
        columns[col["name"]] = pa.Column(col["dtype"], checks, nullable=col["nullable"])
    # strict: an unexpected column is an error, as it is for keel.
    return pa.DataFrameSchema(columns, strict=True, coerce=coerce)


def build_pydantic_model(spec: dict):
    """A pydantic model with one typed, constrained field per column (what a serving team
    would write by hand for a request body)."""
    from pydantic import ConfigDict, Field, create_model

    python_types = {"numeric": float, "integer": int, "boolean": bool, "text": str}
    fields: dict[str, Any] = {}
    for col in spec["columns"]:
        if col.get("categories") is not None:
            annotation: Any = Literal[tuple(col["categories"])]
        elif col.get("min") is not None and col.get("max") is not None:
            base = python_types[col["type"]]
            annotation = Annotated[base, Field(ge=col["min"], le=col["max"])]
        else:
            annotation = python_types.get(col["type"], str)
        if col["nullable"]:
            annotation = annotation | None
        fields[col["name"]] = (annotation, ...)  # required; None allowed when nullable
    return create_model("Record", __config__=ConfigDict(extra="forbid"), **fields)


# ---------------------------------------------------------------- batch validation


def _failure_counts(exc) -> dict:
    """``{column: {check: failing values}}`` from a lazy ``SchemaErrors``."""
    cases = exc.failure_cases
    out: dict = {}
    for (column, check), n in cases.groupby(["column", "check"], dropna=False).size().items():
        # "isin(['a', 'b', …])" -> "isin": the arguments are the schema's, not news.
        out.setdefault(str(column), {})[str(check).split("(")[0]] = int(n)
    return out


def _validate_once(schema, frame, lazy: bool) -> dict:
    import pandera.errors as pe

    try:
        schema.validate(frame, lazy=lazy)
    except pe.SchemaErrors as exc:
        return {"valid": False, "failures": _failure_counts(exc)}
    except pe.SchemaError as exc:
        return {
            "valid": False,
            "first_failure": {"column": getattr(exc.schema, "name", None), "error": str(exc)},
        }
    return {"valid": True}


def task_validate(args) -> dict:
    import pandas as pd

    spec = json.loads(Path(args.spec).read_text())
    clean = pd.read_parquet(args.clean)
    corrupt = pd.read_parquet(args.corrupt)
    schema = build_schema(spec)
    _validate_once(schema, clean.head(1000), lazy=True)  # first-call costs, not the data
    verdict_clean = _validate_once(schema, clean, lazy=True)
    lazy = repeat(lambda: schema.validate(clean, lazy=True), args.reps)
    eager = repeat(lambda: schema.validate(clean, lazy=False), args.eager_reps)
    corrupt_samples: list = []
    with timed(corrupt_samples):
        verdict_corrupt = _validate_once(schema, corrupt, lazy=True)
    eager_corrupt = _validate_once(schema, corrupt, lazy=False)
    if "first_failure" in eager_corrupt:
        eager_corrupt["first_failure"]["error"] = eager_corrupt["first_failure"]["error"][:300]
    rows, cols = clean.shape
    return {
        "rows": rows,
        "columns": cols,
        "clean": verdict_clean,
        "lazy": summarize(lazy, rows),
        "eager": summarize(eager, rows),
        "corrupt": {**verdict_corrupt, **summarize(corrupt_samples, rows)},
        "corrupt_eager": eager_corrupt,
    }


# ---------------------------------------------------------------- one record at a time


def _accepts(fn, record: dict) -> bool:
    try:
        fn(record)
    except Exception:  # any rejection counts, whatever the library raises
        return False
    return True


def task_records(args) -> dict:
    import pandas as pd
    import pandera.pandas as pa  # noqa: F401 - imported before timing, not inside it

    spec = json.loads(Path(args.spec).read_text())
    data = json.loads(Path(args.records).read_text())
    records, invalid = data["valid"], data["invalid"]
    # coerce: a one-row frame built from a dict has object columns where a value is None.
    schema = build_schema(spec, coerce=True)
    model = build_pydantic_model(spec)

    def pandera_one(record: dict) -> None:
        schema.validate(pd.DataFrame([record]))

    out: dict = {}
    for name, fn, calls in (
        ("pandera", pandera_one, args.pandera_calls),
        ("pydantic", model.model_validate, args.pydantic_calls),
    ):
        check = records[: min(len(records), calls)]
        accepted = sum(_accepts(fn, r) for r in check)
        rejected = {kind: not _accepts(fn, r) for kind, r in invalid.items()}
        time_calls(fn, records, min(calls, 200))  # warm-up
        ns, cpu = time_calls(fn, records, calls)
        out[name] = {
            **latency_summary(ns),
            "cpu_per_call_s": cpu / calls,
            "valid_accepted": accepted,
            "valid_checked": len(check),
            "invalid_rejected": sum(rejected.values()),
            "invalid_detail": rejected,
            "invalid_checked": len(invalid),
        }
    import pydantic

    out["pydantic"]["version"] = pydantic.VERSION
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["validate", "records"])
    parser.add_argument("--spec", required=True)
    parser.add_argument("--clean")
    parser.add_argument("--corrupt")
    parser.add_argument("--records")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--eager-reps", type=int, default=3)
    parser.add_argument("--pandera-calls", type=int, default=300)
    parser.add_argument("--pydantic-calls", type=int, default=20_000)
    args = parser.parse_args()
    task = {"validate": task_validate, "records": task_records}
    real_stdout = sys.stdout
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = task[args.task](args)
    import pandas
    import pandera

    result.update(
        pandera_version=pandera.__version__,
        pandas_version=pandas.__version__,
        python=platform.python_version(),
        task_wall_s=time.perf_counter() - t0,
    )
    json.dump(result, real_stdout)
    real_stdout.write("\n")


if __name__ == "__main__":
    main()
