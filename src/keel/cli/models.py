"""``keel models``: register trained models, move aliases, roll back, read the history and
lineage, export (package, zip, MLflow, edge bundle) and import MLflow models."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace, run_id
from keel.cli._options import JsonOption

if TYPE_CHECKING:
    from keel.models import AliasEvent, Lineage, ModelVersion

app = typer.Typer(
    help="The model registry: versions, aliases, rollback, history, lineage, export.",
    no_args_is_help=True,
)

RefArg = Annotated[
    str,
    typer.Argument(metavar="REF", help="A model (its newest version), NAME/3 or NAME@ALIAS."),
]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="A registered model's name.")]
WhyOption = Annotated[
    str | None, typer.Option("--why", help="Why: kept in the alias history.", show_default=False)
]


@app.command("list")
def list_models(ctx: typer.Context, json: JsonOption = False) -> None:
    """List registered models with their newest version and aliases."""
    with open_workspace(ctx) as ws:
        models = ws.registry.list_models()
    if json:
        fmt.emit_json([dataclasses.asdict(m) for m in models])
        return
    if not models:
        fmt.stdout().print("No registered models yet: run `keel models register`.")
        return
    table = fmt.table("name", "latest", "aliases", "created", "description")
    for model in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model.aliases.items()))
        table.add_row(
            fmt.escape(model.name),
            _version_text(model.latest_version),
            fmt.escape(aliases or "—"),
            fmt.when(model.created_at),
            fmt.escape(model.description or ""),
        )
    fmt.stdout().print(table)


@app.command("show")
def show(ctx: typer.Context, ref: RefArg, json: JsonOption = False) -> None:
    """Show one version: status, aliases, metrics, lineage and the package's backends."""
    with open_workspace(ctx) as ws:
        version = ws.registry.resolve(ref)
    if json:
        fmt.emit_json(dataclasses.asdict(version))
        return
    _print_version(version)


@app.command("register")
def register(
    ctx: typer.Context,
    run: Annotated[
        str | None,
        typer.Argument(
            metavar="RUN",
            help="A model run or the study run of `keel train` (id or unique prefix). "
            "Default: the newest trained model.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Model name.", show_default="the project's name")
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Point this alias at the new version.")
    ] = None,
    why: WhyOption = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    parent: Annotated[
        list[str] | None,
        typer.Option("--parent", help="A version this one was retrained from (repeatable)."),
    ] = None,
    no_onnx: Annotated[
        bool, typer.Option("--no-onnx", help="Keep the native backend only.")
    ] = False,
    quantize: Annotated[
        bool,
        typer.Option("--quantize", help="Also try an int8 graph, kept if within --tolerance."),
    ] = False,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Largest holdout metric drop for int8.")
    ] = 0.01,
    compile: Annotated[
        bool,
        typer.Option(
            "--compile",
            help="Also compile tree ensembles with tl2cgen, kept when faster than ONNX "
            "Runtime (the compile extra).",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Package a trained model (native, ONNX with checked parity, profile, card, lineage)
    and register it as the model's next version."""
    with open_workspace(ctx) as ws:
        version = ws.register_model(
            run_id(ws, run) if run else None,
            name=name,
            alias=alias,
            why=why,
            description=description,
            parents=parent or (),
            onnx=not no_onnx,
            quantize=quantize,
            tolerance=tolerance,
            compile=compile,
        )
    if json:
        fmt.emit_json(dataclasses.asdict(version))
        return
    fmt.stdout().print(f"Registered [bold]{fmt.escape(version.name)}/{version.version}[/]")
    _print_version(version)


@app.command("alias")
def alias(
    ctx: typer.Context,
    name: NameArg,
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="e.g. champion.")],
    version: Annotated[int, typer.Argument(metavar="VERSION", help="The version to point at.")],
    why: WhyOption = None,
    json: JsonOption = False,
) -> None:
    """Point ALIAS of model NAME at VERSION (recorded with who, when, from, to and why)."""
    with open_workspace(ctx) as ws:
        event = ws.registry.set_alias(name, alias_name, version, why=why)
    _print_event(event, json)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    name: NameArg,
    alias_name: Annotated[str, typer.Option("--alias", help="The alias to move back.")] = (
        "champion"
    ),
    why: WhyOption = None,
    json: JsonOption = False,
) -> None:
    """Move an alias back to the version it pointed at before, in one transaction."""
    with open_workspace(ctx) as ws:
        event = ws.registry.rollback(name, alias_name, why=why)
    _print_event(event, json)


