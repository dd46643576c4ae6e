"""Search spaces: the dimensions a family searches, and keel.yaml's overrides of them.

``train.spaces.<family>`` maps a param to a two-number list (a uniform range, of integers
when both ends are integers), a two-number list plus ``log`` (log-uniform), a list of other
values (a categorical choice) or a scalar (the value is fixed).

Example:
    >>> override = parse_space("lightgbm", {"num_leaves": [8, 256], "max_depth": 6,
    ...                                     "learning_rate": [0.01, 0.3, "log"]})
    >>> override.entries["num_leaves"]
    Range(low=8, high=256, log=False, integer=True)
    >>> override.entries["max_depth"]
    Fixed(value=6)
    >>> clip(31, Range(4, 16, log=True, integer=True))
    16
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from keel.errors import TrainError

if TYPE_CHECKING:
    import optuna  # annotations only: optuna loads when a study runs

__all__ = ["Choice", "Dimension", "Fixed", "Range", "SpaceOverride", "clip", "merge", "suggest"]

# What Optuna can store as a categorical choice.
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high`` (both included), uniform or log-uniform."""

    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class Choice:
    """One of ``values``, unordered."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Fixed:
    """A single value: the param is set, not searched."""

    value: Any


Dimension: TypeAlias = Range | Choice | Fixed


@dataclass(frozen=True)
class SpaceOverride:
    """``train.spaces.<family>`` parsed and checked: a dimension per overridden param."""

    family: str
    entries: Mapping[str, Dimension] = field(default_factory=dict)


def parse_space(family: str, raw: Any) -> SpaceOverride:
    """Parse and check ``train.spaces.<family>`` against the family's params and space.

    Raises:
        TrainError: an unknown family or param, a malformed value (low >= high, log with
            low <= 0, an empty list), or an override that fixes every searched param;
            ``.field`` is the dotted path of the bad setting.
    """
    # Imported here because the catalog builds its spaces from this module.
    from keel.train._catalog import ALGORITHMS

    where = f"train.spaces.{family}"
    algorithm = ALGORITHMS.get(family)
    if algorithm is None:
        known = ", ".join(sorted(ALGORITHMS))
        raise TrainError(
            f"The 'spaces' setting of train names an unknown algorithm {family!r}; "
            f"expected one of {known}.",
            field=where,
        )
    if not isinstance(raw, Mapping):
        raise _bad(where, raw, "a mapping of param to a range, a list of choices or a value")
    entries = {}
    for name, value in raw.items():
        if name not in algorithm.params:
            known = ", ".join(sorted(algorithm.params))
            raise TrainError(
                f"{where} names {name!r}, which is not a param of {family}; "
                f"expected one of {known}.",
                field=f"{where}.{name}",
            )
        entries[name] = _dimension(f"{where}.{name}", value)
    override = SpaceOverride(family, entries)
    _check_not_empty(where, merge(algorithm.space(10_000), override))
    return override


def _dimension(where: str, value: Any) -> Dimension:
    if isinstance(value, _SCALARS):
        return Fixed(value)
    if not isinstance(value, list | tuple) or not value:
        raise _bad(
            where, value, "a [low, high] range, [low, high, log], a list of choices or a value"
        )
    items = tuple(value)
    if not all(isinstance(item, _SCALARS) for item in items):
        raise _bad(where, value, "a list of strings, numbers, booleans or null")
    numbers = [item for item in items[:2] if _is_number(item)]
    if len(numbers) == 2 and (len(items) == 2 or items[2:] == ("log",)):
        return _range(where, value, *numbers, log=len(items) == 3)
    if len(numbers) == 2 and len(items) == 3 and isinstance(items[2], str):
        raise _bad(where, value, "a third item 'log' (for a log-uniform range) or none")
    return Choice(items)


def _range(where: str, raw: Any, low: float, high: float, *, log: bool) -> Range:
    if low >= high:
        raise _bad(where, raw, "a range whose low end is below its high end")
    if log and low <= 0:
        raise _bad(where, raw, "a log range with a low end > 0")
    integer = isinstance(low, int) and isinstance(high, int)
    return Range(low, high, log=log, integer=integer)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _bad(where: str, value: Any, expected: str) -> TrainError:
    section, _, name = where.rpartition(".")
    return TrainError(
        f"The {name!r} setting of {section} must be {expected}. Got {value!r} instead.",
        field=where,
    )


def _check_not_empty(where: str, space: Mapping[str, Dimension]) -> None:
    if all(_is_fixed(dimension) for dimension in space.values()):
        raise TrainError(
            f"The {where} setting fixes every param the family searches "
            f"({', '.join(sorted(space))}), which leaves nothing to search; give at least one "
            "a range or a list of choices, or leave it out.",
            field=where,
        )


def _is_fixed(dimension: Dimension) -> bool:
    return isinstance(dimension, Fixed) or (
        isinstance(dimension, Choice) and len(dimension.values) == 1
    )


def merge(space: Mapping[str, Dimension], override: SpaceOverride | None) -> dict[str, Dimension]:
    """``space`` with ``override``'s entries in place of (or added to) its own.

    An integer range given for a param the family searches as a float (``learning_rate:
    [0, 1]``) is read as a float range: the user meant the interval, not its two ends.
    """
    merged = dict(space)
    for name, entry in (override.entries if override else {}).items():
        default = space.get(name)
        if isinstance(entry, Range) and isinstance(default, Range) and not default.integer:
            entry = Range(float(entry.low), float(entry.high), log=entry.log, integer=False)
        merged[name] = entry
    return merged


def suggest(trial: optuna.Trial, name: str, entry: Dimension) -> Any:
    """A value for ``name`` from ``trial`` (a fixed value is returned without asking it)."""
    if isinstance(entry, Fixed):
        return entry.value
    if isinstance(entry, Choice):
        return trial.suggest_categorical(name, list(entry.values))
    if entry.integer:
        return trial.suggest_int(name, int(entry.low), int(entry.high), log=entry.log)
    return trial.suggest_float(name, float(entry.low), float(entry.high), log=entry.log)


def clip(value: Any, entry: Dimension) -> Any:
    """``value`` moved inside ``entry``: to the nearest end of a range (its middle when
    ``value`` is not a number), to the first choice when it is not among them."""
    if isinstance(entry, Fixed):
        return entry.value
    if isinstance(entry, Choice):
        return value if value in entry.values else entry.values[0]
    if not _is_number(value):
        middle = math.sqrt(entry.low * entry.high) if entry.log else (entry.low + entry.high) / 2
        value = middle
    value = min(max(value, entry.low), entry.high)
    return round(value) if entry.integer else float(value)
