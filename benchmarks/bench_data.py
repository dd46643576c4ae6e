"""keel's data layer side by side with pandera (and pydantic), in one run on one machine.

Three figures (see benchmarks/README.md):

1. Batch validation of 1,000,000 rows x 50 columns against the schema keel inferred from
   them: ``keel.data.validate_frame`` vs pandera validating the same schema translated into
   a ``pandera.pandas.DataFrameSchema`` (``lazy=True``, every column checked; ``lazy=False``
   for reference), on clean data and on a corrupted copy.
2. One record of 35 fields (30 numeric, 5 categorical): keel's record validator, per-call
   p50 and p99, vs pandera on a one-row DataFrame and a generated pydantic model.
3. Snapshot + content hash of the 1,000,000 x 50 frame: ``write_snapshot`` into a fresh
   SQLite store and artifact folder; ``DataFrame.to_parquet`` + SHA-256 of the file as a
   reference (there is no direct peer).

pandera and pydantic run in ``benchmarks/.venv-pandera`` (created on first use) through
``_pandera_side.py``; ``KEEL_BENCH_PANDERA_PYTHON`` names a ready interpreter instead.
Results go to ``benchmarks/results/data-<date>.json``; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import SEED, Sample, latency_summary, repeat, summarize, time_calls, timed
from _harness import (
    HERE,
    competitor_python,
    fmt_duration,
    fmt_ratio,
    machine_info,
    run_json,
    verdict,
    write_results,
)

FULL = {
    "rows": 1_000_000,
    "float_columns": 30,
    "int_columns": 10,
    "cat_columns": 10,
    "categories": 20,
    "nullable_float_columns": 5,
    "nullable_cat_columns": 2,
    "null_share": 0.001,
    "bad_range_values": 1_000,
    "bad_categories": 500,
    "keel_validate_reps": 5,
    "pandera_lazy_reps": 3,
    "pandera_eager_reps": 3,
    "record_numeric_fields": 30,
    "record_cat_fields": 5,
    "record_pool": 10_000,
    "keel_record_calls": 20_000,
    "pandera_record_calls": 300,
    "pydantic_record_calls": 20_000,
    "snapshot_reps": 3,
}
# For checking the harness itself; its figures are not for publishing.
QUICK = {
    **FULL,
    "rows": 50_000,
    "bad_range_values": 100,
    "bad_categories": 50,
    "keel_validate_reps": 2,
    "pandera_lazy_reps": 2,
    "pandera_eager_reps": 1,
    "record_pool": 1_000,
    "keel_record_calls": 10_000,
    "pandera_record_calls": 50,
    "pydantic_record_calls": 2_000,
    "snapshot_reps": 2,
}

PANDERA_PACKAGES = ["pandera[pandas]", "pyarrow", "pydantic"]
# The pandas dtype pandera checks for each of keel's logical types, as a column of that type
# comes back from Parquet under pandas 3 (strings: the ``str`` dtype).
PANDAS_DTYPES = {
    "numeric": "float64",
    "integer": "int64",
    "boolean": "bool",
    "categorical": "str",
    "text": "str",
    "datetime": "datetime64[ns]",
}
# The columns the corrupted copy breaks (both non-nullable and part of the record figure).
BAD_RANGE_COLUMN = "num_07"
BAD_CATEGORY_COLUMN = "cat_2"
UNKNOWN_CATEGORY = "not-a-known-category"


def _log(msg: str) -> None:
    print(f"[bench_data] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- keel's API, in one place


def keel_infer(frame):
    try:
        from keel.data import infer_schema
    except ImportError:  # not re-exported yet
        from keel.data._infer import infer_schema
    return infer_schema(frame)


def keel_validate(frame, schema):
    try:
        from keel.data import validate_frame
    except ImportError:  # not re-exported yet
        from keel.data._validate import validate_frame
    return validate_frame(frame, schema)


def keel_report_summary(report) -> dict:
    """``ValidationReport`` as plain JSON: ``valid`` is ``report.ok`` (no errors; warnings
    such as values outside the observed range or unseen categories do not make it false),
    and the count of every violation, per column, as ``"kind, severity"``."""
    failures: dict = {}
    for v in report.violations:
        failures.setdefault(v.column, {})[f"{v.kind}, {v.severity}"] = v.count
    return {
        "valid": report.ok,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "failures": failures,
    }


def keel_record_validator(schema):
    """The hot-path call on one record, and a function saying whether it accepted a record.

    ``RecordValidator.validate`` returns ``(row, errors)``: it does not raise.
    """
    from keel.data._record import RecordValidator

    validator = RecordValidator(schema)
    validate = validator.validate
    return validate, lambda record: not validate(record)[1], len(validator.fields)


def keel_open_store(directory: Path) -> tuple:
    """A fresh, migrated SQLite store and a local artifact folder (not timed)."""
    from keel.store import SQLStore
    from keel.store._artifacts import open_artifact_store

    store = SQLStore(f"sqlite:///{directory / 'keel.db'}")
    store.open()
    return store, open_artifact_store(directory / "artifacts")


def keel_write_snapshot(frame, schema, store, artifacts) -> dict:
    import dataclasses

    from keel.data._snapshot import write_snapshot

    return dataclasses.asdict(write_snapshot(frame, schema, store, artifacts))


# ---------------------------------------------------------------- data


def make_frame(cfg: dict, seed: int = SEED):
    """The seeded test frame: floats, ints and string categoricals, a few nulls."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = cfg["rows"]
    columns: dict = {}
    for i in range(cfg["float_columns"]):
        values = rng.normal(loc=10.0 * i, scale=1.0 + i % 7, size=rows)
        if i < cfg["nullable_float_columns"]:
            values[rng.random(rows) < cfg["null_share"]] = np.nan
        columns[f"num_{i:02d}"] = values
    for i in range(cfg["int_columns"]):
        # Thousands of distinct values: an integer quantity, not a code.
        columns[f"int_{i}"] = rng.integers(0, 10_000 * (i + 1), size=rows, dtype=np.int64)
    for i in range(cfg["cat_columns"]):
        labels = np.array([f"c{i}_{k:02d}" for k in range(cfg["categories"])], dtype=object)
        values = labels[rng.integers(0, cfg["categories"], size=rows)]
        if i < cfg["nullable_cat_columns"]:
            values[rng.random(rows) < cfg["null_share"]] = None
        columns[f"cat_{i}"] = pd.Series(values, dtype="str")
    return pd.DataFrame(columns)


