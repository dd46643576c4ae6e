"""From a Trained model's fitted objects to ONNX bytes: which scikit-learn object to hand
to skl2onnx (the feature steps and the model, or the model alone), and the converters for
LightGBM and XGBoost registered once from onnxmltools.

skl2onnx costs about 2 s to import, so everything here is imported on first export only.
Every failure is a ``Unconvertible`` carrying the reason a package records.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "CONVERTIBLE_FAMILIES",
    "TARGET_OPSET",
    "Unconvertible",
    "convert",
    "feature_steps",
    "model_estimator",
]

#: Opset 17 and ai.onnx.ml 3 (TreeEnsemble with double-precision attributes): both are run
#: by every onnxruntime >= 1.14 and written by skl2onnx and onnxmltools alike.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}

#: The families whose fitted estimator skl2onnx (or a registered onnxmltools converter)
#: turns into a graph. k-NN converts too, but its graph holds the whole training set.
CONVERTIBLE_FAMILIES = frozenset(
    {
        "logistic",
        "linear",
        "random_forest",
        "extra_trees",
        "hist_gradient_boosting",
        "lightgbm",
        "xgboost",
        "external",
    }
)


class Unconvertible(Exception):
    """The model or one of its feature steps has no ONNX form; the message says which."""


def feature_steps(
    features: Any, input_columns: list[str], kinds: dict[str, str]
) -> list[tuple[str, Any, list[int]]]:
    """The pipeline's fitted column branches, each with the positions of its columns in
    ``input_columns`` (RecordValidator's row); branches that produce nothing are left out.

    Raises:
        Unconvertible: steps after the column branches, or a non-numeric input column.
    """
    if features.after_:
        names = ", ".join(name for name, _ in features.after_)
        raise Unconvertible(f"the feature steps after the column branches ({names}) do not convert")
    columns = features.columns_
    branches = []
    for name, step, inputs in columns.transformers_:
        if isinstance(step, str):  # the dropped remainder
            continue
        produced = columns.output_indices_[name]
        if produced.stop == produced.start:  # e.g. a MissingIndicator that found no nulls
            continue
        positions = []
        for column in inputs:
            if kinds.get(column) != "numeric" or column not in input_columns:
                raise Unconvertible(
                    f"input column {column!r} is {kinds.get(column, 'not a feature')}, and only "
                    "numeric columns enter the graph"
                )
            positions.append(input_columns.index(column))
        branches.append((name, step, positions))
    return branches


def model_estimator(family: str, estimator: Any) -> Any:
    """The estimator skl2onnx converts for one member, its converter registered.

    Raises:
        Unconvertible: a family without a faithful converter.
    """
    if family not in CONVERTIBLE_FAMILIES:
        raise Unconvertible(f"the {family} family has no ONNX converter keel trusts")
    if family in ("lightgbm", "xgboost", "external"):  # an external model may hold a booster
        _register_boosting()
    return estimator


@functools.cache
def _register_boosting() -> None:
    import lightgbm
    import xgboost
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    classifier, regressor = (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )
    register = update_registered_converter
    register(
        lightgbm.LGBMClassifier,
        "LightGbmLGBMClassifier",
        classifier,
        convert_lightgbm,
        options=options,
    )
    register(lightgbm.LGBMRegressor, "LightGbmLGBMRegressor", regressor, convert_lightgbm)
    register(
        xgboost.XGBClassifier, "XGBoostXGBClassifier", classifier, convert_xgboost, options=options
    )
    register(xgboost.XGBRegressor, "XGBoostXGBRegressor", regressor, convert_xgboost)


def convert(steps: list[tuple[str, Any]], width: int, classifier: bool) -> bytes:
    """ONNX bytes of ``Pipeline(steps)`` over one float input "input" of ``width`` columns.

    Raises:
        Unconvertible: skl2onnx refused (the message is its own, shortened).
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.pipeline import Pipeline

    model = steps[-1][1]
    options = {id(model): {"zipmap": False}} if classifier else None
    pipeline = Pipeline(steps) if len(steps) > 1 else model
    try:
        graph = convert_sklearn(
            pipeline,
            initial_types=[("input", FloatTensorType([None, width]))],
            target_opset=TARGET_OPSET,
            options=options,
        )
    except Exception as exc:  # skl2onnx raises many types (RuntimeError, NotImplementedError...)
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unconvertible(
            f"skl2onnx could not convert {type(model).__name__}: {text[:300]}"
        ) from None
    return bytes(graph.SerializeToString())
