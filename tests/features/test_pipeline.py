from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from keel.data import infer_schema
from keel.errors import FeatureError
from keel.features import FeaturePipeline, load_pipeline, save_pipeline
from keel.features._persist import dumps_pipeline, loads_pipeline

SPEC = {
    "numeric": {"impute": "median", "scale": "standard"},
    "categorical": {"encode": "onehot", "rare_below": 0.02},
    "columns": {"city": {"encode": "target"}},
}


def fitted(frame: pd.DataFrame, spec: dict | None = None, **kwargs) -> FeaturePipeline:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return FeaturePipeline(SPEC if spec is None else spec, target="churned", **kwargs).fit(
            frame
        )


def test_names_kinds_and_shapes(frame: pd.DataFrame) -> None:
    pipe = fitted(frame)
    assert pipe.feature_names_out_[:2] == ["age", "income"]
    assert "missingindicator_age" in pipe.feature_names_out_
    assert "plan_infrequent_sklearn" in pipe.feature_names_out_  # "legacy" and "team" < 2%?
    assert "city" in pipe.feature_names_out_
    out = pipe.transform(frame)
    assert out.shape == (len(frame), len(pipe.feature_names_out_))
    assert out.dtype == np.float64 and np.isfinite(out).all()
    assert pipe.report_.inputs == {
        "age": "numeric",
        "income": "numeric",
        "plan": "categorical",
        "city": "categorical",
    }
    assert pipe.report_.dropped["churned"] == "the target"
    assert list(pipe.get_feature_names_out()) == pipe.feature_names_out_


def test_unknown_and_missing_categories_never_crash(frame: pd.DataFrame) -> None:
    pipe = fitted(frame)
    known = pipe.transform_one({"age": 30, "income": 1e4, "plan": "pro", "city": "c1"})
    unknown = pipe.transform_one({"age": 30, "income": 1e4, "plan": "gold", "city": "nowhere"})
    names = pipe.feature_names_out_
    # an unseen plan goes to the rare bucket; an unseen city gets the training target mean
    assert unknown[names.index("plan_infrequent_sklearn")] == 1.0
    city_encoder = pipe.columns_.named_transformers_["categorical1"]
    assert unknown[names.index("city")] == pytest.approx(float(city_encoder.target_mean_))
    assert known[names.index("plan_pro")] == 1.0
    empty = pipe.transform_one({})
    assert np.isfinite(empty).all()


def test_batch_equals_single_record_on_the_training_rows(frame: pd.DataFrame) -> None:
    pipe = fitted(frame)
    batch = pipe.transform(frame)
    records = frame.drop(columns="churned").to_dict("records")
    singles = np.array([pipe.transform_one(r) for r in records])
    np.testing.assert_array_equal(singles, batch)


_values = st.one_of(st.none(), st.floats(-1e6, 1e6), st.integers(-1000, 1000))
_plans = st.one_of(st.none(), st.sampled_from(["free", "pro", "team", "legacy", "gold", ""]))
_cities = st.one_of(st.none(), st.sampled_from([f"c{i}" for i in range(45)]), st.integers(0, 3))


@pytest.mark.parametrize(
    "spec",
    [
        SPEC,
        {
            "numeric": {"scale": "robust", "transform": "yeo_johnson"},
            "categorical": {"encode": "ordinal"},
        },
        {
            "numeric": {"scale": "minmax", "clip": [0.05, 0.95], "impute": "mean"},
            "categorical": {"encode": "frequency"},
        },
        {"numeric": {"bins": {"n": 4}}, "categorical": {"encode": "hashing", "hash_buckets": 8}},
        {"numeric": {"scale": "quantile", "transform": "log", "indicator": False}},
    ],
)
def test_single_record_equals_batch_for_any_record(frame: pd.DataFrame, spec: dict) -> None:
    pipe = fitted(frame, spec)

    @settings(max_examples=60, deadline=None)
    @given(age=_values, income=_values, plan=_plans, city=_cities)
    def check(age, income, plan, city) -> None:
        record = {"age": age, "income": income, "plan": plan, "city": city}
        one = pipe.transform_one(record)
        row = pd.DataFrame([record]).astype({"age": float, "income": float, "plan": object})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            batch = pipe.transform(row)[0]
        np.testing.assert_allclose(one, batch, rtol=1e-12, atol=1e-12)

    check()


def test_target_encoding_is_out_of_fold(frame: pd.DataFrame) -> None:
    # Pairs of rows share a customer: encoding a row with its own target in the mean leaks.
    rows = frame.assign(customer=[f"u{i // 2}" for i in range(len(frame))])
    spec = {"categorical": {"encode": "target", "rare_below": 0}}
    pipe = FeaturePipeline(spec, target="churned")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = pipe.fit_transform(rows)
    column = pipe.feature_names_out_.index("customer")
    assert abs(np.corrcoef(out[:, column], rows["churned"])[0, 1]) < 0.15
    assert not pipe.report_.leaky
    assert not [w for w in caught if "leak" in str(w.message)]
    # ...whereas the in-sample encoding (transform after fit) does carry each row's target.
    in_sample = pipe.transform(rows)[:, column]
    assert np.corrcoef(in_sample, rows["churned"])[0, 1] > 0.5


def test_a_leaking_feature_is_flagged(frame: pd.DataFrame) -> None:
    leaky = frame.assign(refund=frame["churned"] * 100.0 + 1)
    with pytest.warns(UserWarning, match="refund"):
        pipe = FeaturePipeline(target="churned").fit(leaky)
    assert [f["name"] for f in pipe.report_.leaky] == ["refund"]
    assert "LEAK?" in pipe.report_.to_text()


