"""Options and arguments several ``keel`` commands share, spelled and explained once."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["JsonOption", "SourceArg"]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout and nothing else.")]
SourceArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SOURCE",
        help="A .csv, .tsv, .parquet or .jsonl file. Default: data.source in keel.yaml.",
        show_default=False,
    ),
]
