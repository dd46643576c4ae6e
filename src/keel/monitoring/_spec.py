"""The ``monitor:`` section of keel.yaml: the window a monitor run reads, what it compares
the window to, the drift settings, and the alert rules.

``window`` is a duration (``"1h"``, ``"30m"``, ``"2d"``: the latest span of time in the
prediction log, ending at its newest row) or a row count (``10000``: the newest rows).
``reference`` is ``auto`` (the model's training snapshot when the store holds it, else
the package's ``profile.json``), ``snapshot``, ``package`` or ``previous`` (the window
just before the current one, of the same length).

Example:
    >>> spec = MonitorSpec.model_validate({"window": 10000, "alerts": [
    ...     {"when": "drift.share > 0.3", "send": "webhook", "url": "http://127.0.0.1:9/h"}]})
    >>> spec.window_rows, spec.window_seconds, spec.alerts[0].cooldown_seconds
    (10000, None, 3600.0)
    >>> parse_monitor_spec({"window": "1 week"})
    Traceback (most recent call last):
    ...
    keel.errors.ConfigError: The 'window' setting of monitor must be a duration like "1h", "30m" or "2d", or a row count like 10000. Got '1 week' instead.
"""  # noqa: E501

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from keel.errors import MonitoringError, settings_error

__all__ = [
    "AlertRule",
    "ConceptSettings",
    "DriftSettings",
    "MonitorSpec",
    "parse_duration",
    "parse_monitor_spec",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
Detector = Literal["adwin", "ddm", "eddm", "page_hinkley"]
_WINDOW_HELP = 'a duration like "1h", "30m" or "2d", or a row count like 10000'


def parse_duration(value: str | float) -> float | None:
    """Seconds in ``"90s"``, ``"30m"``, ``"1h"``, ``"2d"``, ``"1w"`` (a number is seconds);
    None when the text is not a duration.

    Example:
        >>> parse_duration("1.5h"), parse_duration(30), parse_duration("soon")
        (5400.0, 30.0, None)
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    match = _DURATION.match(str(value))
    return None if match is None else float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftSettings(_Spec):
    """How per-feature drift is tested and when the data set counts as drifted."""

    #: A drift method by name (keel.monitoring.drift_methods()), or "auto".
    method: str = Field("auto", min_length=1)
    #: One threshold for every column, or {column: threshold}; the method's default if absent.
    thresholds: float | dict[str, float] | None = None
    #: The data set has drifted when at least this share of its features has.
    share_of_features: float = Field(0.3, gt=0, le=1)
    #: Also run the domain classifier (joint shifts per-feature tests miss), on a seeded
    #: sample of this many rows a side, when the reference has rows (not package-only).
    multivariate: bool = True
    multivariate_rows: int = Field(5_000, ge=20, le=1_000_000)


class ConceptSettings(_Spec):
    """Concept-drift detectors run on the window's per-prediction errors (labelled rows,
    in time order): 0/1 misclassification for classifiers, absolute error for regressors.
    ``detectors`` None: ADWIN and Page-Hinkley, plus DDM on 0/1 errors (EDDM is opt-in:
    it raised false alarms on long stationary streams; see "Concept drift")."""

    detectors: list[Detector] | None = None
    #: Settings per detector, e.g. {adwin: {delta: 0.0001}}.
    params: dict[Detector, dict[str, float]] = Field(default_factory=dict)
    #: Fewer labelled rows than this and no detector runs.
    min_labels: int = Field(100, ge=1)


class AlertRule(_Spec):
    """One alert: a condition on a report's metrics and where to send it when it holds."""

    #: A condition like "drift.share > 0.3" or "estimated.roc_auc < 0.8" (see _rules).
    when: str = Field(min_length=1)
    #: A name for messages and deduplication; default the condition itself.
    name: str | None = Field(None, min_length=1)
    send: Literal["log", "webhook", "email"] = "log"
    severity: Literal["info", "warning", "critical"] = "warning"
    #: The condition must hold in this many consecutive reports (this one included).
    window: int = Field(1, ge=1, le=1000)
    #: After firing, the rule stays quiet this long (a duration or seconds).
    cooldown: str | float = "1h"
    #: webhook: the URL the alert is POSTed to as JSON, with these extra headers.
    url: str | None = Field(None, pattern=r"^https?://")
    headers: dict[str, str] = Field(default_factory=dict)
    #: webhook: attempts after the first, waiting backoff_s, 2 x backoff_s, ... between them.
    retries: int = Field(4, ge=0, le=20)
    backoff_s: float = Field(0.5, ge=0, le=600)
    #: email: recipients, sender, and the SMTP server as "host:port".
    to: list[str] = Field(default_factory=list)
    sender: str = Field("keel@localhost", min_length=3)
    smtp: str = Field("localhost:25", pattern=r"^[^:\s]+:\d{1,5}$")

    @field_validator("when")
    @classmethod
    def _when_parses(cls, when: str) -> str:
        from keel.monitoring._rules import parse_condition

        try:
            parse_condition(when)
        except MonitoringError as exc:
            raise ValueError(f'must be a condition like "drift.share > 0.3" ({exc})') from None
        return when

    @field_validator("cooldown")
    @classmethod
    def _cooldown_is_duration(cls, cooldown: str | float) -> str | float:
        if parse_duration(cooldown) is None:
            raise ValueError('must be a duration like "1h" or "30m", or seconds')
        return cooldown

    @model_validator(mode="after")
    def _sink_has_its_settings(self) -> AlertRule:
        if self.send == "webhook" and self.url is None:
            raise ValueError("must have a url (http:// or https://) when send is webhook")
        if self.send == "email" and not self.to:
            raise ValueError("must have at least one address in 'to' when send is email")
        return self

    @property
    def title(self) -> str:
        return self.name or self.when

    @property
    def cooldown_seconds(self) -> float:
        return float(parse_duration(self.cooldown) or 0.0)


