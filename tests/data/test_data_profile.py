"""The data quality profile (keel.data._profile) and its HTML report (keel.data._report).

Each check fires on data built to trigger it and stays silent on clean data.
"""

from __future__ import annotations

import doctest
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from keel.data import _profile, _report
from keel.data._profile import Finding, Profile, profile_frame
from keel.data._report import render_html, write_html
from keel.errors import ConfigError, DataError, SchemaError

N = 2000


def clean(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Data no check should flag: uniform numbers (no outliers), a few balanced categories,
    a balanced binary target unrelated to the features, nothing missing or repeated."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x1": rng.uniform(0, 1, n),
            "x2": rng.uniform(-5, 5, n),
            "count": rng.integers(0, 1_000_000, n),
            "color": pd.Series(rng.choice(["red", "green", "blue", "grey"], n), dtype="str"),
            "y": rng.permutation(np.arange(n) % 2),
        }
    )


def found(profile: Profile, check: str, column: str | None = None) -> list[Finding]:
    return [f for f in profile.findings if f.check == check and f.column == column]


def checks(profile: Profile) -> set[str]:
    return {f.check for f in profile.findings}


# -- clean data ------------------------------------------------------------------------


def test_clean_data_has_no_findings() -> None:
    frame = clean()
    profile = profile_frame(frame, target="y", test=clean(500, seed=1).drop(columns="y"))
    assert profile.findings == ()
    assert profile.shape == (N, 5)
    assert profile.target_task == "binary"


def test_column_summaries() -> None:
    frame = clean()
    frame.loc[:9, "x1"] = np.nan
    profile = profile_frame(frame, target="y")
    x1, color, y = profile.column("x1"), profile.column("color"), profile.column("y")
    assert (x1.kind, x1.role, x1.count, x1.null_share) == ("numeric", "feature", N - 10, 0.005)
    assert x1.n_unique == N - 10
    assert x1.min == pytest.approx(frame["x1"].min())
    assert x1.max == pytest.approx(frame["x1"].max())
    assert x1.mean == pytest.approx(frame["x1"].mean())
    assert x1.quartiles is not None and x1.quartiles[1] == pytest.approx(frame["x1"].median())
    assert color.kind == "categorical" and color.dtype == "str" and color.n_unique == 4
    assert [v for v, _ in color.top_values] == list(frame["color"].value_counts().index)
    assert sum(c for _, c in color.top_values) == N
    assert y.role == "target"
    with pytest.raises(SchemaError, match="no column 'nope'"):
        profile.column("nope")


def test_to_dict_is_json_with_a_format_version() -> None:
    frame = clean()
    frame["x1"] = frame["x1"].where(frame.index > 1000)
    frame.loc[0, "x2"] = np.inf
    data = profile_frame(frame, target="y").to_dict()
    text = json.dumps(data, allow_nan=False)  # non-finite floats became None
    assert json.loads(text)["format_version"] == _profile.PROFILE_FORMAT_VERSION
    assert data["shape"] == [N, 5]
    assert data["settings"]["missing_warn"] == 0.2
    assert {f["check"] for f in data["findings"]} >= {"missing", "infinite"}
    assert all(isinstance(f["examples"], list) for f in data["findings"])


