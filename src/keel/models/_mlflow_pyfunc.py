"""The MLflow pyfunc model that an exported keel package runs as.

MLflow loads it from ``templates/mlflow_model.py`` (MLflow's "models from code"), so the
MLflow model directory holds no pickle: the model is this class, the keel package is an
artifact, and loading the package verifies its hashes as keel always does.

``predict`` returns what keel's ``Predictor`` returns for the same frame: labels for a
classifier (or, with ``params={"output": "probabilities"}``, a DataFrame of probabilities
with one column per class, named by the class as a string), values for a regressor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from keel.errors import ModelError
from keel.models._mlflow_schema import OUTPUT_PARAM, OUTPUTS, PACKAGE_ARTIFACT

__all__ = ["KeelPythonModel"]


class KeelPythonModel(PythonModel):  # type: ignore[misc]
    """Predicts through the keel package stored as the ``keel_package`` artifact."""

    def load_context(self, context: Any) -> None:
        from keel.models._package import load_package

        package = load_package(context.artifacts[PACKAGE_ARTIFACT])
        self._classes = package.classes
        self._predictor = package.predictor()

    # model_input's hint is pd.DataFrame: MLflow reads it and warns about any other hint.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> Any:
        output = (params or {}).get(OUTPUT_PARAM) or OUTPUTS[0]
        if output not in OUTPUTS:
            raise ModelError(
                f"The {OUTPUT_PARAM!r} parameter must be one of {', '.join(OUTPUTS)}. "
                f"Got {output!r} instead.",
                field=OUTPUT_PARAM,
            )
        frame = pd.DataFrame(model_input)
        if output == "labels":
            return np.asarray(self._predictor.predict(frame))
        if self._classes is None:
            raise ModelError(
                "This is a regression model: it predicts values, not probabilities "
                f"(leave {OUTPUT_PARAM!r} at 'labels').",
                field=OUTPUT_PARAM,
            )
        probabilities = self._predictor.predict_proba(frame)
        return pd.DataFrame(probabilities, columns=[str(c) for c in self._classes])
