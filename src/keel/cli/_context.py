"""What every command shares: the global options, opening the workspace, reading run ids."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from keel.workspace import Workspace

# Tables show 8 characters of a run id; a hex prefix this long or longer names a run.
_ID_PREFIX = re.compile(r"[0-9a-f]{4,31}")


@dataclass
class State:
    """The global options, kept on the root context's ``obj``."""

    workspace: Path
    debug: bool = False


def state(ctx: typer.Context) -> State:
    found = ctx.find_root().obj
    return found if isinstance(found, State) else State(Path("."))


@contextmanager
def open_workspace(ctx: typer.Context) -> Iterator[Workspace]:
    """The workspace named by ``--workspace`` (or found above it), closed afterwards."""
    from keel.workspace import Workspace

    with Workspace.open(state(ctx).workspace) as ws:
        yield ws


def run_ids(ws: Workspace, given: Sequence[str]) -> list[str]:
    """Full run ids for ``given`` ids or unique prefixes (as the tables show), in order,
    without repeats. An id that matches nothing is passed on for the library to refuse."""
    return list(dict.fromkeys(run_id(ws, text) for text in given))


def run_id(ws: Workspace, text: str) -> str:
    from keel.errors import TrackingError

    prefix = text.lower()
    if not _ID_PREFIX.fullmatch(prefix):
        return text
    # A hex prefix cannot hold a quote or a LIKE wildcard, so it is safe in the filter.
    found = ws.search_runs(f"run_id LIKE '{prefix}%'", max_results=2, include_deleted=True)
    if len(found) > 1:
        raise TrackingError(
            f"The run id prefix {text!r} matches several runs; give more of the id."
        )
    return found[0].run_id if found else text