def test_errors_warnings_and_order() -> None:
    frame = clean()
    frame["leak"] = frame["y"]
    frame.loc[:99, "x1"] = np.nan  # 5%: info
    frame.loc[:599, "x2"] = np.nan  # 30%: warning
    profile = profile_frame(frame, target="y")
    assert [f.check for f in profile.errors] == ["target_leakage"]
    assert [f.column for f in profile.warnings] == ["x2"]
    assert [f.column for f in profile.infos] == ["x1"]
    severities = [f.severity for f in profile.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


# -- missing values ----------------------------------------------------------------------


def test_missing_warns_above_the_threshold_and_informs_below() -> None:
    frame = clean()
    frame.loc[:499, "x1"] = np.nan  # 25%
    frame.loc[:19, "color"] = None  # 1%
    profile = profile_frame(frame)
    (x1,) = found(profile, "missing", "x1")
    (color,) = found(profile, "missing", "color")
    assert (x1.severity, x1.value, x1.examples) == ("warning", 0.25, (0, 1, 2, 3, 4))
    assert "25.0% of values are missing" in x1.message
    assert (color.severity, color.value) == ("info", 0.01)
    assert found(profile, "missing", "x2") == []
    relaxed = profile_frame(frame, missing_warn=0.3)
    assert found(relaxed, "missing", "x1")[0].severity == "info"


def test_missing_target_values_warn() -> None:
    frame = clean()
    frame["y"] = frame["y"].astype("Int64")
    frame.loc[:4, "y"] = pd.NA
    (finding,) = found(profile_frame(frame, target="y"), "missing", "y")
    assert finding.severity == "warning" and "no target value" in finding.message


def test_entirely_missing_column() -> None:
    frame = clean()
    frame["empty"] = np.nan
    profile = profile_frame(frame, target="y")
    (finding,) = [f for f in profile.findings if f.column == "empty"]  # not also "constant"
    assert finding.check == "missing" and finding.message == "Every value is missing."


# -- duplicates, constants, cardinality --------------------------------------------------


def test_duplicate_rows() -> None:
    frame = pd.concat([clean(), clean().iloc[[3, 7, 7]]], ignore_index=True)
    (finding,) = found(profile_frame(frame, target="y"), "duplicates")
    assert finding.severity == "warning" and finding.value == 3
    assert finding.examples == (N, N + 1, N + 2)
    assert f"row {N} repeats row 3" in finding.message
    assert f"row {N + 2} repeats row 7" in finding.message


def test_duplicates_leave_out_ignored_columns() -> None:
    frame = pd.concat([clean(), clean().iloc[:4]], ignore_index=True)
    frame["row_id"] = np.arange(len(frame))
    assert found(profile_frame(frame), "duplicates") == []
    assert found(profile_frame(frame, ignore=["row_id"]), "duplicates")[0].value == 4


def test_constant_and_near_constant_columns() -> None:
    frame = clean()
    frame["const"] = "same"
    frame["rare"] = 0
    frame.loc[:9, "rare"] = 1  # 99.5% zeros
    profile = profile_frame(frame, target="y")
    (const,) = found(profile, "constant", "const")
    (rare,) = found(profile, "near_constant", "rare")
    assert const.severity == "warning" and "'same'" in const.message
    assert (rare.severity, rare.value) == ("info", 0.995)
    assert found(profile_frame(frame, near_constant=0.999), "near_constant", "rare") == []


def test_a_constant_target_is_an_error_and_skips_the_target_checks() -> None:
    frame = clean()
    frame["y"] = 1
    frame["leak"] = 1
    profile = profile_frame(frame, target="y")
    assert [(f.check, f.column) for f in profile.errors] == [("constant", "y")]
    assert profile.target_task is None
    assert not checks(profile) & {"target_leakage", "class_imbalance"}


def test_high_cardinality_text_columns() -> None:
    frame = clean()
    frame["customer"] = [f"C{i:06d}" for i in range(N)]
    frame["city"] = [f"city {i % 1500}" for i in range(N)]  # 75% distinct
    profile = profile_frame(frame, target="y")
    (customer,) = found(profile, "high_cardinality", "customer")
    assert customer.severity == "warning" and customer.value == N
    assert "identifier" in customer.message
    assert found(profile, "high_cardinality", "city")
    assert found(profile, "high_cardinality", "color") == []
    assert found(profile_frame(frame, ignore=["customer"]), "high_cardinality", "customer") == []


def test_many_categories_beyond_the_maximum() -> None:
    n = 20_000
    frame = pd.DataFrame({"zip": [f"{i % 1200:05d}" for i in range(n)]})  # 6% distinct
    assert found(profile_frame(frame), "high_cardinality", "zip")[0].value == 1200
    assert found(profile_frame(frame, cardinality_max=5000), "high_cardinality", "zip") == []


def test_numeric_and_categorical_ids_are_not_high_cardinality_text() -> None:
    frame = clean()
    frame["n"] = np.arange(N)  # numeric: not a text column
    frame["cat"] = pd.Series(np.arange(N) % 3, dtype="category")
    assert "high_cardinality" not in checks(profile_frame(frame, target="y"))


# -- numbers ----------------------------------------------------------------------------


def test_outliers_by_iqr_and_robust_z() -> None:
    frame = clean()
    frame.loc[[10, 20, 30], "x1"] = [50.0, -40.0, 9.0]
    profile = profile_frame(frame, target="y")
    (iqr,) = found(profile, "outliers_iqr", "x1")
    (robust,) = found(profile, "outliers_robust_z", "x1")
    assert (iqr.severity, iqr.value, iqr.examples) == ("info", 3, (50.0, -40.0, 9.0))
    assert (robust.severity, robust.value) == ("info", 3)
    assert "1.5*IQR" in iqr.message and "robust z-score" in robust.message
    assert not {f.check for f in profile.findings if f.column != "x1"}


def test_outlier_thresholds_are_settings() -> None:
    frame = clean()
    frame.loc[10, "x1"] = 2.0  # 2.5 IQR above Q3, robust z about 4
    profile = profile_frame(frame, iqr_k=3.0, robust_z=8.0)
    assert "outliers_iqr" not in checks(profile) and "outliers_robust_z" not in checks(profile)
    profile = profile_frame(frame)
    assert {"outliers_iqr", "outliers_robust_z"} <= checks(profile)


def test_outliers_skip_a_zero_spread() -> None:
    frame = pd.DataFrame({"mostly_zero": [0.0] * 900 + list(np.linspace(1, 10, 100))})
    profile = profile_frame(frame)  # IQR and MAD are 0: every non-zero value would "stand out"
    assert not {"outliers_iqr", "outliers_robust_z"} & checks(profile)


def test_infinite_values() -> None:
    frame = clean()
    frame.loc[[5, 6], "x2"] = [np.inf, -np.inf]
    profile = profile_frame(frame)
    (finding,) = found(profile, "infinite", "x2")
    assert (finding.severity, finding.value, finding.examples) == ("warning", 2, (5, 6))
    assert profile.column("x2").max == pytest.approx(frame["x2"][np.isfinite(frame["x2"])].max())


# -- class imbalance ------------------------------------------------------------------------


def test_binary_imbalance() -> None:
    frame = clean()
    frame["y"] = (np.arange(N) < N * 0.04).astype(int)
    (finding,) = found(profile_frame(frame, target="y"), "class_imbalance", "y")
    assert finding.severity == "warning" and finding.value == pytest.approx(0.04)
    assert finding.examples == (("0", 0.96), ("1", 0.04))
    assert "minority class 1 is 4.00%" in finding.message
    frame["y"] = (np.arange(N) < N * 0.3).astype(int)
    assert found(profile_frame(frame, target="y"), "class_imbalance", "y") == []


def test_multiclass_imbalance_scales_with_the_number_of_classes() -> None:
    frame = clean()
    frame["y"] = np.repeat(["a", "b", "c"], [1300, 660, 40])  # 2% < 0.1 * 2/3
    (finding,) = found(profile_frame(frame, target="y"), "class_imbalance", "y")
    assert finding.value == pytest.approx(0.02)
    frame["y"] = np.arange(N) % 10  # ten balanced classes: 10% each is balanced
    profile = profile_frame(frame, target="y")
    assert profile.target_task == "multiclass"
    assert "class_imbalance" not in checks(profile)


def test_target_task() -> None:
    frame = clean()
    assert profile_frame(frame, target="color").target_task == "multiclass"
    assert profile_frame(frame, target="x1").target_task == "regression"
    assert profile_frame(frame, target="count").target_task == "regression"  # many integers
    frame["y"] = frame["y"].astype(bool)
    assert profile_frame(frame, target="y").target_task == "binary"
    frame["grade"] = np.arange(N) % 30
    assert profile_frame(frame, target="grade").target_task == "regression"
    assert profile_frame(frame, target="grade", max_classes=30).target_task == "multiclass"


# -- train/test overlap -------------------------------------------------------------------


def test_test_rows_equal_to_training_rows() -> None:
    train = clean()
    test = pd.concat([clean(300, seed=5), train.iloc[[11, 12, 13]]], ignore_index=True)
    test.loc[300:, "y"] = 1 - test.loc[300:, "y"]  # a different label does not hide the copy
    (finding,) = found(profile_frame(train, target="y", test=test), "train_test_overlap")
    assert finding.severity == "warning" and finding.value == 3
    assert finding.examples == (300, 301, 302)
    assert "3 of 303 test rows" in finding.message


def test_overlap_matches_across_dtypes() -> None:
    train = clean()
    test = train.iloc[:5].copy()
    test["count"] = test["count"].astype("float64")  # e.g. read back from a CSV with gaps
    test["color"] = test["color"].astype("category")
    (finding,) = found(profile_frame(train, test=test), "train_test_overlap")
    assert finding.value == 5


# -- target leakage ---------------------------------------------------------------------


def leak(frame: pd.DataFrame, column: str, target: str = "y", **kwargs: object) -> Finding | None:
    profile = profile_frame(frame, target=target, **kwargs)  # type: ignore[arg-type]
    matches = found(profile, "target_leakage", column)
    assert len(matches) <= 1
    return matches[0] if matches else None


def test_a_column_equal_to_the_target_is_leakage() -> None:
    frame = clean()
    frame["copy"] = frame["y"]
    finding = leak(frame, "copy")
    assert finding is not None and finding.severity == "error" and finding.value == 1.0
    assert finding.message == "'copy' equals the target 'y'."


def test_a_relabelled_target_is_leakage() -> None:
    frame = clean()
    frame["outcome"] = frame["y"].map({0: "stayed", 1: "churned"})
    finding = leak(frame, "outcome")
    assert finding is not None and "1:1 relabelling" in finding.message
    assert set(finding.examples) == {("stayed", "0"), ("churned", "1")}
    frame["y"] = frame["color"]  # multiclass: each colour has its own code
    frame["code"] = frame["color"].map({"red": 3, "green": 1, "blue": 2, "grey": 0})
    finding = leak(frame, "code")
    assert finding is not None and "relabelling" in finding.message


def test_a_noisy_strong_predictor_is_not_leakage() -> None:
    frame = clean()
    rng = np.random.default_rng(3)
    frame["score"] = frame["y"] + rng.normal(0, 0.55, N)
    assert 0.85 < roc_auc_score(frame["y"], frame["score"]) < 0.95
    assert leak(frame, "score") is None


def test_a_near_perfect_numeric_predictor_is_leakage_in_either_direction() -> None:
    frame = clean()
    rng = np.random.default_rng(3)
    frame["score"] = -frame["y"] + rng.normal(0, 0.1, N)  # AUC about 0.00002: flipped
    finding = leak(frame, "score")
    assert finding is not None and finding.value is not None and finding.value > 0.99
    assert "ROC AUC" in finding.message and "its values as the score" in finding.message
    flipped = roc_auc_score(frame["y"], frame["score"])
    assert finding.value == pytest.approx(max(flipped, 1 - flipped))


def test_a_high_cardinality_id_with_a_random_target_is_not_leakage() -> None:
    frame = clean()
    frame["customer"] = [f"C{i:06d}" for i in range(N)]
    frame["row"] = np.arange(N)
    profile = profile_frame(frame, target="y")
    assert "target_leakage" not in checks(profile)


def test_a_category_that_decides_the_target_is_leakage() -> None:
    frame = clean()
    rng = np.random.default_rng(4)
    codes = rng.integers(0, 60, N)
    frame["reason"] = pd.Series([f"R{c}" for c in codes], dtype="str")
    frame["y"] = (codes % 2 == 0).astype(int)  # 60 codes, each belongs to one class
    finding = leak(frame, "reason")
    assert finding is not None and "out-of-fold per-value target means" in finding.message
    assert finding.value is not None and finding.value > 0.99


def test_missingness_that_reveals_the_target_is_leakage() -> None:
    frame = clean()
    rng = np.random.default_rng(5)
    frame["refund"] = np.where(frame["y"] == 1, rng.uniform(0, 100, N), np.nan)
    assert leak(frame, "refund") is not None


def test_a_non_monotone_numeric_leak_is_found_by_bins() -> None:
    frame = clean()
    x = np.random.default_rng(6).normal(0, 1, N)
    frame["x"] = x
    frame["y"] = (np.abs(x) > 1).astype(int)
    finding = leak(frame, "x")
    assert finding is not None and "per-bin" in finding.message


def test_multiclass_leakage_uses_one_vs_rest_auc() -> None:
    frame = clean()
    frame["y"] = np.arange(N) % 4
    frame["stage"] = frame["y"] + np.random.default_rng(7).normal(0, 0.05, N)
    finding = leak(frame, "stage")
    assert finding is not None and "one-vs-rest macro ROC AUC" in finding.message
    frame["stage"] = frame["y"] + np.random.default_rng(7).normal(0, 1.0, N)
    assert leak(frame, "stage") is None


def test_regression_leakage_uses_spearman() -> None:
    frame = clean()
    frame["price"] = np.random.default_rng(8).lognormal(3, 1, N)
    frame["log_price"] = np.log(frame["price"])
    frame["noisy"] = frame["log_price"] + np.random.default_rng(9).normal(0, 0.5, N)
    profile = profile_frame(frame, target="price")
    assert profile.target_task == "regression"
    (finding,) = found(profile, "target_leakage", "log_price")
    assert "|Spearman rho| 1.0000" in finding.message
    assert found(profile, "target_leakage", "noisy") == []


def test_ignored_columns_are_not_checked_for_leakage() -> None:
    frame = clean()
    frame["copy"] = frame["y"]
    assert leak(frame, "copy", ignore=["copy"]) is None


def test_leakage_on_a_sample_says_so() -> None:
    frame = clean()
    frame["copy"] = frame["y"]
    frame["near"] = frame["y"] + np.random.default_rng(1).normal(0, 0.01, N)
    profile = profile_frame(frame, target="y", leakage_max_rows=500)
    for column in ("copy", "near"):
        (finding,) = found(profile, "target_leakage", column)
        assert f"(on a random sample of 500 of {N:,} labelled rows)" in finding.message
    assert profile_frame(frame, target="y", leakage_max_rows=500).findings == profile.findings


@pytest.mark.slow
def test_leakage_samples_at_most_200k_rows_by_default() -> None:
    n = 250_000
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({"y": y, "leak": y + rng.normal(0, 0.05, n), "x": rng.normal(size=n)})
    (finding,) = found(profile_frame(frame, target="y"), "target_leakage", "leak")
    assert "(on a random sample of 200,000 of 250,000 labelled rows)" in finding.message


def test_rank_auc_equals_roc_auc_score() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 2, 500)
        score = np.round(rng.normal(size=500) + y * rng.uniform(0, 3), 1)  # with ties
        expected = roc_auc_score(y, score)
        assert _profile._rank_auc(rankdata(score), y == 1) == pytest.approx(expected, abs=1e-12)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("missing_warn", 1.5),
        ("missing_warn", 0),
        ("near_constant", True),
        ("leakage_auc", 0.4),
        ("max_classes", 1),
        ("leakage_folds", 2.5),
        ("leakage_max_rows", 10),
        ("iqr_k", -1),
    ],
)
def test_thresholds_out_of_range_are_config_errors(setting: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"The '{setting}' setting of profile_frame must be"):
        profile_frame(clean(), **{setting: value})  # type: ignore[arg-type]