@app.command("history")
def history(
    ctx: typer.Context,
    name: NameArg,
    alias_name: Annotated[
        str | None, typer.Option("--alias", help="Only this alias.", show_default=False)
    ] = None,
    json: JsonOption = False,
) -> None:
    """Every alias move of a model: when, who, which alias, from, to, why."""
    with open_workspace(ctx) as ws:
        events = ws.registry.history(name, alias_name)
    if json:
        fmt.emit_json([dataclasses.asdict(e) for e in events])
        return
    if not events:
        fmt.stdout().print(f"No alias of {fmt.escape(name)} has moved yet.")
        return
    table = fmt.table("when", "who", "alias", "action", "from", "to", "why")
    for event in events:
        table.add_row(
            fmt.when(event.at),
            fmt.escape(event.who or ""),
            fmt.escape(event.alias),
            event.action,
            _version_text(event.from_version),
            _version_text(event.to_version),
            fmt.escape(event.why or ""),
        )
    fmt.stdout().print(table)


@app.command("lineage")
def lineage(ctx: typer.Context, ref: RefArg, json: JsonOption = False) -> None:
    """Where a version comes from: its run, data snapshot, code commit, parent versions."""
    with open_workspace(ctx) as ws:
        found = ws.registry.lineage(ref)
    if json:
        fmt.emit_json(_lineage_dict(found))
        return
    _print_lineage(found, indent=0)


@app.command("archive")
def archive(
    ctx: typer.Context,
    name: NameArg,
    version: Annotated[int, typer.Argument(metavar="VERSION")],
) -> None:
    """Archive a version (refused while an alias points at it)."""
    with open_workspace(ctx) as ws:
        ws.registry.archive(name, version)
    fmt.stdout().print(f"Archived {fmt.escape(name)}/{version}.")


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: NameArg,
    version: Annotated[int, typer.Argument(metavar="VERSION")],
) -> None:
    """Delete a version (refused while an alias points at it); `keel gc` frees its package."""
    with open_workspace(ctx) as ws:
        ws.registry.delete(name, version)
    fmt.stdout().print(f"Deleted {fmt.escape(name)}/{version}.")


@app.command("export")
def export(
    ctx: typer.Context,
    ref: RefArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write it.")],
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="package (a folder), zip, mlflow (an MLflow pyfunc model) or bundle (ONNX, "
            "schema and a standalone numpy + onnxruntime predictor).",
        ),
    ] = "zip",
) -> None:
    """Export a version (or a package on disk) for another tool or an edge device."""
    with open_workspace(ctx) as ws:
        path = ws.export_model(ref, out, format=format)
    fmt.stdout().print(f"Wrote {format} to {fmt.escape(str(path))}")


@app.command("import-mlflow")
def import_mlflow(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="An MLflow model directory.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Model name.", show_default="the project's name")
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            "--sample",
            help="Data whose columns give the schema when the MLflow model has no signature; "
            "the ONNX graph is checked on its rows.",
        ),
    ] = None,
    alias: Annotated[str | None, typer.Option("--alias")] = None,
    why: WhyOption = None,
    json: JsonOption = False,
) -> None:
    """Register an MLflow scikit-learn or LightGBM model as a version."""
    with open_workspace(ctx) as ws:
        version = ws.import_mlflow_model(path, name=name, sample=sample, alias=alias, why=why)
    if json:
        fmt.emit_json(dataclasses.asdict(version))
        return
    fmt.stdout().print(f"Imported as [bold]{fmt.escape(version.name)}/{version.version}[/]")
    _print_version(version)


