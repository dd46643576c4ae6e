"""The ``serve:`` section of keel.yaml: which models a server answers for and how it
behaves under load.

Example:
    >>> spec = ServeSpec.model_validate({"models": ["churn@champion"],
    ...                                  "batching": {"max_batch": 32}})
    >>> spec.models, spec.batching.max_batch, spec.batching.max_wait_us, spec.auth
    (['churn@champion'], 32, 500, 'off')
    >>> ServeSpec.model_validate({"batching": {"mode": False}, "auth": False}).batching.mode
    'off'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BatchingSpec",
    "CacheSpec",
    "DeploymentsSpec",
    "LimitsSpec",
    "PredictionLogSpec",
    "ServeSpec",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _yaml_switch(value: object) -> object:
    """YAML 1.1 reads an unquoted ``off`` / ``on`` as a boolean: take it as the word."""
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value


class BatchingSpec(_Spec):
    """Adaptive micro-batching: concurrent requests for a model are predicted together."""

    #: "auto" batches only while requests overlap (a lone client is never delayed).
    mode: Literal["auto", "on", "off"] = "auto"
    #: Rows (not requests) per batch.
    max_batch: int = Field(64, ge=1, le=100_000)
    #: The longest a row waits for others to join its batch.
    max_wait_us: int = Field(500, ge=0, le=1_000_000)

    _mode_words = field_validator("mode", mode="before")(_yaml_switch)


class CacheSpec(_Spec):
    """An LRU cache of responses keyed by the hash of the validated input."""

    #: Entries kept; 0 turns the cache off.
    size: int = Field(0, ge=0, le=10_000_000)
    #: Seconds an entry stays valid.
    ttl_s: float = Field(300.0, gt=0)


class LimitsSpec(_Spec):
    """What the server refuses rather than let latency grow without bound."""

    #: Rows waiting per model beyond which requests get 429 with Retry-After.
    max_queue_rows: int = Field(10_000, ge=1)
    #: Request bodies larger than this get 413.
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    #: A request not answered in this many seconds gets 504.
    timeout_s: float = Field(10.0, gt=0)


class PredictionLogSpec(_Spec):
    """Every prediction written for monitoring, off the request path."""

    enabled: bool = True
    #: Rows buffered in memory before the writer spills to disk.
    max_pending_rows: int = Field(100_000, ge=100)
    #: Seconds between Parquet segments (and rows per segment at most).
    flush_interval_s: float = Field(5.0, gt=0)
    max_segment_rows: int = Field(100_000, ge=100)


class DeploymentsSpec(_Spec):
    """How a server keeps its deployments (``serve.deployments``) current and counted."""

    #: Seconds between reads of each deployment's state (a new revision is loaded, warmed
    #: and swapped in).
    poll_s: float = Field(1.0, gt=0)
    #: Seconds between flushes of the per-version counters to the store.
    flush_s: float = Field(1.0, gt=0)
    #: Seconds between controller ticks (canary steps, rollbacks, bandit weights) this
    #: server runs for its deployments; 0: leave them to another process.
    controller_s: float = Field(5.0, ge=0)
    #: Shadow copies waiting at most; more are dropped (and counted), never waited for.
    shadow_queue: int = Field(4096, ge=1)
    #: Seconds the shadow thread lets copies gather before predicting them in one call.
    shadow_linger_s: float = Field(0.2, ge=0, le=10)
    #: Request ids remembered for /feedback (version and predicted label).
    feedback_memory: int = Field(100_000, ge=1)


class ServeSpec(_Spec):
    """keel.yaml ``serve:``."""

    #: Model references: "name@alias", "name/3", or a package path.
    models: list[str] = Field(default_factory=list)
    #: Deployments (keel deploy NAME) answered at /predict/NAME by routing each request.
    deployments: list[str] = Field(default_factory=list)
    #: How the deployments are polled, counted and controlled.
    rollout: DeploymentsSpec = Field(default_factory=DeploymentsSpec)
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    #: Worker processes on one port (the models load once, before the fork).
    workers: int = Field(1, ge=1, le=256)
    #: "required": every call but health needs a bearer token (keel tokens create).
    auth: Literal["off", "required"] = "off"
    #: Seconds between registry polls for alias moves (hot swap); 0 turns polling off.
    poll_s: float = Field(5.0, ge=0)
    batching: BatchingSpec = Field(default_factory=BatchingSpec)
    cache: CacheSpec = Field(default_factory=CacheSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    prediction_log: PredictionLogSpec = Field(default_factory=PredictionLogSpec)

    _auth_words = field_validator("auth", mode="before")(_yaml_switch)
