"""TextFeatures: one TF-IDF vectorizer per text column, missing text, the record path."""

from __future__ import annotations

import doctest
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

import keel.features._text as text_module
from keel.errors import FeatureError
from keel.features._text import TextFeatures

REVIEWS = ["Great food, great staff", "cold food", "the staff was rude", "great place"]


def test_outputs_are_each_columns_tfidf_side_by_side() -> None:
    X = pd.DataFrame({"review": REVIEWS, "title": ["ok", "bad", "bad bad", "fine"]})
    step = TextFeatures().fit(X)
    out = step.transform(X)
    review = TfidfVectorizer().fit(REVIEWS)
    width = len(review.vocabulary_)
    assert np.array_equal(out[:, :width], review.transform(REVIEWS).toarray())
    names = list(step.get_feature_names_out())
    assert names[:width] == [f"review__tfidf_{t}" for t in review.get_feature_names_out()]
    assert names[width:] == ["title__tfidf_bad", "title__tfidf_fine", "title__tfidf_ok"]
    assert out.dtype == np.float64 and out.flags.c_contiguous and out.shape == (4, len(names))


def test_settings_reach_the_vectorizer() -> None:
    X = pd.DataFrame({"review": REVIEWS})
    step = TextFeatures(max_features=3, ngram_range=(1, 2), min_df=2).fit(X)
    assert list(step.get_feature_names_out()) == [
        "review__tfidf_food",
        "review__tfidf_great",
        "review__tfidf_staff",
    ]
    bigrams = TextFeatures(ngram_range=[1, 2], min_df=0.5).fit(X)
    assert list(bigrams.get_feature_names_out()) == [
        "review__tfidf_food",
        "review__tfidf_great",
        "review__tfidf_staff",
    ]
    assert (
        "review__tfidf_great food"
        in TextFeatures(ngram_range=(1, 2)).fit(X).get_feature_names_out()
    )


def test_missing_text_is_an_empty_document_and_other_values_are_strings() -> None:
    X = pd.DataFrame({"review": ["red car", None, 42, "car 42"]}, dtype=object)
    step = TextFeatures().fit(X)
    assert list(step.get_feature_names_out()) == [
        "review__tfidf_42",
        "review__tfidf_car",
        "review__tfidf_red",
    ]
    for missing in [None, math.nan, pd.NA]:
        row = step.transform(pd.DataFrame({"review": [missing]}, dtype=object))
        assert row.tolist() == [[0.0, 0.0, 0.0]]
    assert step.record_function()({}) == [0.0, 0.0, 0.0]
    assert step.transform(pd.DataFrame({"review": [42]}))[0].tolist() == [1.0, 0.0, 0.0]


def test_unseen_words_give_zeros_on_one_row() -> None:
    step = TextFeatures().fit(pd.DataFrame({"review": ["hello world"]}))
    assert step.transform(pd.DataFrame({"review": ["brand new"]})).tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize(
    ("settings_", "field"),
    [
        ({"max_features": 0}, "max_features"),
        ({"max_features": True}, "max_features"),
        ({"max_features": 2.5}, "max_features"),
        ({"ngram_range": (2, 1)}, "ngram_range"),
        ({"ngram_range": (0, 1)}, "ngram_range"),
        ({"ngram_range": "1,2"}, "ngram_range"),
        ({"ngram_range": (1, 2, 3)}, "ngram_range"),
        ({"min_df": 0}, "min_df"),
        ({"min_df": 1.5}, "min_df"),
        ({"min_df": 0.0}, "min_df"),
        ({"min_df": "2"}, "min_df"),
    ],
)
def test_bad_settings_are_refused_at_fit(settings_: dict, field: str) -> None:
    step = TextFeatures(**settings_)
    with pytest.raises(FeatureError, match=f"'{field}' setting of features.TextFeatures") as e:
        step.fit(pd.DataFrame({"review": REVIEWS}))
    assert e.value.field == field and "Got" in str(e.value)


@pytest.mark.parametrize("texts", [[None, ""], ["a", "b"], ["only once", "never twice"]])
def test_a_column_without_terms_is_refused(texts: list) -> None:
    with pytest.raises(FeatureError, match=r"Text column 'review'.*no term") as caught:
        TextFeatures(min_df=2).fit(pd.DataFrame({"review": texts}))
    assert caught.value.field == "review"


def test_misuse_is_a_feature_error() -> None:
    with pytest.raises(FeatureError, match="not fitted"):
        TextFeatures().record_function()
    step = TextFeatures().fit(pd.DataFrame({"review": REVIEWS}))
    with pytest.raises(FeatureError, match="lacks"):
        step.transform(pd.DataFrame({"body": REVIEWS}))


def test_clone_params_and_pickle() -> None:
    step = TextFeatures(max_features=5, ngram_range=(1, 2), min_df=1)
    assert clone(step).get_params() == {"max_features": 5, "ngram_range": (1, 2), "min_df": 1}
    X = pd.DataFrame({"review": REVIEWS})
    step.fit(X)
    assert np.array_equal(pickle.loads(pickle.dumps(step)).transform(X), step.transform(X))


_WORDS = st.sampled_from(["good", "bad", "food", "staff", "Good", "x", "42", "very", "!"])
_TEXT = st.lists(_WORDS, max_size=8).map(" ".join)
_VALUE = _TEXT | st.none() | st.integers(0, 100) | st.just(math.nan)
_FITTED = TextFeatures(ngram_range=(1, 2)).fit(
    pd.DataFrame({"a": REVIEWS, "b": ["good very good", "bad", None, "42 staff"]})
)
_RECORD = _FITTED.record_function()


@settings(max_examples=50, deadline=None)
@given(st.fixed_dictionaries({"a": _VALUE, "b": _VALUE}))
def test_record_function_equals_transform(record: dict) -> None:
    expected = _FITTED.transform(pd.DataFrame([record]))[0].tolist()
    assert _RECORD(record) == expected


def test_module_examples_run() -> None:
    assert doctest.testmod(text_module).failed == 0
