"""Member models in their safe native formats: which format each estimator gets, and the
manifest record that lets a loaded member predict exactly as it did in training.

Formats, by estimator: LightGBM text (``.lgb.txt``), XGBoost JSON (``.xgb.json``), CatBoost
``.cbm``, and skops (``.skops``) for scikit-learn estimators, pipelines and the stacker.
The record keeps the catalog's build context (the estimator's ``_keel``: task, number of
classes, classes a fit re-coded), so a catalog family pads missing classes after loading
as it did before saving.

Example:
    >>> from sklearn.linear_model import Ridge
    >>> member = dump_member(0, "linear", {"alpha": 1.0}, Ridge().fit([[0.0], [1.0]], [0, 1]))
    >>> member.file, member.record["format"]
    ('members/0.skops', 'skops')
    >>> load_member(member.record, member.data).predict([[2.0]]).tolist()
    [1.0]
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from keel.errors import PackageError
from keel.models._manifest_json import jsonable
from keel.models._native_catboost import dump_catboost, is_catboost, load_catboost
from keel.models._native_lightgbm import dump_lightgbm, is_lightgbm, load_lightgbm
from keel.models._native_skops import dumps_skops, loads_skops
from keel.models._native_xgboost import dump_xgboost, is_xgboost, load_xgboost
from keel.train._catalog_common import Context

__all__ = ["FORMATS", "MemberFile", "dump_member", "dump_skops_object", "load_member"]

#: Member formats and the file suffix of each.
FORMATS = {
    "lightgbm-text": ".lgb.txt",
    "xgboost-json": ".xgb.json",
    "catboost-cbm": ".cbm",
    "skops": ".skops",
}


@dataclass(frozen=True)
class MemberFile:
    """One member as written: its path in the package, its bytes and its manifest record."""

    file: str
    data: bytes
    record: dict[str, Any]


def dump_member(index: int, family: str, params: dict[str, Any], estimator: Any) -> MemberFile:
    """Member ``index`` as a file in its native format and its manifest record."""
    fmt = _format_of(estimator)
    file = f"members/{index}{FORMATS[fmt]}"
    record = {
        "family": family,
        "params": jsonable(params),
        "file": file,
        "format": fmt,
        "estimator": _estimator_name(estimator),
        "classes": _classes_of(estimator),
        "context": _context_record(estimator),
    }
    return MemberFile(file, _dump(fmt, estimator, file), record)


def dump_skops_object(obj: Any, *, file: str, drop: tuple[str, ...] = ()) -> bytes:
    """``obj`` in skops format without the attributes in ``drop`` (on a shallow copy)."""
    return dumps_skops(_without(obj, ("_keel", *drop)), file=file)


def load_member(record: dict[str, Any], data: bytes) -> Any:
    """The estimator of a member ``record`` from its verified file ``data``.

    Raises:
        PackageError: an unknown format, or a file its format's reader refuses.
    """
    fmt, file = record["format"], record["file"]
    if fmt == "lightgbm-text":
        estimator: Any = load_lightgbm(data, classes=record.get("classes"), file=file)
    elif fmt == "xgboost-json":
        estimator = load_xgboost(data, estimator=str(record.get("estimator")), file=file)
    elif fmt == "catboost-cbm":
        estimator = load_catboost(data, estimator=str(record.get("estimator")), file=file)
    elif fmt == "skops":
        estimator = loads_skops(data, file=file)
    else:
        raise PackageError(
            f"{file}: the member format must be one of {', '.join(FORMATS)}. Got {fmt!r} "
            "instead; a newer keel may have written it.",
            file=file,
        )
    context = record.get("context")
    if context is not None:
        estimator._keel = _context_from(context)
    return estimator


def _format_of(estimator: Any) -> str:
    if is_lightgbm(estimator):
        return "lightgbm-text"
    if is_xgboost(estimator):
        return "xgboost-json"
    if is_catboost(estimator):
        return "catboost-cbm"
    return "skops"


def _dump(fmt: str, estimator: Any, file: str) -> bytes:
    if fmt == "lightgbm-text":
        return dump_lightgbm(estimator)
    if fmt == "xgboost-json":
        return dump_xgboost(estimator)
    if fmt == "catboost-cbm":
        return dump_catboost(estimator)
    # The context goes in the manifest: as a keel object inside skops it would tie the
    # file to keel's private class layout.
    return dump_skops_object(estimator, file=file)


def _estimator_name(estimator: Any) -> str:
    return type(estimator).__name__


def _classes_of(estimator: Any) -> list[Any] | None:
    """The labels of the estimator's probability columns, None for a regressor."""
    try:
        classes = getattr(estimator, "classes_", None)
    except AttributeError:  # some wrappers raise from the property itself
        classes = None
    return None if classes is None else jsonable(np.asarray(classes).tolist())


def _context_record(estimator: Any) -> dict[str, Any] | None:
    context = getattr(estimator, "_keel", None)
    if not isinstance(context, Context):
        return None
    record = asdict(context)
    record["classes"] = None if context.classes is None else np.asarray(context.classes).tolist()
    return jsonable(record)


def _context_from(record: dict[str, Any]) -> Context:
    try:
        context = Context(**record)
    except TypeError as exc:
        raise PackageError(f"A member's build context is malformed: {exc}.") from None
    if context.classes is not None:
        context.classes = np.asarray(context.classes)
    return context


def _without(obj: Any, names: tuple[str, ...]) -> Any:
    state = getattr(obj, "__dict__", None)
    if state is None or not any(name in state for name in names):
        return obj
    trimmed = copy.copy(obj)
    for name in names:
        trimmed.__dict__.pop(name, None)
    return trimmed
