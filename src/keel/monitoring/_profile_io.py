"""Reference profiles on disk (``.npz``: arrays plus a JSON header, never pickle) and from a
model package's ``profile.json``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from keel.errors import MonitoringError
from keel.monitoring._profile import (
    OTHER,
    PROFILE_FORMAT_VERSION,
    ColumnProfile,
    dumps_meta,
)

if TYPE_CHECKING:
    from keel.monitoring._profile import ReferenceProfile

_NUMERIC_TYPES = ("numeric", "integer", "datetime")
_CATEGORICAL_TYPES = ("categorical", "boolean")


def save_npz(profile: ReferenceProfile, path: str | os.PathLike[str]) -> None:
    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(dumps_meta(profile).encode(), np.uint8)}
    for i, column in enumerate(profile.columns.values()):
        arrays[f"edges_{i}"] = column.edges
        arrays[f"shares_{i}"] = column.shares
        arrays[f"counts_{i}"] = np.array(list(column.categories.values()), dtype=np.float64)
        if column.values is not None:
            arrays[f"values_{i}"] = column.values
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]


def load_npz(cls: type[ReferenceProfile], path: str | os.PathLike[str]) -> ReferenceProfile:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            _check_version(meta, path)
            columns = [_column(meta_i, i, data) for i, meta_i in enumerate(meta["columns"])]
    except (OSError, ValueError, KeyError) as exc:
        raise MonitoringError(
            f"{os.fspath(path)!r} is not a keel reference profile ({exc})."
        ) from None
    return cls({c.name: c for c in columns}, int(meta["row_count"]))


def _check_version(meta: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    version = meta.get("format_version")
    if not isinstance(version, int) or version > PROFILE_FORMAT_VERSION:
        raise MonitoringError(
            f"The reference profile {os.fspath(path)!r} has format version {version!r}; "
            f"this keel reads up to {PROFILE_FORMAT_VERSION}. Upgrade keel to read it."
        )


def _column(meta: Mapping[str, Any], i: int, data: Any) -> ColumnProfile:
    counts = data[f"counts_{i}"]
    return ColumnProfile(
        name=meta["name"],
        kind=meta["kind"],
        count=int(meta["count"]),
        null_share=float(meta["null_share"]),
        values=data[f"values_{i}"] if meta["has_values"] else None,
        edges=data[f"edges_{i}"],
        shares=data[f"shares_{i}"],
        std=float(meta["std"]),
        iqr=float(meta["iqr"]),
        categories=dict(zip(meta["categories"], counts.tolist(), strict=True)),
        folds_other=bool(meta["folds_other"]),
    )


def package_columns(profile: Mapping[str, Any], row_count: int) -> dict[str, ColumnProfile]:
    """Column profiles of a package's ``profile.json`` (format 1); other types skipped."""
    version = profile.get("format_version", 1)
    if not isinstance(version, int) or version > PROFILE_FORMAT_VERSION:
        raise MonitoringError(
            f"The package profile has format version {version!r}; this keel reads up to "
            f"{PROFILE_FORMAT_VERSION}. Upgrade keel to read it."
        )
    columns: dict[str, ColumnProfile] = {}
    for name, column in profile.get("columns", {}).items():
        null_share = float(column.get("null_share", 0.0))
        count = round(row_count * (1.0 - null_share))
        if column.get("type") in _NUMERIC_TYPES:
            columns[name] = _numeric_from_package(name, column, count, null_share)
        elif column.get("type") in _CATEGORICAL_TYPES:
            columns[name] = _categorical_from_package(name, column, count, null_share)
    return columns


def _numeric_from_package(
    name: str, column: Mapping[str, Any], count: int, null_share: float
) -> ColumnProfile:
    edges = np.asarray(column.get("edges", []), dtype=np.float64)
    shares = np.asarray(column.get("proportions", []), dtype=np.float64)
    # The package's bins are [e0, e1), …, [e9, e10]; their interior edges give the same
    # bins over the whole line, where values beyond the reference's range now fall.
    inner = edges[1:-1] if edges.size > 1 else np.empty(0)
    return ColumnProfile(
        name=name,
        kind="numeric",
        count=count,
        null_share=null_share,
        edges=inner,
        shares=shares if shares.size else np.ones(1),
    )


def _categorical_from_package(
    name: str, column: Mapping[str, Any], count: int, null_share: float
) -> ColumnProfile:
    shares = {str(k): float(v) for k, v in column.get("categories", {}).items()}
    other = float(column.get("other_share", 0.0))
    if other > 0:
        shares[OTHER] = other
    return ColumnProfile(
        name=name,
        kind="categorical",
        count=count,
        null_share=null_share,
        categories={k: v * count for k, v in shares.items()},
        folds_other=other > 0,
    )