def value_range(column) -> tuple:
    """The range keel's schema allows: the declared one where set, else the observed one."""
    low = column.allowed_min if column.allowed_min is not None else column.observed_min
    high = column.allowed_max if column.allowed_max is not None else column.observed_max
    return low, high


def corrupt(frame, schema, cfg: dict, seed: int = SEED + 1):
    """A copy with out-of-range values in one column and unknown categories in another."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    bad = frame.copy()
    low, high = value_range(schema.column(BAD_RANGE_COLUMN))
    values = bad[BAD_RANGE_COLUMN].to_numpy(copy=True)
    rows = rng.choice(len(bad), cfg["bad_range_values"], replace=False)
    values[rows] = high + (high - low) + 1.0
    bad[BAD_RANGE_COLUMN] = values
    labels = bad[BAD_CATEGORY_COLUMN].to_numpy(dtype=object, copy=True)
    rows = rng.choice(len(bad), cfg["bad_categories"], replace=False)
    labels[rows] = UNKNOWN_CATEGORY
    bad[BAD_CATEGORY_COLUMN] = pd.Series(labels, index=bad.index, dtype="str")
    return bad


def pandera_spec(schema) -> dict:
    """keel's schema as plain JSON for ``_pandera_side.build_schema``: dtype, nullable,
    the range of numeric and integer columns, the categories of categorical ones."""
    columns = []
    for c in schema.columns:
        entry = {"name": c.name, "type": c.type, "dtype": PANDAS_DTYPES[c.type]}
        entry.update(nullable=c.nullable, min=None, max=None, categories=None)
        if c.type in ("numeric", "integer"):
            entry["min"], entry["max"] = value_range(c)
        if c.type == "categorical" and c.categories is not None:
            entry["categories"] = sorted(c.categories)
        columns.append(entry)
    return {"columns": columns}


def record_columns(cfg: dict) -> list[str]:
    numeric = [f"num_{i:02d}" for i in range(cfg["record_numeric_fields"])]
    return numeric + [f"cat_{i}" for i in range(cfg["record_cat_fields"])]


def record_schema(schema, columns: list[str]):
    """The record figure's schema: those columns, with the observed range declared as the
    allowed one, as a serving team would pin it (keel's record validator rejects only
    values outside the allowed range; outside the observed one is a warning)."""
    picked = []
    for name in columns:
        c = schema.column(name)
        if c.type in ("numeric", "integer"):
            low, high = value_range(c)
            c = c.model_copy(update={"allowed_min": low, "allowed_max": high})
        picked.append(c)
    return type(schema)(columns=picked, row_count=schema.row_count)


def make_records(frame, columns: list[str], n: int, seed: int = SEED + 2) -> list[dict]:
    """``n`` rows as a request would bring them: plain dicts, ``None`` for a missing value."""
    import numpy as np

    rows = np.random.default_rng(seed).choice(len(frame), n, replace=False)
    sub = frame.iloc[rows][columns].astype(object)
    records = sub.where(sub.notna(), None).to_dict("records")
    # Through JSON, as a request body: both sides get the very same plain Python values.
    return json.loads(json.dumps(records))


def invalid_records(valid: dict, schema) -> dict[str, dict]:
    """One record per kind of mistake a validator must catch."""
    low, high = value_range(schema.column(BAD_RANGE_COLUMN))
    return {
        "out_of_range": {**valid, BAD_RANGE_COLUMN: high + (high - low) + 1.0},
        "unknown_category": {**valid, BAD_CATEGORY_COLUMN: UNKNOWN_CATEGORY},
        "wrong_type": {**valid, BAD_RANGE_COLUMN: "abc"},
        "null_in_non_nullable": {**valid, BAD_RANGE_COLUMN: None},
    }


# ---------------------------------------------------------------- figure 1: validation


def keel_batch(clean_path: Path, corrupt_path: Path, schema, reps: int) -> dict:
    import pandas as pd

    clean = pd.read_parquet(clean_path)
    keel_validate(clean.head(1000), schema)  # first-call costs, not the data
    verdict_clean = keel_report_summary(keel_validate(clean, schema))
    samples = repeat(lambda: keel_validate(clean, schema), reps)
    rows = len(clean)
    bad = pd.read_parquet(corrupt_path)
    corrupt_samples: list[Sample] = []
    with timed(corrupt_samples):
        report = keel_validate(bad, schema)
    return {
        "rows": rows,
        "clean": verdict_clean,
        **summarize(samples, rows),
        "corrupt": {**keel_report_summary(report), **summarize(corrupt_samples, rows)},
    }


def pandera_batch(python: Path, spec: Path, clean: Path, bad: Path, cfg: dict) -> dict:
    cmd = [str(python), "_pandera_side.py", "validate", "--spec", str(spec)]
    cmd += ["--clean", str(clean), "--corrupt", str(bad)]
    cmd += ["--reps", str(cfg["pandera_lazy_reps"]), "--eager-reps", str(cfg["pandera_eager_reps"])]
    return run_json(cmd)


# ---------------------------------------------------------------- figure 2: one record


def keel_records(schema, records: list[dict], invalid: dict[str, dict], calls: int) -> dict:
    validate, accepts, fields = keel_record_validator(schema)
    accepted = sum(accepts(r) for r in records)
    rejected = {name: not accepts(r) for name, r in invalid.items()}
    time_calls(validate, records, 1000)  # warm-up
    ns, cpu = time_calls(validate, records, calls)
    return {
        **latency_summary(ns),
        "cpu_per_call_s": cpu / calls,
        "valid_accepted": accepted,
        "valid_checked": len(records),
        "invalid_rejected": sum(rejected.values()),
        "invalid_checked": len(invalid),
        "invalid_detail": rejected,
        "fields_checked": fields,
    }


def peer_records(python: Path, spec: Path, records: Path, cfg: dict) -> dict:
    cmd = [str(python), "_pandera_side.py", "records", "--spec", str(spec)]
    cmd += ["--records", str(records), "--pandera-calls", str(cfg["pandera_record_calls"])]
    return run_json([*cmd, "--pydantic-calls", str(cfg["pydantic_record_calls"])])


# ---------------------------------------------------------------- figure 3: snapshot


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def snapshot(frame, schema, root: Path, reps: int) -> dict:
    keel_samples: list[Sample] = []
    ref_samples: list[Sample] = []
    keel_out, ref_out = [], []
    for r in range(reps):  # interleaved, so that noise falls on both alike
        directory = root / f"keel-{r}"
        directory.mkdir()
        store, artifacts = keel_open_store(directory)
        with timed(keel_samples):
            rec = keel_write_snapshot(frame, schema, store, artifacts)
        store.close()
        keel_out.append(rec)
        path = root / f"reference-{r}.parquet"
        with timed(ref_samples):
            frame.to_parquet(path)
            digest = _sha256_file(path)
        ref_out.append({"sha256": digest, "bytes": path.stat().st_size})
        path.unlink()
    return {
        "keel": {**summarize(keel_samples, len(frame)), "snapshots": keel_out},
        "reference": {**summarize(ref_samples, len(frame)), "files": ref_out},
    }


# ---------------------------------------------------------------- report


def _wall_cpu(s: dict) -> str:
    return f"{fmt_duration(s['wall_s_p50'])} ({fmt_duration(s['cpu_s_p50'])} CPU)"


def _found(side: dict, column: str) -> str:
    failures = side.get("failures") or {}
    counts = failures.get(column)
    if not counts:
        return "none found"
    return "; ".join(f"{n:,} ({check})" for check, n in counts.items())


def _ratios(q: dict, name: str) -> str:
    wall, cpu = q[f"{name}_pandera_over_keel"], q[f"{name}_pandera_over_keel_cpu"]
    return f"{fmt_ratio(wall)} ({fmt_ratio(cpu)} CPU)"


def _verdict_cell(side: dict) -> str:
    if "errors" in side:  # keel: errors make it invalid, warnings do not
        word = "valid" if side["valid"] else "invalid"
        return f"{word} ({side['errors']} errors, {side['warnings']} warnings)"
    checks = sum(len(c) for c in (side.get("failures") or {}).values())
    return "valid" if side["valid"] else f"invalid ({checks} failing checks)"


def _other_columns(side: dict) -> list[str]:
    failures = side.get("failures") or {}
    return [c for c in failures if c not in (BAD_RANGE_COLUMN, BAD_CATEGORY_COLUMN)]


def _validation_table(r: dict, q: dict, cfg: dict) -> list[str]:
    k, p = r["keel"], r["pandera"]
    ratio = q["validate_pandera_over_keel"]
    target = (
        f"≤ 2 s: {verdict(k['wall_s_p50'] <= 2.0)}; ≥ 5x: {verdict(ratio >= 5)}"
        if cfg["rows"] >= 1_000_000
        else "(targets are for 1,000,000 rows)"
    )
    kc, pc = k["corrupt"], p["corrupt"]
    eager_first = p["corrupt_eager"].get("first_failure", {}).get("column")
    return [
        f"| Measure ({k['repetitions']} keel, {p['lazy']['repetitions']} pandera repetitions) "
        "| keel `validate_frame` | pandera, `lazy=True` | pandera ÷ keel | Target |",
        "|---|---|---|---|---|",
        f"| Clean data, wall p50 (CPU p50) | {_wall_cpu(k)} | {_wall_cpu(p['lazy'])} "
        f"| {_ratios(q, 'validate')} | {target} |",
        f"| pandera `lazy=False` (stops at the first failure), for reference | "
        f"| {_wall_cpu(p['eager'])} | {_ratios(q, 'validate_eager')} | |",
        f"| Verdict on clean data | {'valid' if k['clean']['valid'] else '**invalid**'} "
        f"| {'valid' if p['clean']['valid'] else '**invalid**'} | | both valid |",
        f"| Corrupted copy: {cfg['bad_range_values']:,} out-of-range values in "
        f"`{BAD_RANGE_COLUMN}` | {_found(kc, BAD_RANGE_COLUMN)} | {_found(pc, BAD_RANGE_COLUMN)} "
        f"| | {cfg['bad_range_values']:,} |",
        f"| Corrupted copy: {cfg['bad_categories']:,} unknown categories in "
        f"`{BAD_CATEGORY_COLUMN}` | {_found(kc, BAD_CATEGORY_COLUMN)} "
        f"| {_found(pc, BAD_CATEGORY_COLUMN)} | | {cfg['bad_categories']:,} |",
        f"| Verdict on the corrupted copy | {_verdict_cell(kc)} | {_verdict_cell(pc)} | | |",
        f"| Corrupted copy: other columns flagged | {', '.join(_other_columns(kc)) or 'none'} "
        f"| {', '.join(_other_columns(pc)) or 'none'} | | none |",
        f"| Validating the corrupted copy (1 repetition) | {_wall_cpu(kc)} | {_wall_cpu(pc)} "
        f"| {_ratios(q, 'validate_corrupt')} "
        f"| pandera `lazy=False` stops at `{eager_first}` |",
        f"| `infer_schema` on the clean data, for reference | {_wall_cpu(r['infer'])} | — | | |",
    ]


def _rejected(s: dict) -> str:
    missed = [name for name, rejected in s["invalid_detail"].items() if not rejected]
    cell = f"{s['invalid_rejected']}/{s['invalid_checked']}"
    return cell + (f" (accepted: {', '.join(missed)})" if missed else "")


def _latency_row(name: str, s: dict, keel_p50: float | None, target: str) -> str:
    ratio = s["p50_us"] / keel_p50 if keel_p50 else None
    return (
        f"| {name} | {s['calls']:,} | {fmt_duration(s['p50_us'] / 1e6)} "
        f"| {fmt_duration(s['p99_us'] / 1e6)} "
        f"| {fmt_duration(s['cpu_per_call_s'])} | {s['valid_accepted']:,}/{s['valid_checked']:,} "
        f"| {_rejected(s)} | {fmt_ratio(ratio)} | {target} |"
    )


def _record_table(r: dict) -> list[str]:
    k = r["keel"]
    return [
        "| Validator | Calls | p50 | p99 | CPU per call | Valid records accepted "
        "| Invalid records rejected | p50 ÷ keel's | Target |",
        "|---|---|---|---|---|---|---|---|---|",
        _latency_row(
            "keel record validator", k, None, f"p50 ≤ 10 µs: {verdict(k['p50_us'] <= 10)}"
        ),
        _latency_row("pandera, one-row DataFrame (`coerce=True`)", r["pandera"], k["p50_us"], ""),
        _latency_row("pydantic, generated model", r["pydantic"], k["p50_us"], ""),
    ]


def _snapshot_table(r: dict, cfg: dict) -> list[str]:
    k, ref = r["keel"], r["reference"]
    mb = ref["files"][0]["bytes"] / 1e6
    target = (
        f"≤ 3 s: {verdict(k['wall_s_p50'] <= 3.0)}"
        if cfg["rows"] >= 1_000_000
        else "(target is for 1,000,000 rows)"
    )
    return [
        f"| Measure ({k['repetitions']} repetitions) | wall p50 (CPU p50) | Target |",
        "|---|---|---|",
        f"| keel `write_snapshot` (Parquet + content hash + schema, SQLite store) "
        f"| {_wall_cpu(k)} | {target} |",
        f"| `DataFrame.to_parquet` + SHA-256 of the file ({mb:,.0f} MB), reference "
        f"| {_wall_cpu(ref)} | |",
    ]


def _load(averages: list[float]) -> str:
    return " / ".join(f"{x:.1f}" for x in averages)


def markdown(p: dict) -> str:
    m, r, q, c, v = p["machine"], p["results"], p["ratios"], p["config"], p["versions"]
    lines = [
        f"### Data layer: keel vs pandera ({m['date']})",
        "",
        f"- Machine: `{m['platform']}`, {m['cpu_model']}, {m['cpu_count']} cores "
        f"({m['cpu_usable']} usable); Python {m['python']}; load average "
        f"{_load(m['load_average_start'])} at the start, {_load(m['load_average_end'])} at the end",
        f"- keel {v['keel']} (pandas {v['pandas']}); pandera {v['pandera']} and pydantic "
        f"{v['pydantic']} (own virtualenv, pandas {v['pandera_pandas']})",
        f"- Data: {c['rows']:,} rows x {r['validation']['columns']} columns "
        f"({c['float_columns']} float, {c['int_columns']} integer, {c['cat_columns']} string "
        f"categorical with {c['categories']} categories), seeded, read from one Parquet file "
        "by both sides; only validation is timed. pandera checks keel's inferred schema "
        "translated: dtype, nullable, `in_range` (observed range), `isin` (categories).",
        "- Every figure is a median over repetitions; CPU is process CPU time (all threads).",
        "",
        f"**1. Batch validation, {c['rows']:,} rows x {r['validation']['columns']} columns**",
        "",
        *_validation_table(r["validation"], q, c),
        "",
        f"**2. One record, {c['record_numeric_fields']} numeric + {c['record_cat_fields']} "
        f"categorical fields (per-call `perf_counter_ns`, cycling through "
        f"{c['record_pool']:,} records)**",
        "",
        *_record_table(r["records"]),
        "",
        f"**3. Snapshot + content hash, {c['rows']:,} rows x {r['validation']['columns']} "
        "columns**",
        "",
        *_snapshot_table(r["snapshot"], c),
    ]
    notes = p.get("notes") or []
    if notes:
        lines += ["", *[f"- Note: {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def _over(a: dict, b: dict, key: str) -> float | None:
    return a[key] / b[key] if b[key] > 0 else None


def ratios(r: dict) -> dict:
    v, rec, snap = r["validation"], r["records"], r["snapshot"]
    k, p = v["keel"], v["pandera"]
    out = {}
    for name, mine, theirs in (
        ("validate", k, p["lazy"]),
        ("validate_eager", k, p["eager"]),
        ("validate_corrupt", k["corrupt"], p["corrupt"]),
    ):
        out[f"{name}_pandera_over_keel"] = _over(theirs, mine, "wall_s_p50")
        out[f"{name}_pandera_over_keel_cpu"] = _over(theirs, mine, "cpu_s_p50")
    out["record_p50_pandera_over_keel"] = rec["pandera"]["p50_us"] / rec["keel"]["p50_us"]
    out["record_p50_pydantic_over_keel"] = rec["pydantic"]["p50_us"] / rec["keel"]["p50_us"]
    out["snapshot_keel_over_reference"] = _over(snap["keel"], snap["reference"], "wall_s_p50")
    return out


# ---------------------------------------------------------------- main


def _notes(results: dict, cfg: dict) -> list[str]:
    notes = []
    v = results["validation"]
    expected = {
        BAD_RANGE_COLUMN: cfg["bad_range_values"],
        BAD_CATEGORY_COLUMN: cfg["bad_categories"],
    }
    for side in ("keel", "pandera"):
        failures = v[side]["corrupt"].get("failures") or {}
        for column, n in expected.items():
            found = sum((failures.get(column) or {}).values())
            if found != n:
                notes.append(f"{side} found {found:,} bad values in `{column}`, expected {n:,}")
        if not v[side]["clean"]["valid"]:
            notes.append(f"{side} did not find the clean data valid: {v[side]['clean']}")
    for side in ("keel", "pandera", "pydantic"):
        s = results["records"][side]
        if s["valid_accepted"] != s["valid_checked"]:
            notes.append(
                f"{side} accepted {s['valid_accepted']:,} of {s['valid_checked']:,} valid records"
            )
    for side, s in (("keel", v["keel"]), ("pandera", v["pandera"]["lazy"])):
        if s["wall_s_p50"] > 1.3 * s["cpu_s_p50"]:
            notes.append(
                f"{side}'s batch validation took {s['wall_s_p50'] / s['cpu_s_p50']:.1f}x more "
                "wall than CPU time (single-threaded work): the machine was busy with other "
                "work; the CPU ratio is the steadier comparison."
            )
    keel_rec = results["records"]["keel"]
    if keel_rec["fields_checked"] != cfg["record_numeric_fields"] + cfg["record_cat_fields"]:
        notes.append(
            f"keel's record validator checks {keel_rec['fields_checked']} fields (the schema's "
            "features), not all of the record's"
        )
    if not keel_rec["invalid_detail"]["unknown_category"]:
        notes.append(
            "keel's record validator accepts an unseen category by design (a warning; it "
            "is encoded as -1); pandera and pydantic reject it."
        )
    hashes = {s["content_hash"] for s in results["snapshot"]["keel"]["snapshots"]}
    if len(hashes) != 1:
        notes.append(f"keel's content hash differed between repetitions: {sorted(hashes)}")
    if v["keel"]["corrupt"]["valid"]:
        notes.append(
            "keel's `validate_frame` reports values outside the observed range and unseen "
            "categories as warnings (`report.ok` stays true; only the allowed range, types and "
            "nulls are errors), pandera's `in_range`/`isin` as failures: the same checks, "
            "different severities."
        )
    notes.append(
        "pandera's record figure includes building the one-row DataFrame from the dict "
        "(`pd.DataFrame([record])`) and uses `coerce=True`, since a column holding None "
        "comes out as object dtype; pydantic's is `Model.model_validate(record)`."
    )
    return notes


def run(cfg: dict) -> dict:
    import pandas as pd

    import keel

    machine = machine_info()
    machine["load_average_start"] = os.getloadavg()
    python = competitor_python("pandera", PANDERA_PACKAGES, "KEEL_BENCH_PANDERA_PYTHON")
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="keel-bench-data-") as tmp:
        root = Path(tmp)
        _log(f"generating {cfg['rows']:,} rows")
        clean_path, bad_path = root / "clean.parquet", root / "corrupt.parquet"
        make_frame(cfg).to_parquet(clean_path)
        frame = pd.read_parquet(clean_path)
        infer: list[Sample] = []
        with timed(infer):
            schema = keel_infer(frame)
        corrupt(frame, schema, cfg).to_parquet(bad_path)
        spec_path = root / "spec.json"
        spec_path.write_text(json.dumps(pandera_spec(schema)))

        _log("figure 3: snapshot")  # first, while the frame is in memory
        (root / "snap").mkdir()
        results["snapshot"] = snapshot(frame, schema, root / "snap", cfg["snapshot_reps"])

        _log("figure 2: one record")
        columns = record_columns(cfg)
        rec_schema = record_schema(schema, columns)
        records = make_records(frame, columns, cfg["record_pool"])
        invalid = invalid_records(records[0], rec_schema)
        del frame
        rec_spec_path, records_path = root / "record-spec.json", root / "records.json"
        rec_spec_path.write_text(json.dumps(pandera_spec(rec_schema)))
        records_path.write_text(json.dumps({"valid": records, "invalid": invalid}))
        results["records"] = {
            "keel": keel_records(rec_schema, records, invalid, cfg["keel_record_calls"]),
            **peer_records(python, rec_spec_path, records_path, cfg),
        }

        _log("figure 1: batch validation (keel)")
        keel_side = keel_batch(clean_path, bad_path, schema, cfg["keel_validate_reps"])
        _log("figure 1: batch validation (pandera)")
        pandera_side = pandera_batch(python, spec_path, clean_path, bad_path, cfg)
        results["validation"] = {
            "rows": pandera_side["rows"],
            "columns": pandera_side["columns"],
            "infer": summarize(infer, cfg["rows"]),
            "keel": keel_side,
            "pandera": pandera_side,
        }
        results["schema"] = json.loads(spec_path.read_text())
    machine["load_average_end"] = os.getloadavg()
    return {
        "benchmark": "data",
        "machine": machine,
        "versions": {
            "keel": keel.__version__,
            "pandas": pd.__version__,
            "pandera": pandera_side["pandera_version"],
            "pandera_pandas": pandera_side["pandas_version"],
            "pydantic": results["records"]["pydantic"]["version"],
            "pandera_python": pandera_side["python"],
        },
        "config": cfg,
        "results": results,
        "ratios": ratios(results),
        "notes": _notes(results, cfg),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 rows; writes nothing")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    payload = run(QUICK if args.quick else FULL)
    payload["total_wall_s"] = time.perf_counter() - t0
    if args.quick:
        payload["notes"].append("--quick run: figures are not for publishing")
    else:
        path = write_results("data", payload, payload["machine"]["date"])
        _log(f"wrote {path.relative_to(HERE.parent)}")
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
