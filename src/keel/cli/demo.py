"""``keel demo``: runs ``keel.demo`` with a progress bar and prints what it found."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from keel.cli import _output as fmt

if TYPE_CHECKING:
    from rich.console import Console

    from keel.demo import DemoResult

METRICS = ("val_roc_auc", "val_accuracy", "val_log_loss", "train_log_loss")


def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            help="Create the demo workspace in this folder (it must not hold one already).",
            show_default="a new temporary folder",
        ),
    ] = None,
) -> None:
    """Train a small scikit-learn model three ways, track every epoch and rank the runs;
    then let keel's AutoML pick a model and write its evaluation report and model card."""
    import shutil
    import tempfile

    root = keep if keep is not None else Path(tempfile.mkdtemp(prefix="keel-demo-"))
    out = fmt.stdout()
    try:
        result = _train(out, root)
    except BaseException:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
        raise
    _print_data(out, result)
    _print_ranking(out, result)
    _print_history(out, result)
    _print_automl(out, result)
    _print_next_steps(out, result)


def _train(out: Console, root: Path) -> DemoResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from keel.demo import EPOCHS, RANK_BY, TRAIN_BUDGET, run_demo

    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs  {task.fields[metric]}"),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=out) as progress:

        def on_epoch(name: str, epoch: int, metrics: dict[str, float]) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=EPOCHS, metric="")
            metric = f"{RANK_BY} {fmt.number(metrics[RANK_BY])}"
            progress.update(tasks[name], completed=epoch, metric=metric)

        def on_stage(name: str) -> None:
            label = {"training": f"AutoML, {TRAIN_BUDGET}", "registering": "registering"}.get(
                name, f"report: {name}"
            )
            if "stage" not in tasks:
                tasks["stage"] = progress.add_task(label, total=None, metric="")
            progress.update(tasks["stage"], description=label)

        return run_demo(root, on_epoch=on_epoch, on_stage=on_stage)


def _print_data(out: Console, result: DemoResult) -> None:
    data = result.data
    types = ", ".join(f"{n} {kind}" for kind, n in sorted(data.types.items()))
    findings = ", ".join(data.profile_findings) or "no errors or warnings"
    out.print(
        f"\n[bold]Data[/] {fmt.escape(data.source)}: {data.rows:,} rows, {data.columns} columns"
    )
    out.print(f"  schema      {types} (schema.json)")
    out.print(f"  validation  {data.validation_errors} errors, {data.validation_warnings} warnings")
    out.print(f"  profile     {fmt.escape(findings)}")
    out.print(f"  snapshot    {data.snapshot_id[:12]}, recorded as every run's training input")
    out.print(
        f"  features    {data.feature_count} from keel.yaml's pipeline, fitted on the training "
        f"split in run {data.features_run[:12]} (keel features show)"
    )


def _print_ranking(out: Console, result: DemoResult) -> None:
    from keel.demo import RANK_BY

    params = result.ranked[0].params
    out.print(
        f"\nTrained on {params['n_train']} rows, validated on {params['n_val']} "
        f"(stratified split, seed {params['seed']})."
    )
    out.print(f"\n[bold]Runs ranked by {RANK_BY}, best first[/]")
    table = fmt.table("#", "name", *METRICS, collapse_padding=True)
    for column in table.columns[2:]:
        column.justify = "right"
    for rank, run in enumerate(result.ranked, 1):
        values = [fmt.number(run.metrics.get(key)) for key in METRICS]
        table.add_row(str(rank), fmt.escape(run.name), *values)
    out.print(table)


def _print_history(out: Console, result: DemoResult) -> None:
    from keel.demo import RANK_BY

    best = result.ranked[0]
    values = [p.value for p in result.history]
    low, high = min(values), max(values)
    out.print(f"\n[bold]{RANK_BY} of the best run, {fmt.escape(best.name)}, by epoch[/]")
    table = fmt.table("epoch", RANK_BY, "")
    table.columns[1].justify = "right"
    for point in result.history:
        share = (point.value - low) / (high - low) if high > low else 1.0
        table.add_row(str(point.step), fmt.number(point.value), "█" * (1 + round(share * 19)))
    out.print(table)


def _print_automl(out: Console, result: DemoResult) -> None:
    from keel.demo import TRAIN_BUDGET

    trained, evaluation = result.trained, result.report.evaluation
    model = trained.model
    out.print(
        f"\n[bold]keel train[/] ({TRAIN_BUDGET}): {fmt.escape(model.model_.description)} "
        f"after {len(model.leaderboard_)} trials, run {trained.model_run_id[:12]}"
    )
    table = fmt.table("holdout metric", "value", f"{evaluation.spec.confidence:.0%} interval")
    for column in table.columns[1:]:
        column.justify = "right"
    for name in ("roc_auc", "accuracy", "log_loss", "brier"):
        interval = evaluation.metrics_table[name]
        bounds = f"{fmt.number(interval.low)} to {fmt.number(interval.high)}"
        table.add_row(name, fmt.number(interval.value), bounds)
    out.print(table)
    top = ", ".join(evaluation.shap.mean_abs().index[:3]) if evaluation.shap else "-"
    out.print(f"  most important (SHAP)  {fmt.escape(top)}")
    out.print(f"  report                 {result.report.html}", markup=False, soft_wrap=True)
    out.print(f"  model card             {result.report.card}", markup=False, soft_wrap=True)
    _print_served(out, result)


def _print_served(out: Console, result: DemoResult) -> None:
    served = result.served
    ref = f"{served.version.name}/{served.version.version}"
    out.print(f"\n[bold]keel models register[/]: {fmt.escape(ref)} is now champion")
    why = f" ({fmt.escape(served.reason)})" if served.reason else ""
    out.print(f"  backend                {served.backend}{why}", soft_wrap=True)
    out.print(f"  predict_one(row 0)     {fmt.escape(str(served.prediction))}")
    out.print(f"  predict_one latency    {served.latency_us:.1f} µs (median)")


def _print_next_steps(out: Console, result: DemoResult) -> None:
    keel = f"keel -w {shlex.quote(str(result.root))}"
    best = result.ranked[0].run_id[:8]
    ids = " ".join(run.run_id[:8] for run in result.ranked)
    out.print(f"\nWorkspace: {result.root}", markup=False, soft_wrap=True)
    out.print("Explore it:")
    for command in (
        "runs list",
        f"runs show {best}",
        f"runs compare {ids}",
        f"runs history {best} val_roc_auc",
        "experiments list",
        "data show",
        "data profile --html report.html",
        "data snapshots",
        "features show",
        f"report {result.trained.model_run_id[:8]}",
        "models list",
        f"models show {result.served.version.name}@champion",
        f"models lineage {result.served.version.name}@champion",
    ):
        out.print(f"  {keel} {command}", markup=False, soft_wrap=True)
