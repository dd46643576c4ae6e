"""The evaluation report: one self-contained HTML file of sections with text, tables and
plots, a table of contents and the run's provenance.

Nothing in the page loads from outside it: styles and the one script are inline, plots are
inline SVG or data-URI PNGs, and a Content-Security-Policy forbids everything else. Every
string is escaped (jinja2 autoescape); only SVG made by keel's plot functions goes in as
markup. On load the script writes how many plots actually rendered to
``<body data-plots-rendered>``, beside the ``data-plots-expected`` the page was written with,
so a headless browser can check the page.

Example:
    >>> section = Section("Metrics", paragraphs=["Holdout scores."],
    ...                   tables=[Table("Scores", ["metric", "value"], [["auc", 0.91]])])
    >>> page = render_report("Evaluation <model>", [section], meta={"run id": "r1"})
    >>> "Evaluation &lt;model&gt;" in page, 'data-plots-expected="0"' in page
    (True, True)
"""

from __future__ import annotations

import base64
import hashlib
import math
import numbers
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from keel.errors import EvaluationError

if TYPE_CHECKING:  # the page only reads plots; it need not load matplotlib
    from keel.evaluate._plots import Plot

__all__ = ["Section", "Table", "render_report", "write_report"]

# Counts rendered plots: a PNG that decoded, an inline SVG that laid out with a size.
_SCRIPT = """
window.addEventListener("load", function () {
  var rendered = 0;
  document.querySelectorAll("figure.plot .plot-body > img").forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { rendered += 1; }
  });
  document.querySelectorAll("figure.plot .plot-body > svg").forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0 && svg.getBoundingClientRect().width > 0) {
      rendered += 1;
    }
  });
  document.body.setAttribute("data-plots-rendered", String(rendered));
});
"""
_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()


@dataclass(frozen=True)
class Table:
    """A table: column headers and rows of cells (numbers are formatted and right-aligned;
    None and NaN show as a dash).

    Example:
        >>> import pandas as pd
        >>> Table.from_frame(pd.DataFrame({"metric": ["auc"], "value": [0.9]}), "Scores").rows
        [['auc', 0.9]]
    """

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, caption: str = "") -> Table:
        """The frame's columns and rows (its index is left out)."""
        return cls(caption, [str(c) for c in frame.columns], frame.to_numpy(object).tolist())

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]], caption: str = "") -> Table:
        """One row per dict; columns in order of first appearance, missing cells blank."""
        columns = list(dict.fromkeys(key for record in records for key in record))
        return cls(caption, columns, [[r.get(c) for c in columns] for r in records])


@dataclass(frozen=True)
class Section:
    """One part of the report, listed in its table of contents. ``notes`` are warnings
    shown highlighted (a flagged group, a failed gate)."""

    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[Table] = ()
    plots: Sequence[Plot] = ()
    notes: Sequence[str] = ()


def render_report(
    title: str, sections: Sequence[Section], *, meta: Mapping[str, Any] | None = None
) -> str:
    """The report as one HTML document.

    Args:
        title: the page's heading.
        sections: the report's parts, in order.
        meta: provenance shown under the title, e.g. model, run id, data snapshot id,
            created at, keel version (a ``keel version`` key also signs the footer).
    """
    views = [_section_view(index, section) for index, section in enumerate(sections, start=1)]
    meta = dict(meta or {})
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=title,
            meta=[(_label(key), value) for key, value in meta.items() if value is not None],
            version=meta.get("keel version") or meta.get("keel_version"),
            sections=views,
            plots_expected=sum(len(view["plots"]) for view in views),
            script=_SCRIPT,
            script_hash=_SCRIPT_HASH,
        )
    )


def write_report(path: str | os.PathLike[str], html: str) -> Path:
    """Write ``html`` to ``path`` atomically: readers see the old file or the whole new one.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> write_report(f"{folder}/report.html", "<p>hi</p>").read_text()
        '<p>hi</p>'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("keel.evaluate", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _section_view(index: int, section: Section) -> dict[str, Any]:
    if not isinstance(section, Section):
        raise EvaluationError(
            f"A report is made of Section objects; item {index} is a {type(section).__name__}.",
            field="sections",
        )
    return {
        "anchor": f"section-{index}",
        "title": section.title,
        "paragraphs": list(section.paragraphs),
        "notes": list(section.notes),
        "tables": [_table_view(table) for table in section.tables],
        # Plots are scoped by position: two copies of one plot still get distinct ids.
        "plots": [plot.scoped(f"s{index}p{n}-") for n, plot in enumerate(section.plots)],
    }


def _table_view(table: Table) -> dict[str, Any]:
    width = len(table.columns)
    for row in table.rows:
        if len(row) != width:
            raise EvaluationError(
                f"Table {table.caption!r} has {width} columns but a row with {len(row)} "
                f"cells: {list(row)[:6]}.",
                field="tables",
            )
    rows = [[_cell(value) for value in row] for row in table.rows]
    return {"caption": table.caption, "columns": list(table.columns), "rows": rows}


def _cell(value: Any) -> tuple[str, bool]:
    """A cell's text and whether it is a number (right-aligned)."""
    numeric = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    text = format_value(value)
    return text, numeric and text != "—"


def format_value(value: Any) -> str:
    """How a report shows a value: numbers to four significant digits (large ones whole,
    with thousands separators), booleans as yes/no, None and NaN as a dash.

    Example:
        >>> [format_value(v) for v in (0.912345, 123456.7, 2.0, 1234, True, None)]
        ['0.9123', '123,457', '2', '1,234', 'yes', '—']
    """
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        number = float(value)
        return f"{number:.4g}" if math.isinf(number) or abs(number) < 1e4 else f"{number:,.0f}"
    return str(value)


def _label(key: str) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]
