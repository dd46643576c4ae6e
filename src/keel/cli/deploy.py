"""``keel deploy``, ``keel rollback`` and ``keel deployments``: named endpoints serving a
registry model's versions under a strategy, their history and the controller's ticks.

Bad input (an unknown deployment or version, a setting out of range, a transition the
deployment does not allow) is a message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keel.cli import _deploy_views as views
from keel.cli import _output as fmt
from keel.cli._context import open_workspace
from keel.cli._options import JsonOption

app = typer.Typer(
    help="Deployments: list, show, history, advance (one controller tick), end.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(metavar="DEPLOYMENT", help="The deployment's name.")]
WhyOption = Annotated[
    str | None, typer.Option("--why", help="Why, for the audit log (`deployments history`).")
]


def _numbers(option: str, text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"must be numbers separated by commas, like 50,50. Got {text!r} instead.",
            param_hint=option,
        ) from None


def deploy(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="The endpoint (/predict/NAME). Default: deploy.name in keel.yaml, else the "
            "model's name.",
            show_default=False,
        ),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            metavar="REF",
            help="A version to deploy: churn/5, churn@champion, churn (its newest). Repeat: "
            "the first is the stable one, the last the candidate (A/B and bandit: the arms).",
        ),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            "-s",
            help="single, blue_green, canary, shadow, ab or bandit.",
            show_default="deploy.strategy: single",
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="A/B split in percent, e.g. 50,50.")
    ] = None,
    steps: Annotated[
        str | None,
        typer.Option("--steps", help="Canary weights in percent, e.g. 5,25,50,100."),
    ] = None,
    fraction: Annotated[
        float | None, typer.Option("--fraction", help="Share of requests shadowed, in (0, 1].")
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="Bandit policy: thompson or ucb1.")
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="Registry alias moved to a canary when it is promoted."),
    ] = None,
    why: WhyOption = None,
    json: JsonOption = False,
) -> None:
    """Create or replace a deployment (keel.yaml's deploy: with these options over it)."""
    settings: dict[str, Any] = {}
    sections = {
        "ab": ("split", _numbers("--split", split)),
        "canary": ("steps", _numbers("--steps", steps)),
        "shadow": ("fraction", fraction),
        "bandit": ("policy", policy),
    }
    for section, (key, value) in sections.items():
        if value is not None:
            settings[section] = {key: value}
    if alias is not None:
        settings["alias"] = alias
    with open_workspace(ctx) as ws:
        found = ws.deploy(
            name, versions=models or (), strategy=strategy, settings=settings, actor="cli", why=why
        )
    if json:
        fmt.emit_json(found.to_dict())
        return
    fmt.stdout().print(f"Deployed {views.one_line(found)}", soft_wrap=True)


def rollback(
    ctx: typer.Context, name: NameArg, why: WhyOption = None, json: JsonOption = False
) -> None:
    """Send all of a deployment's traffic back to its stable version, now."""
    with open_workspace(ctx) as ws:
        found = ws.rollback_deployment(name, why=why, actor="cli")
    if json:
        fmt.emit_json(found.to_dict())
        return
    fmt.stdout().print(f"Rolled back {views.one_line(found)}", soft_wrap=True)


@app.command("list")
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """Every deployment with its strategy, status and versions."""
    with open_workspace(ctx) as ws:
        found = ws.deployments()
    if json:
        fmt.emit_json([s.to_dict() for s in found])
        return
    if not found:
        fmt.stdout().print("No deployments yet: create one with `keel deploy NAME --model REF`.")
        return
    fmt.stdout().print(views.states_table(found))


@app.command("show")
def show(ctx: typer.Context, name: NameArg, json: JsonOption = False) -> None:
    """A deployment's state, this epoch's counters per version, its latest evidence and
    (shadow deployments) the shadow comparison."""
    with open_workspace(ctx) as ws:
        found = ws.deployment(name)
        counts = ws.deployment_counts(name)
        events = ws.deployment_history(name)
    shadow = _shadow_report(found, counts)
    evidence = next((e.evidence for e in reversed(events) if e.evidence), {})
    if json:
        data = {"state": found.to_dict(), "counts": {str(v): c for v, c in counts.items()}}
        fmt.emit_json({**data, "evidence": evidence, "shadow": shadow})
        return
    out = fmt.stdout()
    out.print(views.one_line(found), soft_wrap=True)
    out.print(f"Counters of epoch {found.epoch}:")
    out.print(views.counts_table(counts))
    guardrails = views.guardrails_table(evidence)
    if guardrails is not None:
        out.print("Latest guardrail evidence:")
        out.print(guardrails)
    if shadow is not None:
        out.print("Shadow comparison:")
        fmt.emit_json(shadow)


def _shadow_report(found: Any, counts: Any) -> dict[str, Any] | None:
    if not found.shadows:
        return None
    try:
        from keel.rollout import shadow_report
    except ImportError:  # serving's shadow report is not there in this build
        return None
    return dict(shadow_report(found, counts))


@app.command("history")
def history(ctx: typer.Context, name: NameArg, json: JsonOption = False) -> None:
    """Every change of a deployment: when, who, what it became and why (append-only)."""
    with open_workspace(ctx) as ws:
        events = ws.deployment_history(name)
    if json:
        fmt.emit_json([event.to_dict() for event in events])
        return
    fmt.stdout().print(views.events_table(events))


@app.command("advance")
def advance(ctx: typer.Context, name: NameArg, json: JsonOption = False) -> None:
    """Run one controller tick now: advance, promote, roll back, reweight or hold."""
    with open_workspace(ctx) as ws:
        decision = ws.advance_deployment(name)
    if json:
        data = {"action": decision.action, "reason": decision.reason}
        fmt.emit_json({**data, "evidence": decision.evidence, "state": decision.state.to_dict()})
        return
    out = fmt.stdout()
    out.print(f"[bold]{decision.action}[/]: {fmt.escape(decision.reason)}", soft_wrap=True)
    out.print(views.one_line(decision.state), soft_wrap=True)
    guardrails = views.guardrails_table(decision.evidence)
    if guardrails is not None:
        out.print(guardrails)


@app.command("end")
def end(ctx: typer.Context, name: NameArg, why: WhyOption = None) -> None:
    """Stop a deployment: servers stop answering for it; its history stays."""
    with open_workspace(ctx) as ws:
        found = ws.end_deployment(name, why=why, actor="cli")
    fmt.stdout().print(f"Ended {views.one_line(found)}", soft_wrap=True)
