"""The libraries a package needs and their installed versions: the lineage's ``packages``
and the pinned ``requirements.txt``.

Versions come from the installed distributions (``importlib.metadata``), so they are
those that trained and wrote the model.

Example:
    >>> sorted(package_versions(["numpy", "surely-not-installed"]))
    ['numpy']
    >>> requirements_text({"numpy": "2.0.0", "keel": "0.1.0"})
    'keel==0.1.0\\nnumpy==2.0.0\\n'
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from typing import Any

__all__ = ["BASE_PACKAGES", "package_versions", "required_packages", "requirements_text"]

#: What every package needs to load and predict natively.
BASE_PACKAGES = ("keel", "numpy", "pandas", "scipy", "scikit-learn")
#: The library that reads each member format.
_FORMAT_PACKAGES = {
    "lightgbm-text": "lightgbm",
    "xgboost-json": "xgboost",
    "catboost-cbm": "catboost",
    "skops": "skops",
}
#: Distributions that install under another name (the CPU-only XGBoost wheel).
_ALTERNATIVES = {"xgboost": ("xgboost", "xgboost-cpu")}


def required_packages(member_formats: Iterable[str], *, onnx: bool) -> list[str]:
    """The distributions a package with members in ``member_formats`` needs, sorted."""
    names = set(BASE_PACKAGES)
    names.update(_FORMAT_PACKAGES[f] for f in member_formats if f in _FORMAT_PACKAGES)
    if onnx:
        names.update(("onnx", "onnxruntime"))
    return sorted(names)


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each distribution in ``names``, keyed by the distribution
    installed (``xgboost-cpu`` for ``xgboost`` where that wheel is the one installed); one
    that is not installed is left out (it cannot have trained the model)."""
    versions: dict[str, str] = {}
    for name in names:
        found = _installed(name)
        if found is not None:
            versions[found[0]] = found[1]
    return versions


def requirements_text(versions: dict[str, Any]) -> str:
    """``requirements.txt`` pinning each of ``versions`` exactly, one per line, sorted."""
    return "".join(f"{name}=={versions[name]}\n" for name in sorted(versions))


def _installed(name: str) -> tuple[str, str] | None:
    """(distribution, version) of ``name``, under the distribution name actually installed."""
    for distribution in _ALTERNATIVES.get(name, (name,)):
        try:
            return distribution, importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    if name == "keel":  # running from a source tree that was never installed
        from keel import __version__

        return name, __version__
    return None
