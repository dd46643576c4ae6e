"""keel's exceptions: one tree, so callers can catch as broadly or narrowly as they need.

::

    KeelError
     ├── ConfigError            keel.yaml or a setting is wrong (.path, .field)
     ├── DataError
     │    ├── SchemaError
     │    ├── ValidationError
     │    └── SnapshotNotFoundError
     ├── FeatureError           a feature spec or pipeline is wrong or was misused (.field)
     ├── TrainError             a train setting is impossible, or training failed (.field)
     │    └── GateFailedError   a trained model missed a gate (.failures)
     ├── EvaluationError        evaluation input is unusable (.field)
     ├── ModelError             a model package, export or prediction call is wrong (.field)
     │    ├── PackageError      a package is malformed, tampered with or too new (.file)
     │    └── RegistryError     an unknown model, version or alias; a forbidden change
     ├── RolloutError           an unknown deployment, an impossible transition, a lost race
     ├── MonitoringError        a monitor run has no usable data, an alert rule is wrong (.field)
     ├── StoreError             the metadata database or artifact store
     │    ├── StoreVersionError  the store was written by a newer keel
     │    ├── ArtifactError      a bad artifact name, a missing artifact
     │    │    └── ArtifactCorruptedError   content does not match its SHA-256
     │    └── FilterError       a malformed search filter (.position)
     └── TrackingError          runs, params, metrics
          ├── RunNotFoundError
          ├── ExperimentNotFoundError
          └── ParamConflictError   a logged param may not change

Every message says the value, what was expected and, where it helps, the likely cause.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArtifactCorruptedError",
    "ArtifactError",
    "ConfigError",
    "DataError",
    "EvaluationError",
    "ExperimentNotFoundError",
    "FeatureError",
    "FilterError",
    "GateFailedError",
    "KeelError",
    "ModelError",
    "MonitoringError",
    "PackageError",
    "ParamConflictError",
    "RegistryError",
    "RolloutError",
    "RunNotFoundError",
    "SchemaError",
    "SnapshotNotFoundError",
    "StoreError",
    "StoreVersionError",
    "TrackingError",
    "TrainError",
    "ValidationError",
]


class KeelError(Exception):
    """Base of every error keel raises on purpose."""


class ConfigError(KeelError):
    """keel.yaml or a setting is wrong.

    Attributes:
        path: the file the setting came from, when there is one.
        field: the dotted key path of the bad setting, when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None):
        super().__init__(message)
        self.path = path
        self.field = field


class DataError(KeelError):
    """Input data is unreadable or does not fit what was expected."""


class SchemaError(DataError):
    """Data does not match its schema."""


class ValidationError(DataError):
    """Data failed a validation rule."""


class SnapshotNotFoundError(DataError):
    def __init__(self, snapshot_id: str):
        super().__init__(
            f"No data snapshot {snapshot_id!r} in this workspace (give the full id or a unique "
            "prefix of 8 or more characters)."
        )
        self.snapshot_id = snapshot_id


class FeatureError(KeelError):
    """A feature spec names something impossible, or a pipeline is used wrongly (not fitted,
    a column missing at transform time, a record that cannot be encoded).

    Attributes:
        field: the setting or column the problem is about, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class TrainError(KeelError):
    """A ``train:`` setting is impossible (unknown algorithm, empty search space), the data
    cannot be trained on (target missing, a single class), or a fit failed.

    Attributes:
        field: the setting the problem is about, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class GateFailedError(TrainError):
    """A trained model missed one or more of keel.yaml's ``gates:`` on the holdout.

    Attributes:
        failures: one line per missed gate: the metric, its value and the condition.
    """

    def __init__(self, failures: list[str]):
        super().__init__("The model failed its gates: " + "; ".join(failures) + ".")
        self.failures = failures


class EvaluationError(KeelError):
    """Evaluation cannot run on what it was given: lengths that differ, a sensitive column
    that is not in the data, a group holding one class only, an unknown metric.

    Attributes:
        field: the argument, column or setting the problem is about, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class ModelError(KeelError):
    """A model package cannot be built, exported or used as asked (a record the signature
    refuses, an ONNX export asked for and impossible, an unknown backend).

    Attributes:
        field: the argument, setting or input column the problem is about, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class PackageError(ModelError):
    """A model package is malformed, was altered after it was written (a hash mismatch, a
    missing or truncated file), or was written by a newer package format.

    Attributes:
        file: the file inside the package that failed, when there is one.
    """

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message)
        self.file = file


class RegistryError(ModelError):
    """A registry call names an unknown model, version or alias, or asks for a change the
    registry forbids (deleting a version an alias points at, rolling back with no history)."""


class RolloutError(KeelError):
    """A deployment call names an unknown deployment, asks for a transition its state does
    not allow (rolling back with nothing to roll back to), or lost a race with another
    writer twice.

    Attributes:
        deployment: the deployment's name, when there is one.
    """

    def __init__(self, message: str, *, deployment: str | None = None):
        super().__init__(message)
        self.deployment = deployment


class MonitoringError(KeelError):
    """A monitor run has no usable data (an empty window, one class only, no reference),
    or an alert rule or sink is wrong.

    Attributes:
        field: the setting or column at fault, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class StoreError(KeelError):
    """The metadata database or the artifact store failed or holds something unexpected."""


class StoreVersionError(StoreError):
    """The store was written by a newer keel than this one."""

    def __init__(self, message: str, *, found: str, supported: str):
        super().__init__(message)
        self.found = found
        self.supported = supported


class ArtifactError(StoreError):
    """An artifact name is not allowed, or an artifact is missing."""


class ArtifactCorruptedError(ArtifactError):
    """An artifact's content no longer matches the SHA-256 it was stored under."""

    def __init__(self, message: str, *, path: str):
        super().__init__(message)
        self.path = path


class FilterError(StoreError):
    """A search filter could not be parsed.

    Attributes:
        position: 0-based character offset of the offending token in the filter.
    """

    def __init__(self, message: str, *, filter_string: str, position: int):
        caret = " " * position + "^"
        super().__init__(f"{message}\n  {filter_string}\n  {caret}")
        self.filter_string = filter_string
        self.position = position


class TrackingError(KeelError):
    """A run, param or metric call was given something it cannot record."""


class RunNotFoundError(TrackingError):
    def __init__(self, run_id: str):
        super().__init__(f"No run with id {run_id!r} in this workspace.")
        self.run_id = run_id


class ExperimentNotFoundError(TrackingError):
    def __init__(self, name: str):
        super().__init__(f"No experiment named {name!r} in this workspace.")
        self.name = name


class ParamConflictError(TrackingError):
    """A param already logged on a run was logged again with a different value."""


def settings_error(exc: Any, section: str) -> ConfigError:
    """The ConfigError for a pydantic ValidationError of a keel.yaml section's settings,
    one line per problem in keel's template: "The 'fraction' setting of deploy.shadow must
    be greater than 0. Got 0 instead." (the section's own specs call it; keel.config adds
    file and line numbers for keel.yaml itself)."""
    lines, first = [], None
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        where = ".".join([section, *loc[:-1]])
        first = first or ".".join([section, *loc])
        key = loc[-1] if loc else section
        if error["type"] == "extra_forbidden":
            lines.append(f"The key {key!r} is not a setting of {where}.")
            continue
        message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        message = message[:1].lower() + message[1:]
        lines.append(f"The {key!r} setting of {where} {message}. Got {error['input']!r} instead.")
    return ConfigError("\n".join(lines), field=first)
