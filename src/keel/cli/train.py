"""``keel train``: search, fit and score a model as keel.yaml says, with a live view."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace
from keel.cli._options import JsonOption, SourceArg

if TYPE_CHECKING:
    from rich.console import Group

    from keel._workspace_train import TrainResult
    from keel.models import ModelVersion
    from keel.train._search import TrialRecord


def train(
    ctx: typer.Context,
    source: SourceArg = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the newest interrupted study.")
    ] = False,
    budget: Annotated[
        str | None, typer.Option("--budget", help="Time budget, e.g. 60s or 10m.")
    ] = None,
    trials: Annotated[
        int | None, typer.Option("--trials", min=1, help="Stop after N trials.")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", min=1, help="Trials run in parallel.")
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="local (threads) or ray (Ray tasks).")
    ] = None,
    register: Annotated[
        bool,
        typer.Option(
            "--register",
            help="Register the model as the project's next version when it passes its gates.",
        ),
    ] = False,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="With --register: point this alias at the new version."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Search algorithms and hyperparameters within the budget, fit the best model (or an
    ensemble), score it on held-out rows, and check keel.yaml's gates. Exits 1 when a gate
    fails; the model is still recorded, marked failing, and not registered."""
    view = _LiveView(enabled=not json)
    with open_workspace(ctx) as ws, view:
        result = ws.train(
            source,
            resume=resume,
            budget=budget,
            trials=trials,
            jobs=jobs,
            engine=engine,
            on_trial=view.update,
            raise_on_gates=False,
        )
        version = None
        if register and not result.gate_failures:
            version = ws.register_model(
                result.model_run_id, alias=alias, why="keel train --register"
            )
    if json:
        fmt.emit_json({**_as_dict(result), "registered": _version_ref(version)})
    else:
        _print_result(result)
        if version is not None:
            fmt.stdout().print(f"Registered as [bold]{fmt.escape(version.ref)}[/].")
    if result.gate_failures:
        raise typer.Exit(1)


class _LiveView:
    """Trials done, best score so far, the family now being searched, time used."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.done = self.pruned = self.failed = 0
        self.best: tuple[float, str] | None = None
        self.family = "-"
        self.started = time.perf_counter()
        self._live: Any = None

    def __enter__(self) -> _LiveView:
        if self.enabled:
            from rich.live import Live

            self._live = Live(
                self._render(), console=fmt.stderr(), refresh_per_second=4, transient=True
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def update(self, record: TrialRecord) -> None:
        self.done += 1
        self.pruned += record.state == "pruned"
        self.failed += record.state == "failed"
        self.family = record.family
        if math.isfinite(record.loss) and (self.best is None or record.loss < self.best[0]):
            self.best = (record.loss, record.family)
        if self._live is not None:
            self._live.update(self._render())

    def _render(self) -> Group:
        from rich.console import Group
        from rich.text import Text

        best = "-" if self.best is None else f"{self.best[0]:.5g} ({self.best[1]})"
        line = (
            f"trials {self.done} (pruned {self.pruned}, failed {self.failed})  "
            f"best loss {best}  now {self.family}  {time.perf_counter() - self.started:.0f} s"
        )
        return Group(Text("training…", style="bold"), Text(line))


def _print_result(result: TrainResult) -> None:
    out = fmt.stdout()
    model = result.model
    metric = model.metric_
    cv = -result.cv_loss if metric.greater_is_better else result.cv_loss
    out.print(
        f"[bold]Model[/] {fmt.escape(model.model_.description)} "
        f"({len(model.leaderboard_)} trials, first model after "
        f"{model.first_model_s_ or 0:.1f} s)"
    )
    out.print(f"  cross-validated {metric.name}: {cv:.6g}")
    table = fmt.table("holdout metric", "value")
    for name, value in result.holdout.items():
        table.add_row(name, fmt.number(value))
    out.print(table)
    for failure in result.gate_failures:
        out.print(f"[bold red]gate failed[/]: {fmt.escape(failure)}")
    if not result.gate_failures and model.spec_ is not None:
        out.print("Gates: all passed." if result.holdout else "")
    out.print(
        f"Study run {result.study_run_id[:12]}, model run {result.model_run_id[:12]}; "
        f"model saved to {fmt.escape(str(result.path))}."
    )


def _version_ref(version: ModelVersion | None) -> str | None:
    return None if version is None else version.ref


def _as_dict(result: TrainResult) -> dict[str, Any]:
    model = result.model
    return {
        "study_run_id": result.study_run_id,
        "model_run_id": result.model_run_id,
        "model": model.model_.description,
        "metric": model.metric_.name,
        "cv_loss": result.cv_loss,
        "holdout": result.holdout,
        "gate_failures": result.gate_failures,
        "trials": len(model.leaderboard_),
        "first_model_s": model.first_model_s_,
        "path": str(result.path),
    }
