"""The ``evaluate:`` section of keel.yaml: how much evidence an evaluation gathers.

Example:
    >>> spec = EvaluateSpec.model_validate({"bootstrap": 500, "immutable": ["age"]})
    >>> spec.bootstrap, spec.confidence, spec.min_group_size
    (500, 0.95, 30)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EvaluateSpec"]


class EvaluateSpec(BaseModel):
    """Evaluation settings; every one has a default a sceptical reviewer accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Bootstrap resamples behind every metric's confidence interval.
    bootstrap: int = Field(1000, ge=100, le=100_000)
    #: Coverage of the confidence intervals.
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    #: Seed of the bootstrap, the SHAP sample and the permutations.
    seed: int = Field(0, ge=0)
    #: Groups smaller than this are flagged as too small to judge (fairness, slices).
    min_group_size: int = Field(30, ge=1)
    #: Rows SHAP explains (a seeded sample when the data holds more).
    explain_rows: int = Field(10_000, ge=10)
    #: Features a counterfactual may not change (age, a protected attribute...).
    immutable: list[str] = Field(default_factory=list)
    #: Significance level of the model comparison (after Holm's correction).
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