def test_unknown_columns_and_repeated_names_are_schema_errors() -> None:
    with pytest.raises(SchemaError, match="The target column 'label' is not in the frame"):
        profile_frame(clean(), target="label")
    with pytest.raises(SchemaError, match="The ignore column 'nope'"):
        profile_frame(clean(), ignore=["nope"])
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(SchemaError, match="repeated: \\['a'\\]"):
        profile_frame(frame)


def test_odd_frames() -> None:
    empty = clean().iloc[:0]
    assert profile_frame(empty, target="y").findings == ()
    numbered = pd.DataFrame(np.random.default_rng(0).uniform(size=(50, 3)))  # int labels
    assert [c.name for c in profile_frame(numbered).columns] == ["0", "1", "2"]
    nested = pd.DataFrame({"tags": [["a"], ["b"], ["a"], None] * 5, "y": [0, 1] * 10})
    profile = profile_frame(nested, target="y")
    assert profile.column("tags").n_unique == 2
    assert found(profile, "duplicates")  # rows compared by the text of their lists
    dates = pd.DataFrame({"at": pd.date_range("2024-01-01", periods=20, tz="UTC"), "y": [0] * 20})
    assert profile_frame(dates, target="y").column("at").min == "2024-01-01T00:00:00+00:00"


# -- the HTML report ---------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag not in {"meta", "br", "link"}:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def messy() -> pd.DataFrame:
    frame = clean()
    frame["<script>alert(1)</script>"] = frame["color"].where(frame.index % 3 > 0)
    frame["when"] = pd.date_range("2024-01-01", periods=N, freq="h")
    frame["flag"] = frame.index % 2 == 0
    frame["$x^2$ & <b>"] = pd.Series([f"<i>{i % 7}</i> $5" for i in range(N)], dtype="str")
    frame["empty"] = np.nan
    frame["copy"] = frame["y"]
    return frame


