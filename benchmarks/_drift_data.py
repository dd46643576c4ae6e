"""The seeded reference and current tables of bench_drift.py, and their design.

numpy and pandas only (plus pyarrow to write Parquet): the side script runs in keel's venv
and in the peers' venvs, and every side reads the same Parquet files.

20 numeric columns (``num_00`` … ``num_19``: normal, lognormal, uniform, exponential and
integer-valued Poisson, cycling) and 5 string categorical columns (``cat_0`` … ``cat_4``:
5, 12, 30, 3 and 100 categories, Zipf-like shares). Reference and current are drawn
independently (different seeds) from the same distributions, except five columns, shifted
in the current table (``SHIFTS``): three clearly above a 0.1 effect-size threshold and two
well below it (real but small shifts that p-value tests flag once samples are large).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

NUMERIC = [f"num_{i:02d}" for i in range(20)]
CATEGORICAL = ["cat_0", "cat_1", "cat_2", "cat_3", "cat_4"]
CARDINALITY = {"cat_0": 5, "cat_1": 12, "cat_2": 30, "cat_3": 3, "cat_4": 100}
KINDS = ("normal", "lognormal", "uniform", "exponential", "poisson")
SEED = 20261126

#: What the current table changes, and how much. ``expected`` is whether a 0.1 threshold
#: on the effect size (PSI, normalised Wasserstein, Jensen-Shannon distance) flags it.
SHIFTS: dict[str, dict] = {
    "num_00": {
        "change": "mean + 0.5 standard deviations (normal)",
        "expected": True,
    },
    "num_01": {
        "change": "scale x 1.3 (lognormal: every value multiplied by 1.3)",
        "expected": True,
    },
    "num_05": {
        "change": "mean + 0.03 standard deviations (normal): small, below the threshold",
        "expected": False,
    },
    "cat_0": {
        "change": "shares 40/30/15/10/5 % -> 20/30/15/10/20 % plus an unseen category "
        "`c0_new` in 5 % of the rows",
        "expected": True,
    },
    "cat_1": {
        "change": "1.5 percentage points moved from the most to the least frequent of 12 "
        "categories: small, below the threshold",
        "expected": False,
    },
}


def _zipf_shares(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.8
    return w / w.sum()


def _numeric(kind: str, i: int, rng: np.random.Generator, n: int, shift: str | None):
    loc = 10.0 * i
    if kind == "normal":
        scale = 1.0 + i % 7
        mean = loc + (0.5 * scale if shift == "large" else 0.03 * scale if shift else 0.0)
        return rng.normal(mean, scale, n)
    if kind == "lognormal":
        values = np.exp(rng.normal(0.0, 0.5, n)) + loc
        return (values - loc) * 1.3 + loc if shift else values
    if kind == "uniform":
        return rng.uniform(loc, loc + 5.0, n)
    if kind == "exponential":
        return rng.exponential(2.0, n) + loc
    return rng.poisson(3.0, n).astype(np.float64)  # integer-valued: many ties


def _categorical(name: str, rng: np.random.Generator, n: int, current: bool):
    k = CARDINALITY[name]
    labels = [f"{name[-1]}_{j:02d}" for j in range(k)]
    shares = _zipf_shares(k) if name != "cat_0" else np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    if current and name == "cat_0":
        labels = [*labels, "c0_new"]
        shares = np.array([0.2, 0.3, 0.15, 0.1, 0.2, 0.05])
    elif current and name == "cat_1":
        shares = shares.copy()
        shares[0] -= 0.015
        shares[-1] += 0.015
    codes = rng.choice(len(labels), size=n, p=shares / shares.sum())
    return np.array(labels, dtype=object)[codes]


def make_table(rows: int, *, current: bool, seed: int = SEED):
    """One table: the reference (``current=False``) or the shifted current one."""
    import pandas as pd

    rng = np.random.default_rng([seed, int(current)])
    columns: dict = {}
    for i, name in enumerate(NUMERIC):
        shift = None
        if current and name in SHIFTS:
            shift = "large" if SHIFTS[name]["expected"] else "small"
        columns[name] = _numeric(KINDS[i % len(KINDS)], i, rng, rows, shift)
    for name in CATEGORICAL:
        columns[name] = pd.Series(_categorical(name, rng, rows, current), dtype="object")
    return pd.DataFrame(columns)


def ensure_tables(folder: Path, rows: int, seed: int = SEED) -> tuple[Path, Path]:
    """``reference.parquet`` and ``current.parquet`` of ``rows`` rows under ``folder``,
    written once (a manifest records the rows and seed they were made with)."""
    folder.mkdir(parents=True, exist_ok=True)
    ref, cur, manifest = folder / "reference.parquet", folder / "current.parquet", folder / "m.json"
    want = {"rows": rows, "seed": seed, "shifts": SHIFTS, "version": 1}
    fresh = ref.exists() and cur.exists() and manifest.exists()
    if fresh and json.loads(manifest.read_text()) == want:
        return ref, cur
    make_table(rows, current=False, seed=seed).to_parquet(ref, index=False)
    make_table(rows, current=True, seed=seed).to_parquet(cur, index=False)
    manifest.write_text(json.dumps(want))
    return ref, cur


# ---------------------------------------------------------------- the design's effect sizes


def _bins_shares(ref: np.ndarray, cur: np.ndarray, bins: int = 10):
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1)
    return r / r.sum(), c / c.sum()


def _psi(p: np.ndarray, q: np.ndarray, eps: float = 1e-4) -> float:
    p, q = np.clip(p, eps, None), np.clip(q, eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _js(p: np.ndarray, q: np.ndarray) -> float:
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log(q / m), 0.0).sum()
    return float(np.sqrt(max(0.5 * (kl_p + kl_q), 0.0)))


def effect_sizes(reference, current) -> dict[str, dict]:
    """Per column, computed here with numpy as a yardstick independent of any tool:
    PSI and Jensen-Shannon distance (natural log) on 10 reference-decile bins (numeric) or
    on the category shares, and the Wasserstein distance divided by the reference std."""
    out: dict[str, dict] = {}
    for name in NUMERIC:
        r = reference[name].to_numpy(dtype=np.float64)
        c = current[name].to_numpy(dtype=np.float64)
        p, q = _bins_shares(r, c)
        qr = np.quantile(r, np.linspace(0.0005, 0.9995, 2000))
        qc = np.quantile(c, np.linspace(0.0005, 0.9995, 2000))
        wass = float(np.mean(np.abs(qr - qc)))  # W1 as the mean gap between quantiles
        out[name] = {
            "psi": _psi(p, q),
            "js": _js(p, q),
            "wasserstein_over_std": wass / float(np.std(r)),
        }
    for name in CATEGORICAL:
        rc = reference[name].value_counts()
        cc = current[name].value_counts()
        cats = sorted(set(rc.index) | set(cc.index))
        p = rc.reindex(cats, fill_value=0).to_numpy(dtype=np.float64)
        q = cc.reindex(cats, fill_value=0).to_numpy(dtype=np.float64)
        p, q = p / p.sum(), q / q.sum()
        out[name] = {"psi": _psi(p, q), "js": _js(p, q)}
    return out