# -- printing ------------------------------------------------------------------------------


def _print_version(version: ModelVersion) -> None:
    out = fmt.stdout()
    manifest = version.manifest or {}
    rows: list[tuple[str, Any]] = [
        ("version", f"{version.name}/{version.version}"),
        ("status", version.status),
        ("aliases", ", ".join(version.aliases) or "—"),
        ("task", manifest.get("task", "")),
        ("created", f"{fmt.when(version.created_at)} by {version.created_by or '?'}"),
        ("run", version.run_id or "—"),
        ("snapshot", version.snapshot_id or "—"),
        ("commit", version.git_commit or "—"),
        ("parents", ", ".join(version.parents) or "—"),
        ("backend", _backend_text(manifest.get("onnx") or {})),
        ("description", version.description or ""),
    ]
    for label, value in rows:
        out.print(f"[bold]{label:<12}[/]{fmt.escape(str(value))}")
    metrics = manifest.get("metrics") or {}
    if metrics:
        table = fmt.table("metric", "value")
        for key, value in sorted(metrics.items()):
            table.add_row(fmt.escape(key), fmt.number(value))
        out.print(table)


def _backend_text(onnx: dict[str, Any]) -> str:
    if not onnx.get("file"):
        return f"native ({onnx.get('reason') or 'no ONNX graph'})"
    parity = onnx.get("parity") or {}
    diff = parity.get("max_abs_diff")
    shown = f", max |Δ| {diff:.1e} on {parity.get('rows', '?')} rows" if diff is not None else ""
    return f"onnx ({onnx.get('scope', '?')} graph{shown})"


def _print_event(event: AliasEvent, json: bool) -> None:
    if json:
        fmt.emit_json(dataclasses.asdict(event))
        return
    fmt.stdout().print(
        f"{fmt.escape(event.name)}@{fmt.escape(event.alias)}: "
        f"{_version_text(event.from_version)} → {_version_text(event.to_version)}"
        + (f" ({fmt.escape(event.why)})" if event.why else "")
    )


def _version_text(version: int | None) -> str:
    return "—" if version is None else str(version)


def _lineage_dict(lineage: Lineage) -> dict[str, Any]:
    """The lineage without each version's manifest (``models show`` prints that)."""
    return {
        "ref": lineage.ref,
        "status": lineage.version.status,
        "created_at": lineage.version.created_at,
        "created_by": lineage.version.created_by,
        "run_id": lineage.run_id,
        "snapshot_id": lineage.snapshot_id,
        "git_commit": lineage.git_commit,
        "run_inputs": lineage.run_inputs,
        "packages": lineage.packages,
        "parents": [_lineage_dict(parent) for parent in lineage.parents],
        "unresolved_parents": lineage.unresolved_parents,
    }


def _print_lineage(lineage: Lineage, indent: int) -> None:
    out, pad = fmt.stdout(), " " * indent
    version = lineage.version
    out.print(
        f"{pad}[bold]{fmt.escape(lineage.ref)}[/] ({version.status}, "
        f"{fmt.when(version.created_at)} by {fmt.escape(version.created_by or '?')})"
    )
    for label, value in (
        ("run", lineage.run_id),
        ("snapshot", lineage.snapshot_id),
        ("commit", lineage.git_commit),
    ):
        out.print(f"{pad}  {label:<9}{fmt.escape(value or '—')}")
    for ref in lineage.unresolved_parents:
        out.print(f"{pad}  parent   {fmt.escape(ref)} (not in this registry)")
    for parent in lineage.parents:
        out.print(f"{pad}  retrained from")
        _print_lineage(parent, indent + 4)
