"""The errors a data source raises, and where in a file it goes wrong: the exact line (and
column) of a malformed row, an undecodable byte or a bad JSON line.

pyarrow reads fast but its errors name no line: a CSV parse error quotes the row's text, a
decode error gives an offset inside a block. The scanners here run only after pyarrow has
refused a file, so the fast path stays pyarrow's alone; they read the file as a stream and
stop at what they were asked to find.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel.errors import DataError

__all__ = [
    "MAX_EXAMPLES",
    "SKIP_HINT",
    "BadRow",
    "TypeConflict",
    "bad_csv_rows",
    "bad_json_lines",
    "csv_error",
    "encoding_error",
    "json_error",
    "json_type_conflict",
    "missing_file",
    "parse_json_line",
    "shorten",
    "split_json_lines",
    "sql_error",
    "undecodable",
]

#: How many dropped rows ``Loaded.dropped_examples`` quotes.
MAX_EXAMPLES = 5
SKIP_HINT = "or pass bad_rows='skip' (CLI: --skip-bad-rows) to drop malformed rows and count them"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read: its 1-based line, its text and what is wrong with it."""

    line: int
    text: str
    problem: str

    def describe(self) -> str:
        return f"line {self.line}: {shorten(self.text)!r} {self.problem}"


def shorten(text: str, limit: int = 80) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- errors ------------------------------------------------------------------------------


def missing_file(path: Path) -> DataError:
    """The file is not there; a close name in the same folder is suggested."""
    import difflib

    message = f"{path} does not exist"
    if not path.is_absolute():
        message += f" (looked for {path.resolve()})"
    folder = path.parent
    if not folder.is_dir():
        return DataError(f"{message}; neither does the folder {folder}.")
    close = difflib.get_close_matches(path.name, [p.name for p in folder.iterdir()], n=3)
    return DataError(message + (f". Did you mean {' or '.join(close)}?" if close else "."))


def csv_error(
    path: Path, exc: Exception, *, delimiter: str, encoding: str, expected: str
) -> DataError:
    """pyarrow refused a CSV file: name the first malformed row and its line."""
    text = str(exc)
    if "Empty CSV file" in text:
        return DataError(f"{path} has only blank lines; expected {expected}.")
    try:
        bad = bad_csv_rows(path, delimiter=delimiter, encoding=encoding, limit=1)
    except UnicodeDecodeError:
        return encoding_error(path, encoding)
    if bad:
        return DataError(f"{path}, {bad[0].describe()}. Fix the row, {SKIP_HINT}.")
    return DataError(f"{path} cannot be read as {expected}: {text}")


def encoding_error(path: Path, encoding: str, *, json_lines: bool = False) -> DataError:
    """The file does not decode: the line and column of the first bad byte, and what to do."""
    found = undecodable(path, encoding)
    if json_lines:
        advice = "JSON lines must be UTF-8; convert the file (iconv -f cp1252 -t utf-8)"
    else:
        advice = _encoding_advice(path, encoding)
    if found is None:
        return DataError(f"{path} is not valid {encoding} text; {advice}.")
    line, column, byte = found
    return DataError(
        f"{path}, line {line}, column {column}: the byte 0x{byte:02x} is not valid {encoding}; "
        f"{advice}."
    )


def _encoding_advice(path: Path, encoding: str) -> str:
    with path.open("rb") as f:
        utf16 = f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    likely = ["utf-16"] if utf16 else ["utf-8", "cp1252", "latin-1"]
    others = [name for name in likely if codecs.lookup(name).name != encoding][:2]
    if utf16 and not others:
        return "the file may be truncated"
    names = " or ".join(repr(name) for name in others)
    return (
        f"if the file is in another encoding, pass it: encoding={names} "
        f"(CLI: --encoding {others[0]})"
    )


def json_error(path: Path, exc: Exception, *, expected: str) -> DataError:
    """pyarrow refused a JSON-lines file in which every line is an object."""
    if "Empty JSON file" in str(exc):
        return DataError(f"{path} has only blank lines; expected {expected}.")
    conflict = json_type_conflict(path)
    if conflict is None:
        return DataError(f"{path} cannot be read as JSON lines: {exc}")
    return DataError(
        f"{path}, {conflict.describe()}. A field must keep one JSON type on every line to be "
        "a column; make its values one type (for example all strings)."
    )


def sql_error(exc: BaseException, *, url: str, query: str, password: Any) -> DataError:
    """A query failed: the database's own message, the query, and ``url`` (no password)."""
    import sqlalchemy as sa

    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, sa.exc.SQLAlchemyError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, sa.exc.DBAPIError) and cause.orig is not None:
        message = str(cause.orig)
    elif isinstance(cause, sa.exc.ResourceClosedError):
        message = "the statement returns no rows; expected a query such as SELECT"
    else:
        message = str(cause or exc).split("\n(Background on this error")[0]
    if password:
        message = message.replace(str(password), "***")
    query_text = query.strip().replace("\n", "\n    ")
    return DataError(f"The SQL query failed on {url}: {message.strip()}\n  query: {query_text}")


# -- encodings ---------------------------------------------------------------------------


