"""river's own detectors behind keel's interface (``concept_detector(..., backend="river")``).

One value at a time even in ``update_many``: river has no batch path. The change point is
the alarm's index, as river does not estimate one.
"""

from __future__ import annotations

from typing import Any

from keel.monitoring._concept import ConceptDetector, Floats

__all__ = ["RiverDetector"]


def _river_class(name: str) -> Any:
    from river import drift

    return {
        "adwin": drift.ADWIN,
        "ddm": drift.binary.DDM,
        "eddm": drift.binary.EDDM,
        "page_hinkley": drift.PageHinkley,
    }[name]


class RiverDetector(ConceptDetector):
    """A river drift detector, named like keel's, with river's parameters and defaults."""

    def __init__(self, name: str, **params: Any) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]
        self.binary = name in ("ddm", "eddm")  # type: ignore[misc]
        self.detector = _river_class(name)(**params)
        #: river's settings, its defaults filled in.
        self.river_params: dict[str, Any] = dict(self.detector._get_params())

    def _step(self, x: float, index: int) -> int | None:
        self.detector.update(x)
        return index if self.detector.drift_detected else None

    def _scan(self, chunk: Floats, start: int) -> tuple[int, int] | None:
        update = self.detector.update
        for offset, x in enumerate(chunk.tolist()):
            update(x)
            if self.detector.drift_detected:
                return offset, start + offset
        return None
