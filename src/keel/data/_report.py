"""The data quality profile as one self-contained HTML page: a summary, the findings and a
chart per column, with CSS inline and charts as base64 PNG data URIs, so the file can be
mailed, attached to a run or opened offline.

Charts are drawn on ``matplotlib.figure.Figure`` with the Agg canvas, never through pyplot:
no global backend is switched and no figure outlives its chart. At 4 x 2.2 inches and 80 dpi
a chart is 4-7 kB (about 9 kB as base64), so a 50-column report stays well under 1 MB.

Example:
    >>> import pandas as pd
    >>> from keel.data._profile import profile_frame
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})
    >>> html = render_html(profile_frame(frame), frame, title="demo")
    >>> html.startswith("<!DOCTYPE html>"), html.count("<img ")
    (True, 2)
"""

from __future__ import annotations

import base64
import functools
import io
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.data._profile import ColumnSummary, Finding, Profile
from keel.errors import DataError

if TYPE_CHECKING:
    import jinja2
    from matplotlib.axes import Axes

__all__ = ["render_html", "write_html"]

_SIZE_IN = (4.0, 2.2)
_DPI = 80
_BINS = 40
_DISCRETE = 10  # a numeric column with at most this many values gets bars, not bins
_LABEL_CHARS = 24
_STYLE: Any = {"font.size": 8, "axes.spines.top": False, "axes.spines.right": False}
_COLOR = "#4c78a8"


def render_html(profile: Profile, frame: pd.DataFrame, *, title: str) -> str:
    """Render ``profile`` of ``frame`` as a self-contained HTML page.

    Args:
        profile: what :func:`profile_frame` returned for ``frame``.
        frame: the same data, for the charts.
        title: the page's heading; escaped like every other string from the data.

    Raises:
        DataError: ``frame`` does not have the columns ``profile`` was made from.
    """
    _check_same_columns(profile, frame)
    by_column: dict[str | None, list[Finding]] = {}
    for finding in profile.findings:
        by_column.setdefault(finding.column, []).append(finding)
    anchors = {c.name: f"col-{i}" for i, c in enumerate(profile.columns)}
    columns = [
        _column_view(summary, frame.iloc[:, i], anchors[summary.name], by_column, profile)
        for i, summary in enumerate(profile.columns)
    ]
    return (
        _environment()
        .get_template("profile.html.j2")
        .render(
            title=title,
            keel_version=_version(),
            rows=profile.shape[0],
            n_columns=profile.shape[1],
            target=profile.target,
            task=profile.target_task,
            counts={s: sum(f.severity == s for f in profile.findings) for s in _SEVERITIES},
            missing_cells=_missing_cells(profile),
            duplicates=_duplicate_count(profile),
            findings=[_finding_view(f, anchors) for f in profile.findings],
            columns=columns,
            settings=sorted(profile.settings.items()),
        )
    )