def test_the_report_is_self_contained_valid_html_with_a_chart_per_column() -> None:
    frame = messy()
    html = render_html(profile_frame(frame, target="y"), frame, title="churn <v2>")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for reference in ("http://", "https://", 'src="/', "<script", "<link", "@import", "url("):
        assert reference not in html
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    assert parser.seen.count("html") == parser.seen.count("body") == 1
    assert len(parser.images) == frame.shape[1]
    assert all(str(i["src"]).startswith("data:image/png;base64,") for i in parser.images)
    assert len(re.findall(r'src="(?!data:)', html)) == 0


def test_the_report_escapes_every_string_from_the_data() -> None:
    frame = messy()
    html = render_html(profile_frame(frame, target="y"), frame, title="churn <v2>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "churn &lt;v2&gt;" in html and "<v2>" not in html
    assert "<i>" not in html and "&lt;i&gt;" in html
    assert "$x^2$ &amp; &lt;b&gt;" in html


def test_the_report_shows_the_findings() -> None:
    frame = messy()
    profile = profile_frame(frame, target="y")
    html = render_html(profile, frame, title="t")
    assert "sev-error" in html and "target_leakage" in html
    assert html.count('<tr>\n        <td><span class="sev') == len(profile.findings)
    assert "&#39;copy&#39; equals the target &#39;y&#39;." in html


def test_a_wide_report_stays_small() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": rng.normal(size=5000) for i in range(40)})
    for i in range(10):
        frame[f"t{i}"] = pd.Series(rng.choice([f"v{j}" for j in range(30)], 5000), dtype="str")
    html = render_html(profile_frame(frame), frame, title="wide")
    assert html.count("<img ") == 50
    assert len(html.encode()) < 1_000_000


def test_charts_do_not_touch_pyplot() -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    frame = messy()
    render_html(profile_frame(frame), frame, title="t")
    assert plt.get_fignums() == []
    assert matplotlib.get_backend() == backend


def test_rendering_with_another_frame_is_an_error() -> None:
    frame = clean()
    with pytest.raises(DataError, match="Render a profile with the frame it came from"):
        render_html(profile_frame(frame), frame.drop(columns="x1"), title="t")


def test_write_html_replaces_the_file_atomically(tmp_path: Path) -> None:
    frame = clean()
    path = tmp_path / "reports" / "profile.html"
    assert write_html(profile_frame(frame), frame, path, title="first") == path
    assert "first" in path.read_text(encoding="utf-8")
    with pytest.raises(DataError):
        write_html(profile_frame(frame), frame.iloc[:, :2], path, title="second")
    assert "first" in path.read_text(encoding="utf-8")
    write_html(profile_frame(frame), frame, path, title="third")
    assert "third" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["profile.html"]


def test_breast_cancer_smoke(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    profile = profile_frame(frame, target="target")
    assert profile.shape == (569, 31) and profile.target_task == "binary"
    assert profile.errors == ()  # strong features (AUC about 0.97), but none alone decides
    assert "class_imbalance" not in checks(profile)  # 37% malignant
    assert found(profile, "outliers_iqr", "worst area")
    path = write_html(profile, frame, tmp_path / "bc.html", title="Breast cancer")
    assert path.read_text(encoding="utf-8").count("<img ") == 31


@pytest.mark.parametrize("module", [_profile, _report])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted and not result.failed
