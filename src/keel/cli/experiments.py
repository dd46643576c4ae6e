"""``keel experiments``: list, delete and restore experiments."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace

app = typer.Typer(
    help="Tracking experiments (list, delete, restore); online ones (design, status, report).",
    no_args_is_help=True,
)


@app.command("list")
def list_experiments(
    ctx: typer.Context,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include deleted experiments.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help=fmt.JSON_HELP)] = False,
) -> None:
    """List experiments with their number of runs (with --deleted, deleted runs count too)."""
    with open_workspace(ctx) as ws:
        found = ws.list_experiments(include_deleted=deleted)
        counts = ws.count_runs(include_deleted=deleted)
    if json:
        data = [{**dataclasses.asdict(e), "runs": counts.get(e.name, 0)} for e in found]
        fmt.emit_json({"experiments": data})
        return
    out = fmt.stdout()
    if not found:
        out.print("No experiments yet.")
        return
    table = fmt.table("name", "id", "runs", "created")
    table.columns[1].justify = table.columns[2].justify = "right"
    for e in found:
        name = fmt.escape(e.name)
        if e.lifecycle == "deleted":
            name += " [dim](deleted)[/]"
        table.add_row(
            name, str(e.experiment_id), str(counts.get(e.name, 0)), fmt.when(e.created_at)
        )
    out.print(table)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Experiment name.")],
    purge: Annotated[
        bool,
        typer.Option(help="Remove it for good with its runs and their unshared artifacts."),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before purging.")] = False,
) -> None:
    """Delete an experiment with all its runs (or with --purge remove it for good)."""
    with open_workspace(ctx) as ws:
        if purge and not yes:
            typer.confirm(
                f"Purge experiment {name!r} and all its runs for good?", abort=True, err=True
            )
        report = ws.delete_experiment(name, purge=purge)
    out = fmt.stdout()
    if purge:
        out.print(
            f"Purged experiment {fmt.escape(repr(name))} and "
            f"{fmt.plural(report.runs_purged, 'run')}: "
            f"{fmt.plural(report.blobs_deleted, 'artifact blob')} deleted, "
            f"{fmt.size(report.bytes_freed)} reclaimed."
        )
    else:
        out.print(
            f"Deleted experiment {fmt.escape(repr(name))} with its runs; `keel gc` removes them "
            "for good."
        )


@app.command("restore")
def restore(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Experiment name.")]
) -> None:
    """Bring a deleted (not purged) experiment back with all its runs."""
    with open_workspace(ctx) as ws:
        ws.restore_experiment(name)
    fmt.stdout().print(f"Restored experiment {fmt.escape(repr(name))} with its runs.")


@app.command("design")
def design(
    baseline: Annotated[
        float | None, typer.Option(help="Control's rate (proportion) or mean (mean).")
    ] = None,
    mde: Annotated[
        float | None, typer.Option(help="Difference to detect (absolute unless --relative).")
    ] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="Control units available: print the MDE instead.")
    ] = None,
    metric: Annotated[str, typer.Option(help="proportion or mean.")] = "proportion",
    sd: Annotated[float | None, typer.Option(help="Unit standard deviation (mean).")] = None,
    relative: Annotated[bool, typer.Option(help="--mde is a share of --baseline.")] = False,
    alpha: Annotated[float, typer.Option(help="False-positive rate.")] = 0.05,
    power: Annotated[float, typer.Option(help="Chance to detect the MDE.")] = 0.8,
    ratio: Annotated[float, typer.Option(help="Treatment units per control unit.")] = 1.0,
    one_sided: Annotated[bool, typer.Option("--one-sided", help="One-sided test.")] = False,
    daily: Annotated[
        float | None, typer.Option("--daily", help="Units a day, for the duration.")
    ] = None,
    share: Annotated[float, typer.Option(help="Share of daily units in the test.")] = 1.0,
    json: Annotated[bool, typer.Option("--json", help=fmt.JSON_HELP)] = False,
) -> None:
    """Plan an A/B test: units per arm for an MDE (or the MDE for --n units), and days."""
    from keel.experiments import design_experiment

    plan = design_experiment(
        metric=metric, baseline=baseline, sd=sd, mde=mde, relative=relative, n_control=n,
        alpha=alpha, power=power, ratio=ratio, daily_units=daily, share=share,
        alternative="one-sided" if one_sided else "two-sided",
    )  # fmt: skip
    if json:
        fmt.emit_json(plan)
        return
    sides = plan["alternative"]
    out = fmt.stdout()
    out.print(
        f"{plan['metric']} metric, alpha {alpha:g} ({sides}), power {power:g}, "
        f"effect size {plan['effect_size']:.4f}"
    )
    out.print(f"MDE (absolute): {plan['mde']:.6g}")
    out.print(
        f"Units: {plan['n_control']:,} control + {plan['n_treatment']:,} treatment "
        f"= {plan['total']:,}"
    )
    if plan["days"] is not None:
        out.print(f"Duration: {fmt.plural(plan['days'], 'day')} at {daily:g} units/day, "
                  f"{share:.0%} in the test")  # fmt: skip


# -- online experiments of a deployment (keel deploy) ------------------------------------


@app.command("status")
def status(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(metavar="DEPLOYMENT", help="A deployment.")],
    alpha: Annotated[float, typer.Option(help="Level of the tests and intervals.")] = 0.05,
    json: Annotated[bool, typer.Option("--json", help=fmt.JSON_HELP)] = False,
) -> None:
    """The experiment running on a deployment: allocation, sample-ratio check, and each
    metric of each arm against the control (fixed-horizon, Holm and always-valid p)."""
    from keel.cli import _deploy_views as views

    with open_workspace(ctx) as ws:
        found = ws.deployment(deployment)
        summary = ws.deployment_analysis(deployment, alpha=alpha).summary()
    if json:
        fmt.emit_json({"deployment": found.name, "epoch": found.epoch, **summary})
        return
    out = fmt.stdout()
    out.print(views.one_line(found), soft_wrap=True)
    srm = summary.get("srm")
    srm_text = "" if srm is None else f" · sample ratio {srm['verdict']} (p {srm['p_value']:.3g})"
    out.print(f"Verdict: [bold]{summary['verdict']}[/] at alpha {alpha:g}{srm_text}")
    for table in views.analysis_tables(summary):
        out.print(table)


@app.command("report")
def report(
    ctx: typer.Context,
    deployment: Annotated[str, typer.Argument(metavar="DEPLOYMENT", help="A deployment.")],
    html: Annotated[
        Path, typer.Option("--html", help="Where to write the self-contained HTML report.")
    ],
    alpha: Annotated[float, typer.Option(help="Level of the tests and intervals.")] = 0.05,
) -> None:
    """Write the experiment report of a deployment: metrics over time with intervals per
    arm, allocation over time, the tests (HTML with inline plots)."""
    with open_workspace(ctx) as ws:
        analysis = ws.deployment_analysis(deployment, alpha=alpha)
        written = analysis.to_html(html, title=f"Experiment on {deployment}")
    fmt.stdout().print(f"Wrote {fmt.escape(str(written))} ({analysis.verdict}).")
