"""``keel gc``: remove deleted runs and experiments for good and reclaim artifact space."""

from __future__ import annotations

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace


def gc(ctx: typer.Context) -> None:
    """Purge deleted runs and experiments, then delete artifacts nothing refers to."""
    with open_workspace(ctx) as ws:
        report = ws.gc()
    fmt.stdout().print(
        f"Purged {fmt.plural(report.runs_purged, 'run')} and "
        f"{fmt.plural(report.experiments_purged, 'experiment')}; deleted "
        f"{fmt.plural(report.blobs_deleted, 'artifact blob')}, "
        f"{fmt.size(report.bytes_freed)} reclaimed."
    )