def undecodable(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """Where the first byte that ``encoding`` cannot decode is: its 1-based line, its
    1-based column (in characters, as an editor counts) and its value; None when the whole
    file decodes."""
    if "\n".encode(encoding) != b"\n":  # UTF-16/32: a newline is not one byte
        return _undecodable_whole(path, encoding)
    # In an ASCII-compatible encoding no multi-byte character holds the byte 0x0a, so
    # blocks cut after a newline decode on their own.
    lines_before = 0
    carry = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            block, carry = _split_at_last_newline(carry + chunk) if chunk else (carry, b"")
            try:
                block.decode(encoding)
            except UnicodeDecodeError as exc:
                return _position(block, exc, lines_before, encoding)
            if not chunk:
                return None
            lines_before += block.count(b"\n")


def _split_at_last_newline(data: bytes) -> tuple[bytes, bytes]:
    cut = data.rfind(b"\n") + 1
    return data[:cut], data[cut:]


def _undecodable_whole(path: Path, encoding: str) -> tuple[int, int, int] | None:
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode(encoding, errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        return line, column, data[exc.start]
    return None


def _position(
    block: bytes, exc: UnicodeDecodeError, lines_before: int, encoding: str
) -> tuple[int, int, int]:
    offset = exc.start
    line_start = block.rfind(b"\n", 0, offset) + 1
    line = lines_before + block.count(b"\n", 0, offset) + 1
    # The column counts characters, as an editor shows it, not bytes.
    column = len(block[line_start:offset].decode(encoding, errors="replace")) + 1
    return line, column, block[offset]


# -- CSV ---------------------------------------------------------------------------------


def bad_csv_rows(
    path: Path, *, delimiter: str, encoding: str, limit: int = MAX_EXAMPLES
) -> list[BadRow]:
    """The first ``limit`` rows whose number of fields differs from the header's.

    Parses with the stdlib ``csv`` module, whose dialect (double quote, ``"`` quoting) is
    pyarrow's default, so both agree on what a row is; a quoted newline keeps a row on
    several lines and the line reported is the one the row starts on.
    """
    found: list[BadRow] = []
    # A quoted value may be long (a document in a cell); pyarrow reads it, so must this.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    with path.open(encoding=encoding, newline="") as f:
        raw = _RecordingLines(f)
        reader = csv.reader(raw, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return []
        expected = len(header)
        end = reader.line_num
        raw.take()
        try:
            for row in reader:
                start, end = end + 1, reader.line_num
                text = raw.take()
                if row and len(row) != expected:
                    fields = f"{len(row)} field" + ("" if len(row) == 1 else "s")
                    found.append(BadRow(start, text, f"has {fields}, expected {expected}"))
                    if len(found) >= limit:
                        break
        except csv.Error as exc:
            found.append(BadRow(end + 1, raw.take(), f"cannot be parsed: {exc}"))
    return found


class _RecordingLines:
    """Feeds lines to ``csv.reader`` and keeps the raw text of the record being read."""

    def __init__(self, lines: Any) -> None:
        self._lines = iter(lines)
        self._taken: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line: str = next(self._lines)
        self._taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self._taken)
        self._taken.clear()
        return text


# -- JSON lines --------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    # pyarrow's JSON parser refuses NaN and Infinity, so the scanner does too.
    raise ValueError(f"{name} is not valid JSON")


def parse_json_line(text: str) -> tuple[Any, str | None]:
    """The value of one JSON line and, when it is not a JSON object, what is wrong."""
    try:
        value = json.loads(text.rstrip("\r\n"), parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON: {exc.msg} at column {exc.colno}"
    except ValueError as exc:
        return None, f"is not valid JSON: {exc}"
    if not isinstance(value, dict):
        return value, f"is {_a(_kind(value))}, expected a JSON object {{…}}"
    return value, None


def bad_json_lines(path: Path, *, limit: int | None = MAX_EXAMPLES) -> list[BadRow]:
    """The first ``limit`` (None: all) lines that are not a JSON object; blank lines are
    skipped, as pyarrow skips them."""
    found: list[BadRow] = []
    for number, text in _json_lines(path):
        _, problem = parse_json_line(text)
        if problem:
            found.append(BadRow(number, text, problem))
            if limit is not None and len(found) >= limit:
                break
    return found


def split_json_lines(path: Path) -> tuple[bytes, int, list[BadRow]]:
    """The JSON-object lines of a file, as UTF-8 bytes for pyarrow, with how many other
    lines there were and the first few of them."""
    good: list[str] = []
    dropped = 0
    examples: list[BadRow] = []
    for number, text in _json_lines(path):
        _, problem = parse_json_line(text)
        if problem is None:
            good.append(text if text.endswith("\n") else text + "\n")
            continue
        dropped += 1
        if len(examples) < MAX_EXAMPLES:
            examples.append(BadRow(number, text, problem))
    return "".join(good).encode("utf-8"), dropped, examples


def _json_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        for number, text in enumerate(f, start=1):
            if text.strip():
                yield number, text


@dataclass(frozen=True)
class TypeConflict:
    """A field whose JSON type changes: on ``line`` it holds ``value``, of kind ``found``;
    on ``first_line`` it held a value of kind ``expected``."""

    line: int
    field: str
    found: str
    value: Any
    expected: str
    first_line: int

    def describe(self) -> str:
        value = shorten(json.dumps(self.value, ensure_ascii=False), 40)
        return (
            f"line {self.line}: the field {self.field!r} holds {_a(self.found)} ({value}), "
            f"but on line {self.first_line} it holds {_a(self.expected)}"
        )


def json_type_conflict(path: Path) -> TypeConflict | None:
    """The first line where a field changes JSON type (a number, then a string), which
    pyarrow cannot put in one column. Nested objects are followed: ``a.b``."""
    seen: dict[str, tuple[str, int]] = {}
    for number, text in _json_lines(path):
        value, problem = parse_json_line(text)
        if problem:
            continue
        for column, item in _leaves(value):
            kind = _kind(item)
            if kind == "null":
                continue
            first = seen.setdefault(column, (kind, number))
            if first[0] != kind:
                return TypeConflict(number, column, kind, item, first[0], first[1])
    return None


def _leaves(record: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in record.items():
        name = f"{prefix}{key}"
        yield name, value
        if isinstance(value, dict):
            yield from _leaves(value, f"{name}.")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind
