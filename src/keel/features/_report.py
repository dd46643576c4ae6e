"""What a fitted feature pipeline did: which inputs it used and how, what it made, what it
dropped and why, and which features look like they leak the target."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from keel.features._build import Plan

__all__ = ["LEAK_MARK", "FeatureReport", "build_report"]

#: Starts the report line of a feature that may leak the target.
LEAK_MARK = "LEAK?"


@dataclass(frozen=True)
class FeatureReport:
    """The account of one fitted FeaturePipeline.

    Attributes:
        inputs: input column -> its kind (numeric, categorical, datetime, text).
        steps: branch name -> (what it does, its input columns, how many features it made).
        outputs: the output feature names, in order.
        dropped: a column or feature left out -> the reason.
        interactions: what ``interactions: auto`` tried, with the CV gain and the verdict.
        leaky: output features that alone predict the target almost perfectly.
    """

    inputs: dict[str, str]
    steps: dict[str, tuple[str, list[str], int]]
    outputs: list[str]
    dropped: dict[str, str] = field(default_factory=dict)
    interactions: list[dict[str, Any]] = field(default_factory=list)
    leaky: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        """A plain-text summary for the terminal."""
        lines = [f"{len(self.inputs)} input columns -> {len(self.outputs)} features"]
        for name, (what, columns, width) in self.steps.items():
            shown = ", ".join(columns[:6]) + (", …" if len(columns) > 6 else "")
            lines.append(f"  {name}: {what} on {shown} -> {width} features")
        lines += [f"  {finding}" for finding in self.findings()]
        return "\n".join(lines)

    def findings(self) -> list[str]:
        """One line per column or feature dropped, interaction tried, and possible leak."""
        lines = [f"dropped {name}: {reason}" for name, reason in self.dropped.items()]
        for tried in self.interactions:
            verdict = "kept" if tried.get("kept") else "not kept"
            lines.append(f"interaction {tried.get('name')}: {verdict} ({tried.get('reason')})")
        lines += [f"{LEAK_MARK} {finding['message']}" for finding in self.leaky]
        return lines


def build_report(
    plan: Plan, columns: Any, after: list[tuple[str, Any]], names: list[str], leaky: list[Any]
) -> FeatureReport:
    steps = {}
    for name, step, inputs in columns.transformers_:
        if isinstance(step, str):
            continue
        where = columns.output_indices_[name]
        width = where.stop - where.start
        steps[name] = (_describe(step), list(inputs), width)
    dropped = dict(plan.excluded)
    for _, step in after:
        dropped.update(getattr(step, "dropped_", {}))
    tried = []
    for _, step, _inputs in columns.transformers_:
        for entry in getattr(step, "report_", []) or []:
            tried.append(asdict(entry))
    return FeatureReport(
        inputs=dict(plan.kinds),
        steps=steps,
        outputs=list(names),
        dropped=dropped,
        interactions=tried,
        leaky=[asdict(f) for f in leaky],
    )


def _describe(step: Any) -> str:
    inner = getattr(step, "steps", None)
    if inner is not None:
        return " -> ".join(_describe(s) for _, s in inner)
    return type(step).__name__
