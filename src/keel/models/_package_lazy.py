"""A package's model as the predictor first needs it: task, classes and signature from the
manifest, the native members only when something asks for them.

Why: on the ONNX path a server never runs the native model for one record, and loading it
imports LightGBM, scikit-learn and the train catalog — about half of `keel serve`'s cold
start and tens of MB of resident memory (docs/benchmarks.md, issue 8).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LazyTrained"]


class LazyTrained:
    """Stands in for ``package.trained()``: ``task``, ``classes`` and ``schema`` come from
    the verified manifest; any other attribute loads the native model (once, in the
    package) and answers from it."""

    def __init__(self, package: Any):
        self._package = package
        self.task: str = package.task
        self.classes: list[Any] | None = package.classes
        self.schema = package.schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self._package.trained(), name)

    def __repr__(self) -> str:
        return f"LazyTrained(task={self.task!r})"
