"""The domain classifier catches a joint shift that per-feature tests miss."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keel.errors import MonitoringError
from keel.monitoring import domain_classifier, drift_report


def _frames(rho: float, n: int = 3_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    reference["plan"] = rng.choice(["free", "pro", "team"], size=n)
    z = rng.normal(size=(n, 3))
    # b keeps its N(0, 1) marginal but follows a with correlation rho.
    b = rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1]
    current = pd.DataFrame({"a": z[:, 0], "b": b, "c": z[:, 2]})
    current["plan"] = rng.choice(["free", "pro", "team"], size=n)
    return reference, current


def test_correlation_change_is_caught_while_every_marginal_passes() -> None:
    reference, current = _frames(rho=0.9)
    per_feature = drift_report(reference, current)
    assert per_feature.drifted == []
    found = domain_classifier(reference, current, seed=0)
    assert found.drifted
    assert found.auc > 0.7 and found.p_value < 0.01
    assert found.threshold == max(found.null_threshold, found.min_auc)


def test_unshifted_data_is_not_flagged() -> None:
    reference, current = _frames(rho=0.0, seed=1)
    found = domain_classifier(reference, current, seed=0)
    assert not found.drifted
    assert 0.45 < found.auc < 0.55
    assert 0.5 < found.null_threshold < 0.53


def test_same_seed_same_answer_and_bounded_sample() -> None:
    reference, current = _frames(rho=0.5, n=4_000)
    first = domain_classifier(reference, current, max_rows=1_000, seed=3)
    second = domain_classifier(reference, current, max_rows=1_000, seed=3)
    assert first == second
    assert (first.n_reference, first.n_current) == (1_000, 1_000)
    assert first.to_dict()["columns"] == ["a", "b", "c", "plan"]


def test_a_shifted_category_share_and_missing_values_are_handled() -> None:
    reference, current = _frames(rho=0.0, seed=2)
    current["plan"] = np.where(np.arange(len(current)) % 2 == 0, "team", current["plan"])
    current.loc[::7, "a"] = np.nan
    found = domain_classifier(reference, current, columns=["a", "plan"], seed=0)
    assert found.drifted and found.columns == ("a", "plan")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"folds": 1}, "folds"),
        ({"alpha": 0.7}, "alpha"),
        ({"min_auc": 0.4}, "min_auc"),
        ({"n_permutations": 5}, "n_permutations"),
        ({"columns": ["nope"]}, "reference"),
    ],
)
def test_bad_settings_name_the_field(settings: dict, field: str) -> None:
    reference, current = _frames(rho=0.0, n=200)
    with pytest.raises(MonitoringError) as caught:
        domain_classifier(reference, current, **settings)
    assert caught.value.field == field


def test_a_window_too_small_to_cross_validate_says_so() -> None:
    reference, current = _frames(rho=0.0, n=200)
    with pytest.raises(MonitoringError, match="current data has 3 row"):
        domain_classifier(reference, current.head(3))
