"""Group fairness reports (keel.evaluate._fairness*), checked against fairlearn called directly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score

from keel.errors import EvaluationError
from keel.evaluate._fairness import fairness, fairness_of
from keel.evaluate._outcomes import outcomes


def _biased(n: int = 1200, seed: int = 0):
    """Sex shifts the label rate and the score; race shifts it a little."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["A", "B"], n)})
    shift = 1.2 * (frame["sex"] == "M") + 0.3 * (frame["race"] == "B") - 0.7
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-shift))).astype(int)
    p = 1 / (1 + np.exp(-(shift + 1.5 * (y - 0.5) + rng.normal(scale=0.8, size=n))))
    return frame, y, p.to_numpy()


def _fairlearn(fn, y, decided, sensitive):
    return fn(y, decided, sensitive_features=sensitive)


SUMMARIES = {
    "demographic_parity_difference": demographic_parity_difference,
    "demographic_parity_ratio": demographic_parity_ratio,
    "equalized_odds_difference": equalized_odds_difference,
    "equal_opportunity_difference": equal_opportunity_difference,
}


def test_every_summary_equals_fairlearn_called_directly() -> None:
    frame, y, p = _biased()
    report = fairness(outcomes(y, p, task="binary"), frame)
    metrics = report.metrics()
    decided = (p >= 0.5).astype(int)
    for name, fn in SUMMARIES.items():
        by_scope = {
            scope: _fairlearn(fn, y, decided, sensitive)
            for scope, sensitive in [
                ("sex", frame["sex"]),
                ("race", frame["race"]),
                ("sex & race", frame[["sex", "race"]]),
            ]
        }
        for scope, expected in by_scope.items():
            assert metrics[f"{name}[{scope}]"] == pytest.approx(expected, abs=1e-12)
        worst = min if name.endswith("ratio") else max
        assert metrics[name] == pytest.approx(worst(by_scope.values()), abs=1e-12)
    assert metrics["demographic_parity_difference[sex]"] > 0.2  # the bias is there


def test_group_rows_equal_metric_frame_and_sklearn() -> None:
    frame, y, p = _biased(seed=1)
    decided = (p >= 0.5).astype(int)
    groups = fairness(outcomes(y, p, task="binary"), frame).groups()
    intersection = groups[groups["scope"] == "sex & race"].set_index("group")
    direct = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "accuracy": accuracy_score,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
        },
        y_true=y,
        y_pred=decided,
        sensitive_features=frame[["sex", "race"]],
    ).by_group
    for (sex, race), row in direct.iterrows():
        mine = intersection.loc[f"sex={sex} & race={race}"]
        for column, value in row.items():
            assert mine[column] == pytest.approx(value)
        rows = ((frame["sex"] == sex) & (frame["race"] == race)).to_numpy()
        assert mine["roc_auc"] == pytest.approx(roc_auc_score(y[rows], p[rows]))
        assert mine["count"] == rows.sum() and mine["share"] == pytest.approx(rows.mean())
    assert set(groups["scope"]) == {"sex", "race", "sex & race"}
    assert (groups["flag"] == "").all()


def test_small_groups_are_flagged_kept_and_left_out_of_summaries() -> None:
    frame, y, p = _biased(seed=2)
    frame.loc[:11, "race"] = "X"  # 12 rows
    report = fairness(outcomes(y, p, task="binary"), frame[["race"]])
    row = report.groups().set_index("group").loc["race=X"]
    assert row["count"] == 12 and row["flag"] == "12 rows < min_group_size 30"
    judged = (frame["race"] != "X").to_numpy()
    decided = (p >= 0.5).astype(int)
    expected = demographic_parity_difference(
        y[judged], decided[judged], sensitive_features=frame["race"][judged]
    )
    assert report.metrics()["demographic_parity_difference"] == pytest.approx(expected)
    assert report.scopes["race"].excluded["demographic_parity_difference"] == {
        "race=X": "12 rows < min_group_size 30"
    }
    assert "flagged race=X" in report.to_text()


def test_a_group_without_positives_counts_for_parity_but_not_for_odds() -> None:
    frame, y, p = _biased(seed=3)
    none_positive = (frame["race"] == "B").to_numpy()
    y = np.where(none_positive, 0, y)
    report = fairness(outcomes(y, p, task="binary"), frame[["race"]])
    row = report.groups().set_index("group").loc["race=B"]
    assert np.isnan(row["true_positive_rate"]) and "no positive labels" in row["flag"]
    excluded = report.scopes["race"].excluded
    assert excluded["demographic_parity_difference"] == {}
    assert "race=B" in excluded["equalized_odds_difference"]
    assert np.isnan(report.metrics()["equal_opportunity_difference"])
    with pytest.raises(EvaluationError, match=r"race=B \(no positive labels"):
        report.metric("equalized_odds_difference")


def test_one_class_in_every_group_makes_equalized_odds_an_error_naming_the_groups() -> None:
    scored = outcomes(["yes"] * 40 + ["no"] * 40, np.linspace(0.1, 0.9, 80), task="binary")
    report = fairness(scored, {"sex": ["F"] * 40 + ["M"] * 40})
    with pytest.raises(EvaluationError, match="equalized_odds_difference cannot be judged") as e:
        report.metric("equalized_odds_difference")
    assert "sex=F (no negative labels" in str(e.value)
    assert "sex=M (no positive labels" in str(e.value)
    assert report.metric("demographic_parity_difference") >= 0
    assert json.loads(json.dumps(report.to_dict()))["metrics"]["equalized_odds_difference"] is None


