"""The reference side of drift, computed once: per column its sorted values (all of them or
a seeded sample), reference-quantile bins with their shares, spread (std, IQR), category
counts and null share. A window compared to it only sorts and counts its own data.

Example:
    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"x": np.arange(100.0), "plan": ["a", "b"] * 50})
    >>> profile = ReferenceProfile.from_frame(frame)
    >>> profile["x"].kind, profile["x"].edges[:3].round(2).tolist(), profile["plan"].categories
    ('numeric', [9.9, 19.8, 29.7], {'a': 50.0, 'b': 50.0})
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import ConfigError, MonitoringError
from keel.monitoring._columns import Kind, category_counts, kind_of, numeric_values
from keel.monitoring._stats_numeric import bin_counts, quantile_edges

__all__ = ["ColumnProfile", "ReferenceProfile"]

PROFILE_FORMAT_VERSION = 1
#: Reference values kept per numeric column for KS and Wasserstein; more are sampled.
DEFAULT_MAX_SAMPLE = 100_000
DEFAULT_BINS = 10
#: Category that collects a package profile's categories beyond the ones it lists.
OTHER = "(other)"


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """One reference column.

    Attributes:
        values: sorted float64 values (numeric, ``None`` from a package profile).
        edges: interior reference-quantile bin edges; bins are ``(-inf, e1), [e1, e2), …``.
        shares: the reference's share of values in each bin.
        categories: count per category (estimated from shares for a package profile).
    """

    name: str
    kind: Kind
    count: int
    null_share: float
    values: np.ndarray | None = field(default=None, repr=False)
    edges: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    shares: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    std: float = float("nan")
    iqr: float = float("nan")
    categories: dict[str, float] = field(default_factory=dict)
    folds_other: bool = False

    @property
    def has_values(self) -> bool:
        """Whether value-based methods (KS, Wasserstein) can use this column."""
        return self.values is not None and self.values.size > 0


class ReferenceProfile:
    """Per-column reference statistics that drift reports compare windows against."""

    def __init__(self, columns: Mapping[str, ColumnProfile], row_count: int) -> None:
        self.columns = dict(columns)
        self.row_count = row_count

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def __repr__(self) -> str:
        return f"ReferenceProfile({len(self.columns)} columns, {self.row_count} rows)"

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        columns: Iterable[str] | None = None,
        *,
        categorical: Iterable[str] | None = None,
        max_sample: int = DEFAULT_MAX_SAMPLE,
        bins: int = DEFAULT_BINS,
        seed: int = 0,
    ) -> ReferenceProfile:
        """Profile ``frame``'s columns (all of them by default), columns in parallel.

        Args:
            columns: the columns to profile.
            categorical: columns to treat as categories even when numeric (codes, ids).
            max_sample: numeric values kept per column (a seeded sample beyond it). Bins,
                spread and counts always use every value.
            bins: reference-quantile bins for PSI and Jensen-Shannon.

        Raises:
            MonitoringError: a named column is missing.
            ConfigError: ``max_sample`` or ``bins`` is below 1.
        """
        _check_setting("max_sample", max_sample, 1)
        _check_setting("bins", bins, 2)
        names = list(frame.columns if columns is None else columns)
        _require_columns(frame, names, "reference")
        forced = set(categorical or ())
        rng_seeds = np.random.SeedSequence(seed).spawn(len(names))

        def one(index: int) -> ColumnProfile:
            name = names[index]
            series = frame[name]
            if kind_of(series, forced) == "categorical":
                return _categorical_profile(name, series)
            rng = np.random.default_rng(rng_seeds[index])
            return _numeric_profile(name, series, max_sample, bins, rng)

        with ThreadPoolExecutor(max_workers=_workers(len(names))) as pool:
            profiles = list(pool.map(one, range(len(names))))
        return cls({p.name: p for p in profiles}, len(frame))

    @classmethod
    def from_package_profile(cls, profile: Mapping[str, Any]) -> ReferenceProfile:
        """Read a model package's ``profile.json`` (decile edges and shares, category
        shares): binned methods (PSI, Jensen-Shannon, chi-square on estimated counts) only.
        """
        from keel.monitoring._profile_io import package_columns

        row_count = int(profile.get("row_count", 0))
        return cls(package_columns(profile, row_count), row_count)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the profile as a NumPy ``.npz`` file (arrays and JSON, no pickle)."""
        from keel.monitoring._profile_io import save_npz

        save_npz(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReferenceProfile:
        """Read a profile written by :meth:`save`.

        Raises:
            MonitoringError: the file is not a keel reference profile or is too new.
        """
        from keel.monitoring._profile_io import load_npz

        return load_npz(cls, path)


def _numeric_profile(
    name: str, series: pd.Series, max_sample: int, bins: int, rng: np.random.Generator
) -> ColumnProfile:
    values, nulls = numeric_values(series)
    values = np.sort(values)
    edges = quantile_edges(values, bins)
    counts = bin_counts(values, edges)
    shares = counts / values.size if values.size else counts.astype(np.float64)
    kept = values
    if values.size > max_sample:
        # Indices sorted so the sample of a sorted array stays sorted.
        kept = values[np.sort(rng.choice(values.size, size=max_sample, replace=False))]
    q1, q3 = np.quantile(values, [0.25, 0.75]) if values.size else (np.nan, np.nan)
    return ColumnProfile(
        name=name,
        kind="numeric",
        count=int(values.size),
        null_share=_share(nulls, len(series)),
        values=kept,
        edges=edges,
        shares=shares,
        std=float(values.std()) if values.size else float("nan"),
        iqr=float(q3 - q1),
    )


def _categorical_profile(name: str, series: pd.Series) -> ColumnProfile:
    counts, nulls = category_counts(series)
    return ColumnProfile(
        name=name,
        kind="categorical",
        count=len(series) - nulls,
        null_share=_share(nulls, len(series)),
        categories={k: float(v) for k, v in counts.items()},
    )


def _share(part: int, whole: int) -> float:
    return float(part / whole) if whole else 0.0


def _workers(n_columns: int) -> int:
    return max(1, min(n_columns, os.cpu_count() or 1))


def _require_columns(frame: pd.DataFrame, names: list[str], side: str) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise MonitoringError(
            f"The {side} data has no column {missing[0]!r} (missing: {missing}); "
            f"it has {list(map(str, frame.columns))}.",
            field=missing[0],
        )


def _check_setting(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(
            f"The {name!r} setting of the reference profile must be an integer >= {minimum}. "
            f"Got {value!r} instead.",
            field=name,
        )


def dumps_meta(profile: ReferenceProfile) -> str:
    """The JSON metadata of ``profile`` (everything but the arrays)."""
    columns = [
        {
            "name": c.name,
            "kind": c.kind,
            "count": c.count,
            "null_share": c.null_share,
            "std": c.std,
            "iqr": c.iqr,
            "categories": list(c.categories),
            "folds_other": c.folds_other,
            "has_values": c.values is not None,
        }
        for c in profile.columns.values()
    ]
    meta = {"format_version": PROFILE_FORMAT_VERSION, "row_count": profile.row_count}
    return json.dumps({**meta, "columns": columns})
