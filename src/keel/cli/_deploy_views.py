"""How deployments print: one line per state, tables of arms, counters, events and
guardrail evidence. Plain functions of plain values, shared by ``keel deploy``,
``keel rollback``, ``keel deployments`` and ``keel experiments status``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from keel.cli import _output as fmt

if TYPE_CHECKING:
    from rich.table import Table

    from keel.rollout import DeploymentEvent, DeploymentState

_STATUS_STYLES = {"active": "green", "promoted": "bold green", "rolled_back": "yellow"}


def arms_text(state: DeploymentState) -> str:
    """``1: 95 %, 2: 5 % (candidate)``, then the shadows."""
    parts = []
    for arm in state.arms:
        on_trial = state.strategy == "canary" and arm.version == state.candidate
        parts.append(f"{arm.version}: {arm.weight:g} %{' (candidate)' if on_trial else ''}")
    answering = {arm.version for arm in state.arms}
    if state.stable is not None and state.stable not in answering and state.status == "active":
        parts.append(f"{state.stable} kept for rollback")
    if state.shadows:
        copied = f"{state.shadow_fraction:.0%}"
        parts.append(f"shadow {', '.join(map(str, state.shadows))} ({copied} copied)")
    return ", ".join(parts)


def status(state: DeploymentState) -> str:
    return f"[{_STATUS_STYLES.get(state.status, 'dim')}]{state.status}[/]"


def one_line(state: DeploymentState) -> str:
    return (
        f"[bold]{fmt.escape(state.name)}[/] ({state.strategy} of {fmt.escape(state.model)}, "
        f"{status(state)}): {arms_text(state)} · revision {state.revision}, epoch {state.epoch}"
    )


def states_table(states: Sequence[DeploymentState]) -> Table:
    table = fmt.table("name", "model", "strategy", "status", "versions", "rev", "updated")
    for state in states:
        table.add_row(
            fmt.escape(state.name),
            fmt.escape(state.model),
            state.strategy,
            status(state),
            arms_text(state),
            str(state.revision),
            fmt.when(state.updated_at),
        )
    return table


def counts_table(counts: Mapping[int, Mapping[str, float]]) -> Table:
    """Per version: requests, errors, error rate, latency p50/p99 (histogram bounds)."""
    from keel.serving._routing import latency_quantile

    table = fmt.table("version", "requests", "errors", "error rate", "p50 ms", "p99 ms")
    for version, found in sorted(counts.items()):
        requests, errors = found.get("requests", 0.0), found.get("errors", 0.0)
        rate = errors / requests if requests else None
        p50, p99 = (latency_quantile(found, q) * 1000 if requests else None for q in (0.5, 0.99))
        cells = [requests, errors, rate, p50, p99]
        table.add_row(str(version), *(fmt.number(value) for value in cells))
    return table


def events_table(events: Sequence[DeploymentEvent]) -> Table:
    table = fmt.table("#", "at", "rev", "kind", "actor", "versions after", "reason")
    for event in events:
        table.add_row(
            str(event.id),
            fmt.when(event.at),
            str(event.revision),
            event.kind,
            event.actor,
            arms_text(event.state),
            fmt.escape(event.reason or ""),
        )
    return table


def guardrails_table(evidence: Mapping[str, Any]) -> Table | None:
    rows = evidence.get("guardrails") or []
    if not rows:
        return None
    table = fmt.table("guardrail", "condition", "statistic", "p", "n canary", "n stable", "")
    for row in rows:
        table.add_row(
            str(row.get("name", "")),
            str(row.get("condition", row.get("threshold", ""))),
            fmt.number(row.get("statistic")),
            fmt.number(row.get("p_value")),
            str(row.get("n_canary", "")),
            str(row.get("n_stable", "")),
            "[bold red]breached[/]" if row.get("breached") else "[green]holds[/]",
        )
    return table


def analysis_tables(summary: Mapping[str, Any]) -> list[Table]:
    """An experiment analysis summary: arms (requests, allocation) and metrics."""
    arms = fmt.table("arm", "requests", "allocation")
    for arm in summary.get("arms", []):
        share = summary.get("allocation", {}).get(str(arm), 0.0)
        arms.add_row(str(arm), fmt.number(summary["requests"].get(str(arm))), f"{share:.1%}")
    metrics = fmt.table(
        "metric", "arm", "control", "value", "difference", "interval", "p", "p (Holm)",
        "always-valid p",
    )  # fmt: skip
    for m in summary.get("metrics", []):
        interval = f"[{fmt.number(m.get('ci_low'))}, {fmt.number(m.get('ci_high'))}]"
        metrics.add_row(
            m["metric"], str(m["arm"]), fmt.number(m.get("control_value")),
            fmt.number(m.get("value")), fmt.number(m.get("difference")), interval,
            fmt.number(m.get("p_value")), fmt.number(m.get("p_holm")),
            fmt.number(m.get("always_valid_p")),
        )  # fmt: skip
    return [arms, metrics]
