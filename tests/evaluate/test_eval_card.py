"""The Markdown model card: Mitchell et al.'s sections in order, only the numbers it was
given, "Not provided" where a person must write, escaped user text."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from keel.errors import EvaluationError
from keel.evaluate._card import ModelCardContent, model_card
from keel.evaluate._html import format_value

SECTIONS = [
    "## Model details",
    "## Intended use",
    "## Factors",
    "## Metrics",
    "## Evaluation data",
    "## Training data",
    "## Quantitative analyses",
    "## Ethical considerations",
    "## Caveats and recommendations",
]
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def full_content() -> ModelCardContent:
    return ModelCardContent(
        model_name="churn-model",
        description="Predicts which customers cancel next month.",
        version="7",
        run_id="run-4821",
        created="2024-05-17T10:03:00Z",
        task="binary",
        algorithm="blend of lightgbm, logistic",
        keel_version="0.1.0",
        intended_use="Rank customers for retention calls.",
        out_of_scope="Pricing decisions.",
        data_snapshot="snap-9f3c",
        training_rows=48213,
        evaluation_rows=12054,
        evaluation_data="A time-ordered holdout of the last quarter.",
        metrics=[
            {"name": "roc_auc", "value": 0.873456, "low": 0.861234, "high": 0.884321},
            {"name": "log_loss", "value": 0.3821, "low": None, "high": None},
        ],
        interval="95% bootstrap CI",
        sensitive=["sex"],
        fairness=pd.DataFrame(
            {"group": ["female", "male"], "selection_rate": [0.2135, 0.2471], "n": [6011, 6043]}
        ),
        ethical_considerations="Calls are a benefit; missing a group withholds it.",
        caveats=["Group 'other' has 12 rows; its metrics are unreliable."],
    )


def given_numbers(content: ModelCardContent) -> set[str]:
    """Every number token in the content, as written and as the card formats it."""
    strings: list[str] = []
    for value in vars(content).values():
        if isinstance(value, pd.DataFrame):
            strings += [format_value(v) for v in value.to_numpy().ravel()]
        elif isinstance(value, list | tuple):
            for item in value:
                values = item.values() if isinstance(item, dict) else [item]
                strings += [format_value(v) for v in values] + [str(v) for v in values]
        elif value is not None:
            strings += [str(value), format_value(value)]
    return {token for text in strings for token in NUMBER.findall(text)}


def test_every_mitchell_section_in_order() -> None:
    card = model_card(full_content())
    positions = [card.index(heading + "\n") for heading in SECTIONS]
    assert positions == sorted(positions)
    assert card.startswith("# Model card: churn-model\n")


def test_the_card_prints_only_numbers_it_was_given() -> None:
    content = full_content()
    printed = set(NUMBER.findall(model_card(content)))
    assert printed and printed <= given_numbers(content)
    assert "| roc_auc | 0.8735 | 0.8612 | 0.8843 |" in model_card(content)


def test_an_empty_card_prints_no_number_and_marks_what_is_missing() -> None:
    card = model_card(ModelCardContent("churn"))
    assert not re.search(r"\d", card)
    for heading in SECTIONS:
        assert heading in card
    assert "**Primary intended uses.** **Not provided.** Describe" in card
    assert "**Out-of-scope uses.** **Not provided.**" in card
    assert "## Ethical considerations\n\n**Not provided.**" in card
    assert "No metrics were given." in card


def test_without_sensitive_columns_the_card_says_so() -> None:
    card = model_card(ModelCardContent("churn"))
    assert card.count("No sensitive columns were declared (data.sensitive)") == 2


def test_declared_sensitive_columns_without_results() -> None:
    card = model_card(ModelCardContent("churn", sensitive=["age_band"]))
    assert "`age_band`" in card and "No group results were given." in card


def test_fairness_rows_as_dicts_become_a_table() -> None:
    rows = [{"group": "a|b", "tpr": 0.5, "flag": True}, {"group": "c", "tpr": None, "flag": False}]
    card = model_card(ModelCardContent("m", sensitive=["g"], fairness=rows))
    assert (
        "| group | tpr | flag |\n| --- | --- | --- |\n| a\\|b | 0.5 | yes |\n| c | — | no |" in card
    )


def test_user_text_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    card = model_card(ModelCardContent(hostile, description=hostile, caveats=[hostile]))
    assert "<script>" not in card
    assert card.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3


def test_a_metric_row_needs_a_name() -> None:
    with pytest.raises(EvaluationError, match=r"rows \[1\] have none") as raised:
        ModelCardContent("m", metrics=[{"name": "auc", "value": 0.9}, {"value": 0.1}])
    assert raised.value.field == "metrics"
