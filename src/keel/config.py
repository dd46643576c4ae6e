"""keel.yaml: its schema, its defaults, and errors that name the key, line and what is allowed.

Every section is a pydantic model with ``extra="forbid"``, so a misspelt key is an error at
load time, never a setting silently ignored. Sections for later
parts of keel (train, serve, …) join this schema as those parts land.

Example:
    >>> cfg = KeelConfig.model_validate({"project": "churn"})
    >>> cfg.store.url
    'sqlite:///.keel/keel.db'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from keel.errors import ConfigError
from keel.evaluate._spec import EvaluateSpec
from keel.features._spec import FeatureSpec
from keel.monitoring._spec import MonitorSpec
from keel.rollout._spec import DeploySpec
from keel.serving._spec import ServeSpec
from keel.train._spec import TrainSpec

__all__ = [
    "CONFIG_FILE",
    "DataConfig",
    "KeelConfig",
    "SqlQuery",
    "SqlSource",
    "StoreConfig",
    "TrackingConfig",
    "load_config",
]

CONFIG_FILE = "keel.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Section):
    """Where metadata and artifacts live. ``KEEL_STORE_URL`` overrides ``url``."""

    url: str = Field("sqlite:///.keel/keel.db", min_length=1)
    artifacts: str = Field(".keel/artifacts", min_length=1)


class TrackingConfig(_Section):
    """Experiment tracking: the default experiment and how metric points are batched."""

    experiment: str = Field("default", min_length=1, max_length=256)
    flush_interval_s: float = Field(1.0, gt=0, le=3600)
    flush_batch_points: int = Field(10_000, ge=1)
    max_pending_points: int = Field(1_000_000, ge=1)


class SqlQuery(_Section):
    """A SQL source: a SQLAlchemy URL and the query whose rows are the data set."""

    url: str = Field(min_length=1)
    query: str = Field(min_length=1)


class SqlSource(_Section):
    sql: SqlQuery


class DataConfig(_Section):
    """The training data: where it is and what its special columns are.

    ``source`` is a CSV, Parquet or JSON-lines path (relative to keel.yaml) or
    ``{sql: {url, query}}``.
    """

    source: str | SqlSource
    target: str | None = None
    timestamp: str | None = None
    entity: str | None = None
    sensitive: list[str] = Field(default_factory=list)
    #: The schema (the model's signature) as editable JSON, relative to keel.yaml; written
    #: by `keel data schema`, read by validation, snapshots and serving.
    schema_file: str = Field("schema.json", min_length=1)


class KeelConfig(_Section):
    project: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    data: DataConfig | None = None
    #: How columns become model features (keel.features.FeatureSpec); defaults when absent.
    features: FeatureSpec = Field(default_factory=FeatureSpec)
    #: How models are searched, scored and chosen (keel.train.TrainSpec).
    train: TrainSpec = Field(default_factory=TrainSpec)
    #: How much evidence an evaluation gathers (keel.evaluate.EvaluateSpec).
    evaluate: EvaluateSpec = Field(default_factory=EvaluateSpec)
    #: Conditions on holdout metrics a trained model must meet: {roc_auc: ">= 0.85"}; fairness
    #: metrics too ({demographic_parity_difference: "<= 0.1"}) when data.sensitive is set.
    gates: dict[str, str] = Field(default_factory=dict)
    #: What `keel serve` answers for and how it behaves under load (keel.serving.ServeSpec).
    serve: ServeSpec = Field(default_factory=ServeSpec)
    #: The named endpoint `keel deploy` rolls out and its strategy (keel.rollout.DeploySpec).
    deploy: DeploySpec = Field(default_factory=DeploySpec)
    #: What `keel monitor run` reads and compares, and its alert rules (keel.monitoring).
    monitor: MonitorSpec = Field(default_factory=MonitorSpec)

    @field_validator("gates")
    @classmethod
    def _gates_are_comparisons(cls, gates: dict[str, str]) -> dict[str, str]:
        from keel.errors import TrainError
        from keel.train._gates import parse_gate

        for metric, condition in gates.items():
            try:
                parse_gate(metric, condition)
            except TrainError:
                raise ValueError(
                    f'must map each metric to a comparison like ">= 0.85" (>=, <=, >, <, ==, '
                    f"!= and a number); {metric!r} has {condition!r}"
                ) from None
        return gates

    store: StoreConfig = Field(default_factory=StoreConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)


def load_config(path: str | os.PathLike[str]) -> KeelConfig:
    """Read and validate a keel.yaml.

    Raises:
        ConfigError: the file is missing, is not YAML, or a key or value is wrong; the
            message names the file, line, key path and what is allowed.
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path} does not exist. Run `keel init` to create it.", path=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}", path=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_message(path, exc), path=str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must be a mapping of settings (project: …, store: …); got "
            f"{type(data).__name__} instead.",
            path=str(path),
        )
    try:
        return KeelConfig.model_validate(data)
    except PydanticValidationError as exc:
        raise _config_error(path, exc, _line_numbers(node)) from None


def _yaml_message(path: Path, exc: Any) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"{where}: not valid YAML: {problem}."


def _line_numbers(node: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in the YAML document to its 1-based line number."""
    import yaml

    lines: dict[tuple[Any, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            here = (*prefix, key_node.value)
            lines[here] = key_node.start_mark.line + 1
            lines.update(_line_numbers(value_node, here))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, index)] = item.start_mark.line + 1
            lines.update(_line_numbers(item, (*prefix, index)))
    return lines


def _config_error(
    path: Path, exc: PydanticValidationError, lines: dict[tuple[Any, ...], int]
) -> ConfigError:
    problems = [_describe(path, error, lines) for error in exc.errors()]
    first = ".".join(str(part) for part in exc.errors()[0]["loc"])
    return ConfigError("\n".join(problems), path=str(path), field=first)


def _describe(path: Path, error: Any, lines: dict[tuple[Any, ...], int]) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) or "(top level)"
    line = lines.get(loc) or lines.get(loc[:-1])
    where = f"{path}:{line}" if line else str(path)
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1]))
        return f"{where}: unknown key '{key}'. Allowed keys here: {allowed}."
    if error["type"] == "missing":
        return f"{where}: the key '{key}' is required."
    problem = _lower_first(error["msg"])
    return f"{where}: the '{key}' setting {problem}. Got {error['input']!r} instead."


def _allowed_keys(section: tuple[Any, ...]) -> list[str]:
    model: Any = KeelConfig
    for part in section:
        field = model.model_fields.get(part)
        models = _models_in(field.annotation) if field is not None else []
        if len(models) != 1:
            return []
        model = models[0]
    return list(model.model_fields)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation allows: ``DataConfig | None`` gives [DataConfig]."""
    import typing

    options = typing.get_args(annotation) or (annotation,)
    return [t for t in options if isinstance(t, type) and issubclass(t, BaseModel)]


def _lower_first(message: str) -> str:
    message = message.removeprefix("Value error, ").replace("Input should be", "must be")
    message = message.replace("a valid dictionary or instance of", "a mapping of settings like")
    return (message[:1].lower() + message[1:]) if message else message
