"""Text features: TF-IDF weights of each text column's most frequent terms.

`TextFeatures` is a column step fitting one scikit-learn ``TfidfVectorizer`` per column
(default tokenizer: lowercased words of two or more letters or digits; rows scaled to unit
L2 norm). A missing value (``None``, NaN, ``pd.NA``) is the empty document, so its row is
all zeros; any other non-string value is read as ``str(value)``. Outputs are named
``<col>__tfidf_<term>``, columns in input order and terms in alphabetical order. A column
whose training text yields no term (all empty, or every term below ``min_df``) is a
`FeatureError`.

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"review": ["good food", "bad food", None]})
    >>> step = TextFeatures().fit(X)
    >>> list(step.get_feature_names_out())
    ['review__tfidf_bad', 'review__tfidf_food', 'review__tfidf_good']
    >>> step.transform(X)[2].tolist()
    [0.0, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from keel.errors import FeatureError
from keel.features._contract import check_fitted, check_input_features, input_frame, is_missing

__all__ = ["TextFeatures"]


class TextFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """TF-IDF features of text columns, one vectorizer per column (module docstring).

    Args:
        max_features: the most terms kept per column (the most frequent).
        ngram_range: the smallest and largest n of the word n-grams counted.
        min_df: the fewest documents (an int) or the smallest share of documents (a
            float in (0, 1]) a term must appear in to be kept.
    """

    def __init__(
        self,
        max_features: int = 200,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: int | float = 1,
    ):
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, X: pd.DataFrame, y: Any = None) -> TextFeatures:
        self._check_settings()
        X = input_frame(self, X, fitted=False)
        self.vectorizers_: list[TfidfVectorizer] = []
        for column in X.columns:
            vectorizer = TfidfVectorizer(
                max_features=self.max_features,
                ngram_range=tuple(self.ngram_range),
                min_df=self.min_df,
                dtype=np.float64,
            )
            try:
                vectorizer.fit(_documents(X[column]))
            except ValueError as error:  # empty vocabulary, or min_df above the row count
                raise FeatureError(
                    f"Text column {column!r} of features.TextFeatures yields no term to keep "
                    f"({error}). Check the column holds text, or lower 'min_df'.",
                    field=column,
                ) from None
            self.vectorizers_.append(vectorizer)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = input_frame(self, X, fitted=True)
        blocks = [
            v.transform(_documents(X[c])).toarray()
            for v, c in zip(self.vectorizers_, X.columns, strict=True)
        ]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_input_features(self, input_features)
        names = [
            f"{column}__tfidf_{term}"
            for column, v in zip(self.feature_names_in_, self.vectorizers_, strict=True)
            for term in v.get_feature_names_out()
        ]
        return np.asarray(names, dtype=object)

    def record_function(self) -> Callable[[Mapping[str, Any]], list[float]]:
        """One raw record to its output row, equal to ``transform`` on that one row."""
        check_fitted(self)
        columns = list(
            zip([str(c) for c in self.feature_names_in_], self.vectorizers_, strict=True)
        )

        def features(record: Mapping[str, Any]) -> list[float]:
            row: list[float] = []
            for column, vectorizer in columns:
                document = _document(record.get(column))
                row.extend(vectorizer.transform([document]).toarray()[0].tolist())
            return row

        return features

    def _check_settings(self) -> None:
        if not _is_int(self.max_features) or self.max_features < 1:
            _bad_setting("max_features", "an integer >= 1", self.max_features)
        n = self.ngram_range
        pair = isinstance(n, tuple | list) and len(n) == 2 and all(_is_int(v) for v in n)
        if not pair or not 1 <= n[0] <= n[1]:
            _bad_setting("ngram_range", "a pair of integers (low, high), 1 <= low <= high", n)
        m = self.min_df
        ok = (_is_int(m) and m >= 1) or (isinstance(m, float) and 0.0 < m <= 1.0)
        if not ok:
            _bad_setting("min_df", "an integer >= 1 or a float in (0, 1]", m)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _bad_setting(name: str, expected: str, value: Any) -> NoReturn:
    raise FeatureError(
        f"The {name!r} setting of features.TextFeatures must be {expected}. Got {value!r} instead.",
        field=name,
    )


def _document(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if is_missing(value) else str(value)


def _documents(series: pd.Series) -> list[str]:
    return [_document(v) for v in series.to_numpy(dtype=object)]
