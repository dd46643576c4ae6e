"""Interactions: products, ratios and squares of raw numeric columns, named after them.

`Interactions` is a column step: it reads the raw numeric columns its settings name and
outputs one column per term, never its inputs (other steps output those):

- ``pairs=[("a", "b")]`` gives ``a*b``;
- ``ratios=[("a", "b")]`` gives ``a/b``, defined as ``a / b`` where ``|b| > 1e-12`` and
  ``0.0`` elsewhere, so a zero denominator is a value, not an error;
- ``polynomial=["a", "b"]`` gives the degree-2 terms of scikit-learn's
  ``PolynomialFeatures(degree=2, include_bias=False)`` without the degree-1 ones, named as
  scikit-learn names them with ``*`` for its space: ``a^2``, ``a*b``, ``b^2``.

Outputs come in that order: pairs, ratios, polynomial terms; a name met twice (``a*b`` as a
pair and as a polynomial term) is output once. A missing input (None, NaN, ``pd.NA``, a
missing key in a record) and a non-finite one (``inf``) become the column's median learned
by ``fit`` (0.0 when the column is all missing). A term that overflows is clipped to the
largest finite float64, so outputs are always finite. Booleans, strings and dates are not
numbers here: a column holding one is a `FeatureError`.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"age": [20.0, None, 40.0], "income": [1.0, 2.0, 0.0]})
    >>> step = Interactions(pairs=[("age", "income")], ratios=[("age", "income")]).fit(X)
    >>> step.get_feature_names_out().tolist()
    ['age*income', 'age/income']
    >>> step.transform(X).tolist()
    [[20.0, 20.0], [60.0, 15.0], [0.0, 0.0]]
    >>> step.record_function()({"age": 10, "income": None})
    [10.0, 10.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import PolynomialFeatures

from keel.errors import FeatureError
from keel.features._contract import check_fitted
from keel.features._interactions_terms import (
    Term,
    TermOutputs,
    check_frame,
    fill_missing,
    learn_medians,
    numeric_matrix,
    term_values,
)

if TYPE_CHECKING:
    from keel.features._interactions_auto import AutoInteractions, InteractionCandidate

__all__ = ["AutoInteractions", "InteractionCandidate", "Interactions"]

_OWNER = "features.interactions"


class Interactions(TermOutputs, TransformerMixin, BaseEstimator):
    """Column step: products, ratios and degree-2 polynomial terms of numeric columns.

    Args:
        pairs: ``(a, b)`` pairs, each output as ``a*b``; ``(a, a)`` is allowed.
        ratios: ``(a, b)`` pairs of two different columns, each output as ``a/b``.
        polynomial: columns whose degree-2 terms (squares and pairwise products) are output.

    Raises:
        FeatureError: from ``fit``, when a setting names a column that is not in ``X`` or is
            not numeric, a ratio divides a column by itself, or no term is asked for.
    """

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]] = (),
        ratios: Sequence[tuple[str, str]] = (),
        polynomial: Sequence[str] = (),
    ):
        self.pairs = pairs
        self.ratios = ratios
        self.polynomial = polynomial

    def input_columns(self) -> list[str]:
        """The columns the settings name, in order of first mention: the step's inputs."""
        named = [c for pair in [*self.pairs, *self.ratios] for c in pair]
        return list(dict.fromkeys([*named, *self.polynomial]))

    def fit(self, X: pd.DataFrame, y: Any = None) -> Interactions:
        """Check the settings against ``X`` and learn each input column's median."""
        check_frame(X, _OWNER)
        settings = _checked_settings(self.pairs, self.ratios, self.polynomial, X)
        self.columns_ = self.input_columns()
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.medians_ = learn_medians(numeric_matrix(X, self.columns_, _OWNER, settings))
        at = {column: i for i, column in enumerate(self.columns_)}
        explicit = [Term(f"{a}*{b}", "product", at[a], at[b]) for a, b in self.pairs]
        explicit += [Term(f"{a}/{b}", "ratio", at[a], at[b]) for a, b in self.ratios]
        self.terms_ = _unique(explicit)
        self._fit_polynomial(at)
        return self

    def _fit_polynomial(self, at: Mapping[str, int]) -> None:
        columns = list(self.polynomial)
        self.poly_columns_ = np.asarray([at[c] for c in columns], dtype=np.intp)
        self.poly_: PolynomialFeatures | None = None
        self.poly_keep_ = np.empty(0, dtype=np.intp)
        if not columns:
            return
        self.poly_ = PolynomialFeatures(degree=2, include_bias=False)
        self.poly_.fit(np.zeros((1, len(columns))))
        seen = {term.name for term in self.terms_}
        keep, terms = [], []
        for index, powers in enumerate(self.poly_.powers_):
            if powers.sum() != 2:
                continue
            left, right = np.repeat(np.arange(len(columns)), powers)
            a, b = columns[left], columns[right]
            term = Term(f"{a}^2" if a == b else f"{a}*{b}", "product", at[a], at[b])
            if term.name not in seen:
                seen.add(term.name)
                keep.append(index)
                terms.append(term)
        self.poly_keep_ = np.asarray(keep, dtype=np.intp)
        self.terms_ = (*self.terms_, *terms)

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The terms, as an array of shape (n_samples, n_terms), float64, all finite."""
        check_fitted(self)
        check_frame(X, _OWNER)
        filled = fill_missing(numeric_matrix(X, self.columns_, _OWNER), self.medians_)
        n_explicit = len(self.terms_) - len(self.poly_keep_)
        parts = [term_values(filled, self.terms_[:n_explicit])]
        if self.poly_ is not None:
            with np.errstate(over="ignore"):
                expanded = self.poly_.transform(filled[:, self.poly_columns_])
            parts.append(expanded[:, self.poly_keep_])
        largest = np.finfo(np.float64).max
        return np.ascontiguousarray(np.clip(np.hstack(parts), -largest, largest))


def _unique(terms: list[Term]) -> tuple[Term, ...]:
    return tuple({term.name: term for term in reversed(terms)}.values())[::-1]


def _checked_settings(pairs: Any, ratios: Any, polynomial: Any, X: pd.DataFrame) -> dict[str, str]:
    """Each named column mapped to the first setting naming it, after checking them all."""
    named: dict[str, str] = {}
    for setting, value in (("pairs", pairs), ("ratios", ratios)):
        for pair in _pair_list(setting, value):
            if setting == "ratios" and pair[0] == pair[1]:
                _bad(setting, "pair two different columns (a column over itself is 1)", pair)
            for column in pair:
                named.setdefault(column, setting)
    columns = _name_list(polynomial)
    for column in columns:
        named.setdefault(column, "polynomial")
    if not named:
        raise FeatureError(
            f"The settings of {_OWNER} must ask for at least one term: pairs, ratios and "
            "polynomial are all empty.",
            field=_OWNER,
        )
    for column, setting in named.items():
        if column not in X.columns:
            _bad(setting, f"name input columns (one of {list(map(str, X.columns))})", column)
    return named


def _pair_list(setting: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        _bad(setting, "be a list of (column, column) pairs", value)
    for pair in value:
        if (
            isinstance(pair, str | bytes)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(c, str) for c in pair)
        ):
            _bad(setting, "be a list of (column, column) pairs of column names", pair)
    return [(a, b) for a, b in value]


def _name_list(value: Any) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        _bad("polynomial", "be a list of column names", value)
    if not all(isinstance(c, str) for c in value) or len(set(value)) != len(value):
        _bad("polynomial", "be a list of distinct column names", value)
    return list(value)


def _bad(setting: str, expected: str, value: Any) -> None:
    raise FeatureError(
        f"The {setting!r} setting of {_OWNER} must {expected}. Got {value!r} instead.",
        field=f"{_OWNER}.{setting}",
    )