def write_html(
    profile: Profile, frame: pd.DataFrame, path: str | os.PathLike[str], *, title: str
) -> Path:
    """Write :func:`render_html`'s page to ``path`` atomically: a reader sees the old file
    or the whole new one, never part of it. Creates missing parent folders."""
    html = render_html(profile, frame, title=title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


_SEVERITIES = ("error", "warning", "info")


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("keel.data", "templates"),
        autoescape=True,  # the template is .html.j2, which select_autoescape would miss
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("keel")
    except PackageNotFoundError:
        return "unknown"


def _check_same_columns(profile: Profile, frame: pd.DataFrame) -> None:
    names = [str(label) for label in frame.columns]
    expected = [c.name for c in profile.columns]
    if names != expected:
        raise DataError(
            f"The profile was made from a frame with the columns {expected[:10]}"
            f"{'...' if len(expected) > 10 else ''}; this frame has {names[:10]}"
            f"{'...' if len(names) > 10 else ''}. Render a profile with the frame it came from."
        )


def _missing_cells(profile: Profile) -> str:
    rows, cols = profile.shape
    if not rows or not cols:
        return "0"
    share = sum(c.null_share for c in profile.columns) / cols
    return f"{share:.1%}"


def _duplicate_count(profile: Profile) -> str:
    found = [f for f in profile.findings if f.check == "duplicates"]
    return f"{int(found[0].value or 0):,}" if found else "0"


def _finding_view(finding: Finding, anchors: dict[str, str]) -> dict[str, Any]:
    return {
        "severity": finding.severity,
        "check": finding.check,
        "column": finding.column,
        "anchor": anchors.get(finding.column or ""),
        "message": finding.message,
        "examples": ", ".join(_fmt(e) for e in finding.examples),
    }


def _column_view(
    summary: ColumnSummary,
    series: pd.Series,
    anchor: str,
    by_column: dict[str | None, list[Finding]],
    profile: Profile,
) -> dict[str, Any]:
    return {
        "name": summary.name,
        "anchor": anchor,
        "role": summary.role,
        "kind": summary.kind,
        "dtype": summary.dtype,
        "stats": list(_stats(summary)),
        "image": _chart(summary, series, profile.settings.get("iqr_k")),
        "findings": by_column.get(summary.name, []),
    }


def _stats(summary: ColumnSummary) -> Iterator[tuple[str, str]]:
    yield "non-null", f"{summary.count:,}"
    yield "missing", f"{summary.null_share:.1%}"
    yield "distinct", f"{summary.n_unique:,}"
    for label in ("min", "max", "mean", "std"):
        value = getattr(summary, label)
        if value is not None:
            yield label, _fmt(value)
    if summary.quartiles is not None:
        yield "median", _fmt(summary.quartiles[1])
    for value, count in summary.top_values[:3]:
        yield _shorten(value), f"{count:,}"


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def _shorten(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "\u2026"


# -- charts -------------------------------------------------------------------------------


def _chart(summary: ColumnSummary, series: pd.Series, iqr_k: float | None) -> str:
    missing = int(series.isna().sum())
    if summary.count == 0:
        return _png(functools.partial(_note, "every value is missing"))
    if summary.kind == "numeric" and summary.n_unique <= _DISCRETE:
        counts = series.value_counts().sort_index()
        return _png(_bars, [(_fmt(_plain(v)), int(c)) for v, c in counts.items()], missing)
    if summary.kind == "numeric":
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        values = values[np.isfinite(values)]
        if not values.size:
            return _png(functools.partial(_note, "no finite values"))
        return _png(_histogram, values, _fences(summary, iqr_k))
    if summary.kind == "datetime":
        return _png(_dates, _naive(series.dropna()).to_numpy())
    if summary.kind in ("categorical", "boolean"):
        return _png(_bars, _top_counts(summary), missing)
    return _png(functools.partial(_note, f"no chart for {summary.dtype} values"))


def _png(draw: Callable[..., None], *args: Any) -> str:
    """Draw one small chart with ``draw(axes, *args)``; return it as a PNG data URI."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE), warnings.catch_warnings():
        # Labels come from the data: a glyph the font lacks is drawn as a box, not an error.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        # Fixed margins, not a layout engine: constrained layout more than doubles the time.
        figure = Figure(figsize=_SIZE_IN, dpi=_DPI)
        FigureCanvasAgg(figure)
        draw(figure.add_subplot(), *args)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        figure.clear()  # no pyplot, so nothing holds the figure once this returns
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _fences(summary: ColumnSummary, iqr_k: float | None) -> tuple[float, ...]:
    if summary.quartiles is None or iqr_k is None:
        return ()
    q1, _, q3 = summary.quartiles
    low, high = q1 - iqr_k * (q3 - q1), q3 + iqr_k * (q3 - q1)
    lowest, highest = summary.min, summary.max
    assert isinstance(lowest, float) and isinstance(highest, float)
    return tuple(v for v in (low, high) if lowest < v < highest)


def _histogram(ax: Axes, values: np.ndarray, fences: tuple[float, ...]) -> None:
    # np.histogram + stairs draws one patch, not one per bin: 2 ms instead of 15 for 100k.
    counts, edges = np.histogram(values, bins=_BINS)
    ax.stairs(counts, edges, fill=True, color=_COLOR)
    for x in fences:
        ax.axvline(x, color="#cf222e", linestyle="--", linewidth=0.8)
    ax.figure.subplots_adjust(left=0.15, right=0.97, bottom=0.13, top=0.96)


def _dates(ax: Axes, stamps: np.ndarray) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    ax.hist(stamps, bins=_BINS, color=_COLOR)
    locator = AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.figure.subplots_adjust(left=0.15, right=0.97, bottom=0.2, top=0.96)


def _naive(stamps: pd.Series) -> pd.Series:
    """Timezone-aware stamps as naive UTC, which matplotlib's date axis takes."""
    if getattr(stamps.dt, "tz", None) is None:
        return stamps
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None)


def _top_counts(summary: ColumnSummary) -> list[tuple[str, int]]:
    shown = list(summary.top_values)
    rest = summary.count - sum(count for _, count in shown)
    if rest > 0:
        shown.append((f"({summary.n_unique - len(shown):,} others)", rest))
    return shown


def _bars(ax: Axes, counts: list[tuple[str, int]], missing: int) -> None:
    if missing:
        counts = [*counts, ("(missing)", missing)]
    positions = np.arange(len(counts))
    ax.barh(positions, [c for _, c in counts], color=_COLOR)
    labels = [_shorten(label) for label, _ in counts]
    ax.set_yticks(positions, labels=labels, parse_math=False)  # "$" in data is not TeX
    ax.invert_yaxis()
    ax.figure.subplots_adjust(left=0.42, right=0.97, bottom=0.13, top=0.96)


def _note(text: str, ax: Axes) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", color="#59636e", parse_math=False)
    ax.set_axis_off()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
