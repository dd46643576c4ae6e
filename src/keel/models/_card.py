"""The model card (``card.md``), written from the manifest: what the model predicts, from
which inputs, how well, what it is made of and where it came from.

Only facts the package holds go in; a section with nothing known is left out rather than
filled with a placeholder for someone to complete.

Example:
    >>> manifest = {"task": "binary", "classes": [0, 1], "metric": "roc_auc",
    ...             "description": "lightgbm", "metrics": {"roc_auc": 0.97}, "members": [],
    ...             "feature_names": ["x"], "lineage": {}, "onnx": {"file": None}}
    >>> print(render_card(manifest, []).splitlines()[0])
    # Model card: binary classification (lightgbm)
"""

from __future__ import annotations

from typing import Any

from keel.data import ColumnSchema

__all__ = ["render_card"]

_TASKS = {
    "binary": "binary classification",
    "multiclass": "multiclass classification",
    "regression": "regression",
}


def render_card(manifest: dict[str, Any], inputs: list[ColumnSchema]) -> str:
    """The card's Markdown for ``manifest``; ``inputs`` are the schema's feature columns."""
    sections = [
        _title(manifest),
        _output(manifest),
        _inputs(inputs, manifest.get("feature_names") or []),
        _metrics(manifest.get("metrics") or {}, manifest.get("metric")),
        _model(manifest),
        _lineage(manifest.get("lineage") or {}),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _title(manifest: dict[str, Any]) -> str:
    task = _TASKS.get(manifest["task"], manifest["task"])
    return f"# Model card: {task} ({manifest.get('description', 'model')})"


def _output(manifest: dict[str, Any]) -> str:
    classes = manifest.get("classes")
    if classes:
        labels = ", ".join(f"`{c}`" for c in classes)
        return f"## Output\n\nProbabilities of the classes {labels}; the label is the likeliest."
    return "## Output\n\nOne predicted value per row."


def _inputs(inputs: list[ColumnSchema], feature_names: list[str]) -> str:
    if not inputs:
        return ""
    rows = [f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} |" for c in inputs]
    table = "\n".join(["| column | type | may be null |", "|---|---|---|", *rows])
    derived = f"\n\nThe feature pipeline turns them into {len(feature_names)} model features."
    return f"## Inputs\n\n{table}" + (derived if feature_names else "")


def _metrics(metrics: dict[str, Any], selected_on: str | None) -> str:
    lines = [f"| {name} | {_value(value)} |" for name, value in sorted(metrics.items())]
    if not lines:
        return f"## Metrics\n\nSelected on {selected_on}." if selected_on else ""
    chosen = f"\n\nSelected on {selected_on}." if selected_on else ""
    return "## Metrics\n\n" + "\n".join(["| metric | value |", "|---|---|", *lines]) + chosen


def _model(manifest: dict[str, Any]) -> str:
    members = [f"- {m['family']} ({m['format']}, `{m['file']}`)" for m in manifest["members"]]
    onnx = manifest.get("onnx") or {}
    graph = (
        f"ONNX graph `{onnx['file']}`, parity-checked on the holdout."
        if onnx.get("file")
        else f"No ONNX graph: {onnx.get('reason') or 'not exported'}."
    )
    return "## Model\n\n" + "\n".join([*members, "", graph]).strip()


def _lineage(lineage: dict[str, Any]) -> str:
    facts = [
        (label, lineage.get(key))
        for label, key in (
            ("Run", "run_id"),
            ("Data snapshot", "snapshot_id"),
            ("Code commit", "git_commit"),
            ("Created", "created_at"),
            ("Imported from", "imported_from"),
        )
    ]
    lines = [f"- {label}: `{value}`" for label, value in facts if value]
    if lineage.get("parents"):
        lines.append("- Retrained from: " + ", ".join(f"`{p}`" for p in lineage["parents"]))
    packages = lineage.get("packages") or {}
    if packages:
        lines.append("- Libraries: " + ", ".join(f"{n} {v}" for n, v in sorted(packages.items())))
    return "## Lineage\n\n" + "\n".join(lines) if lines else ""


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
