"""Tree ensembles into shared libraries: each member through treelite's frontend for its
library, then tl2cgen's C code generator and the system C compiler.

Members treelite loads: LightGBM (a fitted LGBMModel or a package's Booster), XGBoost, and
scikit-learn's random forests, extra trees, gradient boosting and histogram gradient
boosting. Anything else is `Uncompilable`, with the reason.

Example:
    >>> try:
    ...     treelite_model(object())
    ... except Uncompilable as exc:
    ...     print(exc)
    object is not a tree ensemble treelite loads (LightGBM, XGBoost, scikit-learn trees)
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MemberLayout",
    "Uncompilable",
    "as_output",
    "build_library",
    "member_layout",
    "treelite_model",
]

_SKLEARN_TREES = (
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
)


class Uncompilable(Exception):
    """A member that cannot be compiled; the message says why."""


@dataclass(frozen=True)
class MemberLayout:
    """How a member's compiled library reads and answers, beside its native model.

    ``float32``: scikit-learn trees compare float32 features (the estimator casts its
    input), so the compiled library must see the same rounded values.
    """

    float32: bool

    def to_manifest(self) -> dict[str, Any]:
        return {"input": "float32" if self.float32 else "float64"}

    @classmethod
    def from_manifest(cls, record: dict[str, Any]) -> MemberLayout:
        return cls(float32=record.get("input") == "float32")


def member_layout(estimator: Any) -> MemberLayout:
    """The layout of ``estimator``'s compiled library."""
    return MemberLayout(float32=type(estimator).__name__ in _SKLEARN_TREES)


def treelite_model(estimator: Any) -> Any:
    """The treelite Model of a fitted tree ensemble.

    Raises:
        Uncompilable: the estimator is no tree ensemble treelite loads, or treelite refused it.
    """
    name = type(estimator).__name__
    try:
        with _quiet():
            return _frontend(estimator, name)
    except Uncompilable:
        raise
    except Exception as exc:  # treelite's own error types, and its refusals of a model kind
        raise Uncompilable(f"treelite cannot load this {name}: {exc}") from None


def _frontend(estimator: Any, name: str) -> Any:
    import treelite

    booster = getattr(estimator, "booster_", None)  # LGBMModel and keel's LightGBMMember
    if booster is not None and type(booster).__module__.startswith("lightgbm"):
        return treelite.frontend.from_lightgbm(booster)
    if callable(getattr(estimator, "get_booster", None)):  # XGBClassifier / XGBRegressor
        return treelite.frontend.from_xgboost(estimator.get_booster())
    if name in _SKLEARN_TREES:
        import treelite.sklearn

        return treelite.sklearn.import_model(estimator)
    raise Uncompilable(
        f"{name} is not a tree ensemble treelite loads (LightGBM, XGBoost, scikit-learn trees)"
    )


def build_library(model: Any) -> bytes:
    """The shared library tl2cgen builds from the treelite ``model`` with the C compiler.

    Raises:
        Uncompilable: code generation or the compiler failed (the message carries its error).
    """
    import tl2cgen

    with tempfile.TemporaryDirectory(prefix="keel-compile-") as folder:
        path = Path(folder) / "model.so"
        try:
            with _quiet():
                _export(tl2cgen, model, path)
        except Exception as exc:  # tl2cgen's error, or the compiler's exit status
            raise Uncompilable(f"tl2cgen could not build the library: {exc}") from None
        return path.read_bytes()


def _export(tl2cgen: Any, model: Any, path: Path) -> None:
    # parallel_comp splits the trees over several C files, which the compiler builds in
    # parallel, faster than one large file.
    tl2cgen.export_lib(model, toolchain="gcc", libpath=str(path), params={"parallel_comp": 4})


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """treelite and tl2cgen print their native logs (which files they wrote, a note that
    tl2cgen's bundled treelite is older than the model's) to stdout and as warnings."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def as_output(raw: np.ndarray, task: str) -> np.ndarray:
    """A library's outputs as keel's member output: probabilities (n, n_classes) in classes
    order (a binary library gives the positive class only), or values (n,)."""
    if task == "regression":
        return raw[:, 0]
    if raw.shape[1] == 1:
        return np.hstack((1.0 - raw, raw))
    return raw