def test_missing_values_form_their_own_flagged_group() -> None:
    frame, y, p = _biased(seed=4)
    race = frame["race"].astype(object)
    race[:50] = None
    report = fairness(outcomes(y, p, task="binary"), {"race": race.to_numpy()})
    row = report.groups().set_index("group").loc["race=<missing>"]
    assert row["count"] == 50 and row["flag"] == "sensitive value missing"
    assert report.scopes["race"].excluded["demographic_parity_difference"] == {}


def test_threshold_moves_the_decisions() -> None:
    frame, y, p = _biased(seed=5)
    report = fairness(outcomes(y, p, task="binary"), frame["sex"], threshold=0.3)
    rates = report.groups().set_index("group")["selection_rate"]
    assert rates["sex=F"] == pytest.approx(np.mean(p[frame["sex"] == "F"] >= 0.3))
    assert report.threshold == 0.3


def test_multiclass_compares_accuracy_and_how_often_each_class_is_predicted() -> None:
    rng = np.random.default_rng(6)
    group = rng.choice(["a", "b"], 600)
    leaning = {"a": rng.dirichlet([4, 1, 1], 600), "b": rng.dirichlet([1, 1, 4], 600)}
    proba = np.where(group[:, None] == "a", leaning["a"], leaning["b"])
    y = np.array([rng.choice(3, p=row) for row in proba])
    labels = np.array(["x", "y", "z"])[y]
    report = fairness(outcomes(labels, proba, classes=["x", "y", "z"]), {"g": group})
    predicted = proba.argmax(axis=1)
    per_class = [
        demographic_parity_difference(y == c, predicted == c, sensitive_features=group)
        for c in range(3)
    ]
    assert report.metrics()["demographic_parity_difference"] == pytest.approx(max(per_class))
    rows = report.groups().set_index("group")
    assert rows.loc["g=a", "selection_rate[x]"] == pytest.approx(
        np.mean(predicted[group == "a"] == 0)
    )
    assert rows.loc["g=b", "accuracy"] == pytest.approx(np.mean((predicted == y)[group == "b"]))
    assert set(report.metrics()) >= {"demographic_parity_ratio", "accuracy_difference[g]"}


def test_regression_compares_errors_and_mean_predictions() -> None:
    rng = np.random.default_rng(7)
    group = rng.choice(["a", "b"], 400)
    y = rng.normal(size=400) + (group == "b")
    predicted = y + rng.normal(scale=np.where(group == "a", 0.2, 0.6))
    report = fairness(outcomes(y, predicted), pd.Series(group, name="g"))
    rows = report.groups().set_index("group")
    mae = {g: mean_absolute_error(y[group == g], predicted[group == g]) for g in "ab"}
    assert rows.loc["g=a", "mae"] == pytest.approx(mae["a"])
    metrics = report.metrics()
    assert metrics["mae_difference"] == pytest.approx(abs(mae["a"] - mae["b"]))
    gap = abs(predicted[group == "a"].mean() - predicted[group == "b"].mean())
    assert metrics["mean_prediction_difference[g]"] == pytest.approx(gap)
    assert {"rmse", "mean_target"} <= set(rows.columns)


def test_fairness_of_picks_columns_and_names_the_missing_one() -> None:
    frame, y, p = _biased(seed=8)
    scored = outcomes(y, p, task="binary")
    data = frame.assign(age=1, income=2)
    report = fairness_of(scored, data, columns=["sex"])
    assert report.columns == ("sex",)
    with pytest.raises(
        EvaluationError,
        match=r"The sensitive column 'gender' \(data.sensitive\) is not in the data. "
        r"Columns: sex, race, age, income.",
    ):
        fairness_of(scored, data, columns=["gender"])
    with pytest.raises(EvaluationError, match="No sensitive column was named"):
        fairness_of(scored, data, columns=[])


@pytest.mark.parametrize(
    ("sensitive", "message"),
    [
        (pd.DataFrame(index=range(10)), "No sensitive column was given"),
        ({"sex": ["F"] * 9}, "have 9 rows but the outcomes have 10"),
        ({"sex": ["F"] * 10, "race": ["A"] * 9}, r"differ in length \(sex: 10, race: 9\)"),
        (["sex"], r"column names \(sex\), not values; pass the data too"),
        (42, r"a Series or a dict of arrays \(one per sensitive column\). Got int instead"),
    ],
)
def test_bad_sensitive_input_raises(sensitive, message) -> None:
    scored = outcomes([0, 1] * 5, [0.3, 0.6] * 5, task="binary")
    with pytest.raises(EvaluationError, match=message):
        fairness(scored, sensitive)


def test_bad_settings_and_unknown_metric_raise() -> None:
    scored = outcomes([0, 1] * 5, [0.3, 0.6] * 5, task="binary")
    groups = {"g": ["a", "b"] * 5}
    with pytest.raises(EvaluationError, match=r"min_group_size must be an integer >= 1\. Got 0"):
        fairness(scored, groups, min_group_size=0)
    with pytest.raises(EvaluationError, match=r"threshold must be a number in \[0, 1\]. Got 2"):
        fairness(scored, groups, threshold=2)
    with pytest.raises(EvaluationError, match=r"'parity' is not a fairness metric.*Known: demog"):
        fairness(scored, groups, min_group_size=1).metric("parity")


def test_rows_align_by_position_and_the_report_serializes() -> None:
    frame, y, p = _biased(n=200, seed=9)
    shuffled_index = frame.set_index(np.arange(200)[::-1])
    report = fairness(outcomes(y, p, task="binary"), shuffled_index, min_group_size=5)
    assert (
        report.metrics()
        == fairness(outcomes(y, p, task="binary"), frame, min_group_size=5).metrics()
    )
    record = json.loads(json.dumps(report.to_dict()))
    assert record["columns"] == ["sex", "race"] and len(record["groups"]) == 8
    text = report.to_text()
    assert "[sex & race]" in text and "demographic_parity_difference" in text
