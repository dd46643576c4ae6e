"""Argument checks shared by the statistics functions, with keel's one message template."""

from __future__ import annotations

import math

from keel.errors import ConfigError

ALTERNATIVES = ("two-sided", "greater", "less")


def bad(name: str, where: str, expected: str, got: object) -> ConfigError:
    return ConfigError(
        f"The {name!r} setting of {where} must be {expected}. Got {got!r} instead.",
        field=f"{where}.{name}",
    )


def probability(name: str, value: float, where: str, *, open_: bool = True) -> float:
    """``value`` when it lies in (0, 1) (or [0, 1] when ``open_`` is false)."""
    ok = isinstance(value, int | float) and math.isfinite(value)
    inside = ok and (0 < value < 1 if open_ else 0 <= value <= 1)
    if not inside:
        span = "between 0 and 1 (exclusive)" if open_ else "between 0 and 1"
        raise bad(name, where, f"a number {span}", value)
    return float(value)


def positive(name: str, value: float, where: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise bad(name, where, "a number > 0", value)
    return float(value)


def alternative(value: str, where: str) -> str:
    if value not in ALTERNATIVES:
        raise bad("alternative", where, "one of " + ", ".join(ALTERNATIVES), value)
    return value
