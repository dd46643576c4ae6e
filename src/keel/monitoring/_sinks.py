"""Where alerts go: the ``AlertSink`` seam and its three built-ins — the log, a webhook
(HTTP POST of the alert as JSON, retried with exponential backoff) and email over SMTP.

Example:
    >>> alert = Alert(rule="drift", when="drift.share > 0.3", severity="warning",
    ...               model="churn", version=3, fired_at=0.0, values={"drift.share": 0.5})
    >>> alert.subject
    '[keel warning] churn v3: drift (drift.share > 0.3)'
    >>> MemorySink().send(alert)
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from keel.errors import MonitoringError

if TYPE_CHECKING:
    from keel.monitoring._spec import AlertRule

__all__ = ["Alert", "AlertSink", "EmailSink", "LogSink", "MemorySink", "WebhookSink", "sink_for"]

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}


@dataclass(frozen=True)
class Alert:
    """One alert: which rule held, on which model's report, with the values it read."""

    rule: str
    when: str
    severity: str
    model: str
    version: int | None
    fired_at: float
    values: dict[str, float | None] = field(default_factory=dict)
    report_id: int | None = None
    window_start: float | None = None
    window_end: float | None = None

    @property
    def subject(self) -> str:
        version = "" if self.version is None else f" v{self.version}"
        return f"[keel {self.severity}] {self.model}{version}: {self.rule} ({self.when})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON a webhook receives (``schema_version`` 1)."""
        return {"schema_version": 1, "subject": self.subject, **asdict(self)}


class AlertSink(abc.ABC):
    """Delivers alerts somewhere.

    ``send`` returns once the alert is delivered and raises ``MonitoringError`` when it
    could not be (after the sink's own retries); the caller records which. Sinks may be
    called from several threads; the built-ins hold no state between calls.
    """

    @abc.abstractmethod
    def send(self, alert: Alert) -> None:
        """Deliver one alert, or raise MonitoringError."""


class LogSink(AlertSink):
    """Writes the alert to the ``keel.monitoring.alerts`` logger at its severity's level."""

    def __init__(self, logger: str = "keel.monitoring.alerts"):
        self.logger = logging.getLogger(logger)

    def send(self, alert: Alert) -> None:
        values = ", ".join(f"{k}={v:.4g}" for k, v in alert.values.items() if v is not None)
        self.logger.log(
            _LEVELS.get(alert.severity, logging.WARNING), "%s %s", alert.subject, values
        )


class MemorySink(AlertSink):
    """Keeps alerts in a list (tests, and embedding keel in another program)."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        with self._lock:
            self.alerts.append(alert)


class WebhookSink(AlertSink):
    """POSTs the alert's JSON to ``url``; a connection error, a timeout, a 5xx, 408 or 429
    is retried ``retries`` times, waiting ``backoff_s`` x 2**attempt between tries (other
    4xx answers are not retried: sending the same body again would not help)."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        retries: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url, self.headers = url, dict(headers or {})
        self.retries, self.backoff_s, self.timeout_s = retries, backoff_s, timeout_s
        self.sleep = sleep
        self.attempts = 0

    def send(self, alert: Alert) -> None:
        import httpx

        problem = ""
        with httpx.Client(timeout=self.timeout_s) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    self.sleep(self.backoff_s * 2 ** (attempt - 1))
                self.attempts += 1
                try:
                    answer = client.post(self.url, json=alert.to_dict(), headers=self.headers)
                except httpx.TransportError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    continue
                if answer.is_success:
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.status_code < 500 and answer.status_code not in (408, 429):
                    break
        raise MonitoringError(
            f"The webhook {self.url} did not take the alert {alert.rule!r} after "
            f"{self.attempts} attempt(s): {problem}.",
            field="url",
        )


class EmailSink(AlertSink):
    """Sends the alert as a plain-text email through an SMTP server (retried like
    WebhookSink on connection errors)."""

    def __init__(
        self,
        to: Sequence[str],
        *,
        sender: str = "keel@localhost",
        host: str = "localhost",
        port: int = 25,
        retries: int = 2,
        backoff_s: float = 0.5,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.to, self.sender, self.host, self.port = list(to), sender, host, port
        self.retries, self.backoff_s, self.timeout_s, self.sleep = (
            retries,
            backoff_s,
            timeout_s,
            sleep,
        )

    def send(self, alert: Alert) -> None:
        import smtplib

        message = _email(alert, self.sender, self.to)
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                    smtp.send_message(message)
                return
            except (OSError, smtplib.SMTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
        raise MonitoringError(
            f"The SMTP server {self.host}:{self.port} did not take the alert {alert.rule!r}: "
            f"{problem}.",
            field="smtp",
        )


def _email(alert: Alert, sender: str, to: list[str]) -> Any:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = alert.subject, sender, ", ".join(to)
    lines = [f"{alert.rule}: {alert.when}", ""]
    lines += [f"  {name} = {value}" for name, value in alert.values.items()]
    lines += ["", f"model {alert.model} version {alert.version}, report {alert.report_id}"]
    message.set_content("\n".join(lines))
    return message


def sink_for(rule: AlertRule) -> AlertSink:
    """The built-in sink a keel.yaml alert rule names."""
    if rule.send == "webhook":
        assert rule.url is not None
        return WebhookSink(
            rule.url, headers=rule.headers, retries=rule.retries, backoff_s=rule.backoff_s
        )
    if rule.send == "email":
        host, port = rule.smtp.rsplit(":", 1)
        return EmailSink(
            rule.to, sender=rule.sender, host=host, port=int(port), backoff_s=rule.backoff_s
        )
    return LogSink()
