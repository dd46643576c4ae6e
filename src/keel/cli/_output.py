"""How the CLI prints: rich tables for people, plain JSON for programs, errors on stderr.

Consoles are made per call, not at import, so they write to whatever ``sys.stdout`` is
then (the test runner swaps it) and ``keel --help`` does not pay for them.
"""

from __future__ import annotations

import json
import math
import time
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

JSON_HELP = (
    "Print JSON on stdout and nothing else. NaN and ±inf metric values are written as the "
    'strings "NaN", "Infinity" and "-Infinity", since JSON has no numbers for them.'
)
STATUS_STYLES = {
    "RUNNING": "bold blue",
    "FINISHED": "green",
    "FAILED": "bold red",
    "KILLED": "yellow",
}
MISSING = "—"


def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def error(message: str) -> None:
    """Print ``message`` in red on stderr, unwrapped so a filter's caret stays aligned."""
    from rich.text import Text

    stderr().print(Text(message, style="red"), soft_wrap=True)


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout; NaN and ±inf become strings (see JSON_HELP)."""
    typer.echo(json.dumps(_jsonable(data), indent=2, allow_nan=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def escape(text: str) -> str:
    """``text`` with rich markup escaped, for names and values users chose."""
    from rich.markup import escape as _escape

    return _escape(text)


def table(*columns: str, title: str | None = None, **options: Any) -> Table:
    from rich import box
    from rich.table import Table

    settings = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, **options}
    result = Table(title=title, title_justify="left", **settings)
    for column in columns:
        result.add_column(column)
    return result


# -- formatting values ---------------------------------------------------------------------


def number(value: float | None) -> str:
    """A metric value in at most 6 significant digits; NaN and ±inf spelled out."""
    if value is None:
        return MISSING
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def status(name: str, deleted: bool = False) -> str:
    """Rich markup for a run status, coloured; a tombstoned run is marked."""
    text = f"[{STATUS_STYLES.get(name, 'white')}]{name}[/]"
    return f"{text} [dim](deleted)[/]" if deleted else text


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return MISSING
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def size(n_bytes: int) -> str:
    """Bytes in binary units: ``512 B``, ``1.5 KiB``, ``3.2 MiB``."""
    if n_bytes < 1024:
        return f"{n_bytes} B"
    value = float(n_bytes)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
