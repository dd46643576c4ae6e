from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def customers(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A small churn table: numeric with gaps, categoricals with a rare value, a target."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows).astype(float)
    age[rng.random(rows) < 0.05] = np.nan
    income = rng.lognormal(10, 0.5, rows)
    plan = rng.choice(["free", "pro", "team"], rows, p=[0.6, 0.35, 0.05])
    plan[rng.random(rows) < 0.003] = "legacy"
    city = rng.choice([f"c{i}" for i in range(40)], rows)
    city = np.where(rng.random(rows) < 0.02, None, city)
    logit = (age - 45) / 20 + (plan == "pro") - np.log(income) / 10 + 1
    churned = (rng.random(rows) < 1 / (1 + np.exp(-np.nan_to_num(logit)))).astype(int)
    return pd.DataFrame(
        {"age": age, "income": income, "plan": plan, "city": city, "churned": churned}
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return customers()


@pytest.fixture
def make_customers():
    """``customers`` itself, for tests that need another size or seed."""
    return customers
