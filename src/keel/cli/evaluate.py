"""``keel report`` and ``keel compare``: the evidence on a trained model, and the promotion
test between two."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace, run_id
from keel.cli._options import JsonOption

if TYPE_CHECKING:
    from keel.workspace import Workspace

ModelArg = Annotated[
    str | None,
    typer.Argument(
        metavar="RUN_OR_MODEL",
        help="A model run, the study run of `keel train` (ids or unique prefixes), or a "
        ".keelmodel file. Default: the newest trained model.",
        show_default=False,
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="Evaluate on this data (every labelled row) instead of the model's held-out rows.",
    ),
]


def report(
    ctx: typer.Context,
    model: ModelArg = None,
    data: DataOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for report.html and model_card.md.",
            show_default="reports/<run id>",
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Evaluate a trained model — metrics with confidence intervals, calibration, fairness,
    explanations, worst slices, performance — and write an HTML report and a model card."""
    with open_workspace(ctx) as ws, _Steps(enabled=not json) as steps:
        result = ws.report(_model_ref(ws, model), data=data, out=out, on_step=steps.start)
    if json:
        fmt.emit_json(
            {
                "run_id": result.run_id,
                "html": str(result.html),
                "model_card": str(result.card),
                **result.evaluation.to_dict(),
            }
        )
        return
    out_console = fmt.stdout()
    out_console.print(fmt.escape(result.evaluation.to_text()), soft_wrap=True)
    out_console.print(f"\n[bold]Report[/]      {fmt.escape(str(result.html))}")
    out_console.print(f"[bold]Model card[/]  {fmt.escape(str(result.card))}")
    out_console.print(f"[bold]Recorded as[/] run {result.run_id[:12]}")


def compare(
    ctx: typer.Context,
    model_a: Annotated[str, typer.Argument(metavar="MODEL_A", help="The incumbent (champion).")],
    model_b: Annotated[str, typer.Argument(metavar="MODEL_B", help="The challenger.")],
    data: DataOption = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="A metric to test (repeat for several). Default: per task."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Test whether MODEL_B is better than MODEL_A on the same rows: McNemar, DeLong and
    paired bootstrap tests with Holm's correction, each with effect, interval and p-value."""
    with open_workspace(ctx) as ws:
        comparison = ws.compare(_ref(ws, model_a), _ref(ws, model_b), data=data, metrics=metric)
    if json:
        fmt.emit_json(comparison.to_dict())
        return
    fmt.stdout().print(fmt.escape(comparison.to_text()), soft_wrap=True)


def _model_ref(ws: Workspace, text: str | None) -> str | None:
    return None if text is None else _ref(ws, text)


def _ref(ws: Workspace, text: str) -> str:
    """A .keelmodel file as it is; a run id or a unique prefix, as the full id."""
    return text if Path(text).suffix == ".keelmodel" else run_id(ws, text)


class _Steps:
    """A progress bar over the evaluation's steps (metrics, fairness, SHAP, ...)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Steps:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]evaluating[/] {task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=fmt.stderr(),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=None)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, step: str, done: int = 0, total: int | None = None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=step, completed=done, total=total)
