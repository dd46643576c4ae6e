"""keel's schema as an MLflow signature, and back: the schema of an imported MLflow model.

MLflow enforces a signature strictly (an int64 column is refused where ``double`` is
declared, a float64 one where ``long`` is), so each keel type maps to the pandas dtype that
data of that type has when it is read: a nullable integer column arrives as float64 (its
nulls are NaN), so it is declared ``double``; a non-nullable one as int64, so ``long``.
Every column is declared required: MLflow's "optional" means the column may be absent,
which keel refuses; nulls pass MLflow's check either way and keel's own validation decides.
A timezone-aware datetime column cannot be declared (MLflow's ``datetime`` is naive).

Example:
    >>> from keel.data import ColumnSchema, Schema
    >>> schema = Schema(columns=[ColumnSchema(name="age", type="integer", nullable=False)])
    >>> [(c.name, c.type) for c in keel_schema(mlflow_signature(schema).inputs).columns]
    [('age', 'integer')]
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.data import ColumnSchema, Schema
from keel.errors import ModelError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OUTPUTS",
    "OUTPUT_PARAM",
    "PACKAGE_ARTIFACT",
    "import_schema",
    "keel_schema",
    "mlflow_signature",
]

#: The name of the keel package among the MLflow model's artifacts.
PACKAGE_ARTIFACT = "keel_package"
#: The pyfunc's inference parameter that picks what ``predict`` returns.
OUTPUT_PARAM = "output"
OUTPUTS = ("labels", "probabilities")

_TO_MLFLOW = {
    "numeric": "double",
    "boolean": "boolean",
    "categorical": "string",
    "text": "string",
    "datetime": "datetime",
}
_FROM_MLFLOW = {
    "double": "numeric",
    "float": "numeric",
    "integer": "integer",
    "long": "integer",
    "boolean": "boolean",
    "string": "categorical",
    "datetime": "datetime",
}


def mlflow_signature(schema: Schema) -> Any:
    """The MLflow ``ModelSignature`` of ``schema``'s feature columns, with the ``output``
    parameter ("labels" by default, or "probabilities")."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec
    from mlflow.types import Schema as MlflowSchema

    columns: list[Any] = [ColSpec(_mlflow_type(c), c.name) for c in schema.features()]
    params = ParamSchema([ParamSpec(OUTPUT_PARAM, "string", OUTPUTS[0])])
    return ModelSignature(inputs=MlflowSchema(columns), params=params)


def _mlflow_type(column: ColumnSchema) -> str:
    if column.type == "integer":
        return "double" if column.nullable else "long"
    if column.type == "datetime" and column.timezone is not None:
        raise ModelError(
            f"Column {column.name!r} is a timezone-aware datetime ({column.timezone}); an "
            "MLflow signature can only declare naive datetimes. Store it as UTC without a "
            "zone in the training data to export this model to MLflow.",
            field=column.name,
        )
    return _TO_MLFLOW[column.type]


def keel_schema(inputs: Any, *, source: str = "the MLflow signature") -> Schema:
    """A keel Schema (every column a nullable feature) from an MLflow input schema.

    Raises:
        ModelError: the schema is tensor-based (no column names), or a column has a type
            keel has no logical type for.
    """
    if not inputs.has_input_names() or inputs.is_tensor_spec():
        raise ModelError(
            f"{source} describes tensors, not named columns, so it gives no column names or "
            "types. Pass sample= (a DataFrame of model inputs) to infer the schema from it.",
            field="signature",
        )
    columns = []
    for spec in inputs.inputs:
        kind = _FROM_MLFLOW.get(getattr(spec.type, "name", str(spec.type)))
        if kind is None:
            raise ModelError(
                f"Column {spec.name!r} of {source} has type {spec.type}; keel reads "
                f"{', '.join(sorted(_FROM_MLFLOW))}. Pass sample= to infer the schema instead.",
                field=spec.name,
            )
        columns.append(ColumnSchema(name=spec.name, type=kind, nullable=True))  # type: ignore[arg-type]
    return Schema(columns=columns, source=source)


def import_schema(
    signature: Any, sample: pd.DataFrame | None, expected: list[str] | None, root: Path
) -> Schema:
    """The schema of an imported model: from its MLflow ``signature`` (when it names its
    columns), else inferred from ``sample``; ``expected`` (the estimator's own input
    columns, in its order) become the features, other columns get the role "ignore".

    Raises:
        ModelError: neither a usable signature nor a sample, or a column the estimator
            reads is absent.
    """
    inputs = None if signature is None else signature.inputs
    if inputs is not None and (inputs.has_input_names() or sample is None):
        schema = keel_schema(inputs, source=f"the signature of {root}")
    elif sample is not None:
        from keel.data import infer_schema

        schema = infer_schema(sample, source=f"the sample given for {root}")
        # Every column of a sample is model input: no inferred id or ignore roles.
        schema = schema.model_copy(
            update={"columns": [c.model_copy(update={"role": "feature"}) for c in schema.columns]}
        )
    else:
        raise ModelError(
            f"The MLflow model at {root} has no signature, so keel cannot tell its input "
            "columns. Pass sample= (a DataFrame of model input rows) to infer the schema.",
            field="sample",
        )
    return _fit_to_estimator(schema, expected, root)


def _fit_to_estimator(schema: Schema, expected: list[str] | None, root: Path) -> Schema:
    # The estimator's order: it may read its columns by position.
    if expected is None:
        return schema
    missing = [name for name in expected if name not in schema.names]
    if missing:
        raise ModelError(
            f"The model at {root} reads columns {', '.join(map(repr, missing))}, which its "
            f"schema lacks (schema columns: {', '.join(schema.names)}).",
            field=missing[0],
        )
    by_name = {c.name: c for c in schema.columns}
    features = [by_name[name] for name in expected]
    others = [
        c.model_copy(update={"role": "ignore"}) for c in schema.columns if c.name not in expected
    ]
    return schema.model_copy(update={"columns": features + others})
