"""keel's built-in drift methods. ``ks`` and ``chi2`` are tests (drift when the p-value is
below the threshold, 0.05); ``wasserstein``, ``psi`` and ``jensenshannon`` are distances
(drift when above the threshold, 0.1), so large samples do not flag tiny shifts."""

from __future__ import annotations

from keel.monitoring._current import CurrentColumn
from keel.monitoring._methods import DriftMethod, MethodResult, _register
from keel.monitoring._stats_categorical import chi_square, cramers_v
from keel.monitoring._stats_numeric import jensen_shannon, ks_test, psi, wasserstein


class KolmogorovSmirnov(DriftMethod):
    """Two-sample KS test; its distance is the KS statistic."""

    kinds = frozenset({"numeric"})
    default_threshold = 0.05
    flags = "below"
    needs_values = True

    def compute(self, current: CurrentColumn) -> MethodResult:
        assert current.reference.values is not None
        statistic, p_value = ks_test(current.reference.values, current.values, current.cdfs)
        return MethodResult(statistic, p_value, statistic)


class Wasserstein(DriftMethod):
    """Wasserstein distance divided by the reference's standard deviation (raw distance
    as the statistic); the KS p-value rides along to show significance."""

    kinds = frozenset({"numeric"})
    needs_values = True

    def compute(self, current: CurrentColumn) -> MethodResult:
        reference = current.reference
        assert reference.values is not None
        raw = wasserstein(current.cdfs)
        _, p_value = ks_test(reference.values, current.values, current.cdfs)
        if reference.std > 0:
            return MethodResult(raw, p_value, raw / reference.std)
        note = "The reference column is constant (std 0): the distance is not normalised."
        return MethodResult(raw, p_value, raw, note)


class PopulationStability(DriftMethod):
    """PSI on reference-quantile bins (numeric) or on categories."""

    def compute(self, current: CurrentColumn) -> MethodResult:
        ref, cur = current.bin_shares
        value = psi(ref, cur)
        return MethodResult(value, _companion_p(current), value)


class JensenShannon(DriftMethod):
    """Jensen-Shannon distance (base 2) on reference-quantile bins or on categories."""

    def compute(self, current: CurrentColumn) -> MethodResult:
        ref, cur = current.bin_shares
        value = jensen_shannon(ref, cur)
        return MethodResult(value, _companion_p(current), value)


class ChiSquare(DriftMethod):
    """Chi-square test on the 2 x K table of category counts; distance is Cramér's V."""

    kinds = frozenset({"categorical"})
    default_threshold = 0.05
    flags = "below"

    def compute(self, current: CurrentColumn) -> MethodResult:
        _, ref, cur = current.category_table
        statistic, p_value = chi_square(ref, cur)
        n_total = float(ref.sum() + cur.sum())
        return MethodResult(statistic, p_value, cramers_v(statistic, n_total, len(ref)))


def _companion_p(current: CurrentColumn) -> float | None:
    """The test p-value shown next to a distance: KS (numeric, when the reference has
    values) or chi-square (categorical)."""
    reference = current.reference
    if reference.kind == "categorical":
        _, ref, cur = current.category_table
        return chi_square(ref, cur)[1]
    if reference.values is None or reference.values.size == 0:
        return None
    return ks_test(reference.values, current.values, current.cdfs)[1]


for _name, _cls in (
    ("ks", KolmogorovSmirnov),
    ("wasserstein", Wasserstein),
    ("psi", PopulationStability),
    ("jensenshannon", JensenShannon),
    ("chi2", ChiSquare),
):
    _register(_name, _cls, builtin=True)
