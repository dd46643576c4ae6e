"""Alert sinks against real receivers: an HTTP server on 127.0.0.1 that is down for the
first attempt and up for the next, and an aiosmtpd SMTP server."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from keel.errors import MonitoringError
from keel.monitoring._sinks import Alert, EmailSink, LogSink, WebhookSink, sink_for
from keel.monitoring._spec import AlertRule

ALERT = Alert(
    rule="drift",
    when="drift.share > 0.3",
    severity="critical",
    model="churn",
    version=2,
    fired_at=1_767_225_600.0,
    values={"drift.share": 0.55},
    report_id=7,
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Receiver:
    """A real HTTP server answering each POST with the next status of ``statuses``."""

    def __init__(self, port: int, statuses: list[int]):
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                status = statuses.pop(0) if statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhook_retries_while_the_receiver_is_down_then_delivers() -> None:
    port, waits, started = _free_port(), [], []

    def sleep(seconds: float) -> None:  # called between attempts: bring the receiver up
        waits.append(seconds)
        if not started:
            started.append(_Receiver(port, [503]))

    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", retries=4, backoff_s=0.01, sleep=sleep)
    try:
        sink.send(ALERT)
    finally:
        for receiver in started:
            receiver.stop()
    # attempt 1: connection refused; 2: 503 from the new receiver; 3: delivered.
    assert sink.attempts == 3 and waits == [0.01, 0.02]
    body = started[0].bodies[-1]
    assert body["schema_version"] == 1 and body["values"] == {"drift.share": 0.55}
    assert body["subject"] == "[keel critical] churn v2: drift (drift.share > 0.3)"


def test_webhook_gives_up_after_its_retries_and_on_a_client_error() -> None:
    port = _free_port()
    sink = WebhookSink(f"http://127.0.0.1:{port}/", retries=2, backoff_s=0.0)
    with pytest.raises(MonitoringError, match=r"after 3 attempt\(s\): ConnectError"):
        sink.send(ALERT)
    receiver = _Receiver(port, [400])
    try:
        refused = WebhookSink(f"http://127.0.0.1:{port}/", retries=5, backoff_s=0.0)
        with pytest.raises(MonitoringError, match="HTTP 400"):
            refused.send(ALERT)
        assert refused.attempts == 1  # a 400 is not retried
    finally:
        receiver.stop()


def test_email_reaches_a_local_smtp_server() -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.messages: list[Any] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope)
            return "250 OK"

    handler, port = Handler(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rule = AlertRule(
            when="drift.share > 0.3", send="email", to=["ops@example.com"], smtp=f"127.0.0.1:{port}"
        )
        sink = sink_for(rule)
        assert isinstance(sink, EmailSink)
        sink.send(ALERT)
    finally:
        controller.stop()
    (envelope,) = handler.messages
    assert envelope.rcpt_tos == ["ops@example.com"] and envelope.mail_from == "keel@localhost"
    text = envelope.content.decode()
    assert "Subject: [keel critical] churn v2: drift" in text and "drift.share = 0.55" in text


def test_email_to_a_closed_port_fails_with_a_clear_message() -> None:
    sink = EmailSink(["a@b.c"], host="127.0.0.1", port=_free_port(), retries=1, backoff_s=0.0)
    with pytest.raises(MonitoringError, match=r"SMTP server 127.0.0.1:\d+ did not take"):
        sink.send(ALERT)


def test_log_sink_writes_at_the_alert_s_severity(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="keel.monitoring.alerts"):
        LogSink().send(ALERT)
    (record,) = caplog.records
    assert record.levelno == logging.CRITICAL and "drift.share=0.55" in record.getMessage()
