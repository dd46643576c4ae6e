"""What the batch validator reports: one ``Violation`` per kind of problem and column, and
the ``ValidationReport`` that holds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from keel.errors import ValidationError

Severity = Literal["error", "warning"]
#: At most this many example rows and values per violation.
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Violation:
    """One kind of problem in one column: how many rows, and the first few of them.

    ``examples`` are 0-based row positions, ``values`` the values found there.
    """

    column: str
    kind: str
    severity: Severity
    count: int
    examples: tuple[int, ...]
    values: tuple[Any, ...]
    expected: str

    def __str__(self) -> str:
        text = f"{self.severity}: column {self.column!r}: {self.kind} x{self.count:,}"
        text += f", expected {self.expected}"
        if self.examples:
            values = ", ".join(repr(v) for v in self.values)
            text += f" (rows {', '.join(map(str, self.examples))}: {values})"
        return text


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What ``validate_frame`` found. ``ok`` means no errors; warnings are for reporting."""

    violations: tuple[Violation, ...]
    n_rows: int

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raises ValidationError listing every error; does nothing when ``ok``."""
        errors = self.errors
        if errors:
            lines = "\n  ".join(str(v) for v in errors)
            raise ValidationError(
                f"{len(errors)} validation error(s) in {self.n_rows:,} rows:\n  {lines}"
            )

    def __str__(self) -> str:
        head = (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.n_rows:,} rows"
        )
        return "\n  ".join([head, *(str(v) for v in self.violations)])
