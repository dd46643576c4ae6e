"""A Markdown model card in the sections of Mitchell et al., "Model Cards for Model
Reporting": model details, intended use, factors, metrics, evaluation data, training data,
quantitative analyses, ethical considerations, caveats and recommendations.

The card states only what it is given: it prints no number that is not in its content
(rounded to four significant digits), and marks each part a person must write as
**Not provided**, saying what belongs there.

Example:
    >>> content = ModelCardContent(
    ...     "churn", metrics=[{"name": "roc_auc", "value": 0.91, "low": 0.89, "high": 0.93}]
    ... )
    >>> card = model_card(content)
    >>> card.splitlines()[0], "| roc_auc | 0.91 | 0.89 | 0.93 |" in card
    ('# Model card: churn', True)
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._html import format_value

__all__ = ["ModelCardContent", "model_card"]

_NO_GROUPS = (
    "No sensitive columns were declared (data.sensitive), so no results are broken down "
    "by group. Declare the columns that identify people the model may treat differently "
    "to get a fairness analysis."
)

_ETHICS_HINT = (
    "Describe risks to people affected by the model's decisions, sensitive data it uses, "
    "and how harms are mitigated."
)
_CAVEATS = "keel recorded none. Add known limitations and advice for users of the model."


@dataclass(frozen=True)
class ModelCardContent:
    """What a model card says. Every field but the name may be left out.

    Attributes:
        model_name, description, version, run_id, created, task, algorithm, keel_version:
            model details (``created`` as text, e.g. an ISO date).
        intended_use, out_of_scope, ethical_considerations: written by the model's owner.
        data_snapshot, training_rows, evaluation_rows, evaluation_data: the data
            (``evaluation_data`` describes the split, e.g. "a 20% time-ordered holdout").
        metrics: one dict per metric with name, value, low and high (low/high may be None).
        interval: what low and high are, e.g. "95% bootstrap CI".
        sensitive: the declared sensitive columns.
        fairness: one row per group (dicts or a DataFrame), columns as given.
        caveats: limitations and advice, e.g. flagged small groups, failed gates.
    """

    model_name: str
    description: str | None = None
    version: str | None = None
    run_id: str | None = None
    created: str | None = None
    task: str | None = None
    algorithm: str | None = None
    keel_version: str | None = None
    intended_use: str | None = None
    out_of_scope: str | None = None
    data_snapshot: str | None = None
    training_rows: int | None = None
    evaluation_rows: int | None = None
    evaluation_data: str | None = None
    metrics: Sequence[Mapping[str, Any]] = ()
    interval: str | None = None
    sensitive: Sequence[str] = ()
    fairness: Sequence[Mapping[str, Any]] | pd.DataFrame = ()
    ethical_considerations: str | None = None
    caveats: Sequence[str] = ()

    def __post_init__(self) -> None:
        unnamed = [i for i, row in enumerate(self.metrics) if not row.get("name")]
        if unnamed:
            raise EvaluationError(
                "Each metric row of a model card needs a 'name' (with value, low and high); "
                f"rows {unnamed[:5]} have none.",
                field="metrics",
            )


def model_card(card: ModelCardContent) -> str:
    """The model card as Markdown (user text is HTML-escaped, so it renders as text)."""
    parts = [
        f"# Model card: {_text(card.model_name)}",
        "Sections follow *Model Cards for Model Reporting* (Mitchell et al.). Parts marked "
        "**Not provided** are for the model's owner to write.",
        *_details(card),
        *_intended_use(card),
        *_factors(card),
        *_metrics(card),
        *_data(card),
        *_analyses(card),
        "## Ethical considerations",
        _given(card.ethical_considerations, _ETHICS_HINT),
        "## Caveats and recommendations",
        "\n".join(f"- {_text(c)}" for c in card.caveats) if card.caveats else _missing(_CAVEATS),
    ]
    return "\n\n".join(parts) + "\n"


def _details(card: ModelCardContent) -> list[str]:
    facts = {
        "Description": card.description,
        "Version": card.version,
        "Run": card.run_id,
        "Created": card.created,
        "Task": card.task,
        "Algorithm": card.algorithm,
        "Built with": None if card.keel_version is None else f"keel {card.keel_version}",
    }
    lines = [f"- **{label}:** {_given(value, '')}" for label, value in facts.items()]
    return ["## Model details", "\n".join(lines)]


def _intended_use(card: ModelCardContent) -> list[str]:
    use = _given(card.intended_use, "Describe the decisions this model supports and who uses it.")
    scope = _given(
        card.out_of_scope,
        "Describe uses the model was not built or evaluated for (other populations, time "
        "periods or decisions).",
    )
    return [
        "## Intended use",
        f"**Primary intended uses.** {use}",
        f"**Out-of-scope uses.** {scope}",
    ]


def _factors(card: ModelCardContent) -> list[str]:
    if not card.sensitive:
        return ["## Factors", _NO_GROUPS]
    columns = ", ".join(f"`{_cell(c)}`" for c in card.sensitive)
    return [
        "## Factors",
        f"Results are broken down by the declared sensitive columns (data.sensitive): "
        f"{columns}. Other relevant factors (instruments, environments): "
        + _missing("Describe conditions under which the model's performance may differ."),
    ]


def _metrics(card: ModelCardContent) -> list[str]:
    names = [str(row.get("name", "")) for row in card.metrics]
    if not names:
        return ["## Metrics", "No metrics were given."]
    listed = ", ".join(f"`{_cell(name)}`" for name in names)
    bounds = f" Low and high are the bounds of the {_text(card.interval)}." if card.interval else ""
    return ["## Metrics", f"Measured on the evaluation data: {listed}.{bounds}"]


def _data(card: ModelCardContent) -> list[str]:
    snapshot = _given(card.data_snapshot, "")
    return [
        "## Evaluation data",
        f"- **Data snapshot:** {snapshot}\n"
        f"- **Rows:** {_given(card.evaluation_rows, '')}\n"
        f"- **Split:** {_given(card.evaluation_data, 'Describe how evaluation rows were chosen.')}",
        "## Training data",
        f"- **Data snapshot:** {snapshot}\n- **Rows:** {_given(card.training_rows, '')}",
    ]


def _analyses(card: ModelCardContent) -> list[str]:
    parts = ["## Quantitative analyses", "### Overall"]
    if card.metrics:
        rows = [[r.get("name"), r.get("value"), r.get("low"), r.get("high")] for r in card.metrics]
        parts.append(_table(["Metric", "Value", "Low", "High"], rows))
    else:
        parts.append("No metrics were given.")
    parts.append("### By group")
    groups = pd.DataFrame(card.fairness)
    if groups.empty:
        parts.append(_NO_GROUPS if not card.sensitive else "No group results were given.")
    else:
        parts.append(_table([str(c) for c in groups.columns], groups.to_numpy(object).tolist()))
    return parts


def _given(value: Any, hint: str) -> str:
    return _missing(hint) if value is None or value == "" else _text(value)


def _missing(hint: str) -> str:
    """The marker for a part the card was not given, with what belongs there."""
    return f"**Not provided.** {hint}".rstrip()


def _text(value: Any) -> str:
    """A value as card text, escaped so Markdown renderers show it rather than run it."""
    return html.escape(format_value(value), quote=False)


def _cell(value: Any) -> str:
    """A table cell: ``text`` with pipes and line breaks escaped."""
    return _text(value).replace("|", "\\|").replace("\n", " ")


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = [columns, ["---"] * len(columns), *rows]
    return "\n".join("| " + " | ".join(_cell(v) for v in line) + " |" for line in lines)