class MonitorSpec(_Spec):
    """keel.yaml ``monitor:``."""

    #: The registry ref monitored when the command names none (default the project name).
    model: str | None = Field(None, min_length=1)
    window: str | int = "1h"
    reference: Literal["auto", "snapshot", "package", "previous"] = "auto"
    drift: DriftSettings = Field(default_factory=DriftSettings)
    concept: ConceptSettings = Field(default_factory=ConceptSettings)
    alerts: list[AlertRule] = Field(default_factory=list)
    #: At most this many rows of a window are read (the newest ones); bounds memory.
    max_rows: int = Field(1_000_000, ge=100)
    #: Feature columns read from the log at a time: at most max_rows x this many values.
    columns_per_chunk: int = Field(8, ge=1, le=1000)

    @field_validator("window", mode="before")
    @classmethod
    def _window_parses(cls, window: Any) -> Any:
        if isinstance(window, str) and window.strip().isdigit():
            window = int(window)
        if isinstance(window, bool) or not isinstance(window, int | str):
            raise ValueError(f"must be {_WINDOW_HELP}")
        if isinstance(window, int) and window < 1:
            raise ValueError(f"must be {_WINDOW_HELP}")
        if isinstance(window, str) and not parse_duration(window):
            raise ValueError(f"must be {_WINDOW_HELP}")
        return window

    @property
    def window_rows(self) -> int | None:
        """The window as a row count, or None for a time window."""
        return self.window if isinstance(self.window, int) else None

    @property
    def window_seconds(self) -> float | None:
        """The window as seconds, or None for a row-count window."""
        return None if isinstance(self.window, int) else parse_duration(self.window)


def parse_monitor_spec(data: dict[str, Any], *, field: str = "monitor") -> MonitorSpec:
    """A MonitorSpec from plain data (CLI flags merged over keel.yaml), with keel's messages.

    Raises:
        ConfigError: a value is wrong; the message names the setting and what is allowed.
    """
    try:
        return MonitorSpec.model_validate(data)
    except PydanticValidationError as exc:
        raise settings_error(exc, field) from None