def test_all_missing_column_gives_finite_output(frame: pd.DataFrame) -> None:
    rows = frame.assign(empty=np.nan, blank=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inferred = fitted(rows)
    assert inferred.report_.dropped["empty"] == "role ignore in the schema"
    # A user who keeps such a column as a feature still gets finite features from it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = infer_schema(rows, target="churned")
    pinned = {"empty": {"role": "feature"}, "blank": {"role": "feature", "type": "categorical"}}
    kept = [c.model_copy(update=pinned.get(c.name, {})) for c in schema.columns]
    pipe = fitted(rows, schema=schema.model_copy(update={"columns": kept}))
    out = pipe.transform(rows)
    assert np.isfinite(out).all()
    assert (out[:, pipe.feature_names_out_.index("empty")] == 0.0).all()
    assert np.isfinite(pipe.transform_one({"empty": None, "blank": None})).all()


def test_save_load_round_trip(frame: pd.DataFrame, tmp_path) -> None:
    pipe = fitted(frame)
    path = tmp_path / "features.keelfp"
    save_pipeline(pipe, path)
    loaded = load_pipeline(path)
    np.testing.assert_array_equal(loaded.transform(frame), pipe.transform(frame))
    record = {"age": 40, "plan": "pro", "city": "c3", "income": 5e4}
    np.testing.assert_array_equal(loaded.transform_one(record), pipe.transform_one(record))
    assert pickle.loads(pickle.dumps(pipe)).feature_names_out_ == pipe.feature_names_out_


def test_tampered_or_foreign_files_are_refused(frame: pd.DataFrame, tmp_path) -> None:
    data = dumps_pipeline(fitted(frame))
    with pytest.raises(FeatureError, match="corrupted or was altered"):
        loads_pipeline(data[:-10] + b"0123456789")
    with pytest.raises(FeatureError, match="not a keel feature pipeline"):
        loads_pipeline(b"hello\n" + data)
    newer = data.replace(b'"format_version": 1', b'"format_version": 9', 1)
    with pytest.raises(FeatureError, match="format 9"):
        loads_pipeline(newer)
    with pytest.raises(FeatureError, match="Cannot read"):
        load_pipeline(tmp_path / "absent.keelfp")


def test_clone_and_params(frame: pd.DataFrame) -> None:
    pipe = FeaturePipeline(SPEC, target="churned", random_state=3)
    copy = clone(pipe)
    assert copy.get_params()["random_state"] == 3 and copy.spec == SPEC
    assert not hasattr(copy, "columns_")


def test_bad_input_gets_clear_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(FeatureError, match=r"features\.numeric\.scale"):
        FeaturePipeline({"numeric": {"scale": "zscore"}}).fit(frame)
    with pytest.raises(FeatureError, match="not fitted"):
        FeaturePipeline().transform(frame)
    pipe = fitted(frame)
    with pytest.raises(FeatureError, match="'city'"):
        pipe.transform(frame.drop(columns="city"))
    with pytest.raises(FeatureError, match=r"'age' must be a number\. Got 'old'"):
        pipe.transform_one({"age": "old"})
    with pytest.raises(FeatureError, match="Column 'age' must hold numbers"):
        pipe.transform(frame.astype({"age": object}).assign(age="old"))
    with pytest.raises(FeatureError, match="target column 'label'"):
        FeaturePipeline(target="label").fit(frame)
    with pytest.raises(FeatureError, match=r"features\.columns names 'nope'"):
        FeaturePipeline({"columns": {"nope": {"drop": True}}}, target="churned").fit(frame)
    with pytest.raises(FeatureError, match="needs a target"):
        FeaturePipeline({"categorical": {"encode": "target"}}).fit(frame.drop(columns="churned"))


def test_only_target_left_is_an_error() -> None:
    rows = pd.DataFrame({"id": ["a", "b"], "churned": [0, 1]})
    with pytest.raises(FeatureError, match="No column is left"):
        FeaturePipeline({"columns": {"id": {"drop": True}}}, target="churned").fit(rows)


def test_unlabelled_rows_are_left_out_of_fitting(make_customers) -> None:
    rows = make_customers(200).astype({"churned": float})
    rows.loc[:9, "churned"] = np.nan
    pipe = fitted(rows)
    assert pipe.transform(rows).shape[0] == 200


def test_lags_through_the_pipeline_read_history_at_serving_time() -> None:
    rng = np.random.default_rng(1)
    rows = pd.DataFrame(
        {
            "customer": rng.choice(["a", "b", "c"], 300),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(300), unit="h"),
            "spend": rng.gamma(2.0, 10.0, 300),
            "churned": rng.integers(0, 2, 300),
        }
    )
    spec = {
        "lags": {
            "by": "customer",
            "time": "day",
            "columns": ["spend"],
            "lags": [1, 2],
            "windows": [3],
        },
        "datetime": ["elapsed"],
    }
    pipe = fitted(rows, spec)
    lag1 = pipe.feature_names_out_.index("spend_lag1")
    later = {"customer": "a", "day": pd.Timestamp("2024-03-01"), "spend": 1.0}
    last_a = rows[rows["customer"] == "a"].iloc[-1]["spend"]
    one = pipe.transform_one(later)
    assert one[lag1] == last_a  # the newest training row of customer "a"
    np.testing.assert_array_equal(one, pipe.transform(pd.DataFrame([later]))[0])
    unseen = pipe.transform_one({**later, "customer": "zzz"})
    assert unseen[lag1] == pipe.columns_.named_transformers_["lags"].fill_values_[0]
