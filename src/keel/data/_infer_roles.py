"""Roles and names for schema inference: the roles given as arguments, id-like columns, and
the checks on column names and the timestamp column."""

from __future__ import annotations

import re

import pandas as pd

from keel.data._schema_model import ColumnSchema, Role
from keel.errors import SchemaError

_ID_NAME = re.compile(r"(?i:id|uuid|guid|.*[_\- ](?:id|uuid))|.*[a-z0-9]Id")


def _check_names(frame: pd.DataFrame) -> None:
    odd = [name for name in frame.columns if not isinstance(name, str) or not name]
    if odd:
        raise SchemaError(
            f"Column names must be non-empty strings. Got {odd[0]!r} instead; rename the "
            "columns, e.g. frame.columns = frame.columns.astype(str)."
        )
    if not frame.columns.is_unique:
        twice = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise SchemaError(f"Column names must be unique; these appear twice: {', '.join(twice)}.")


def _explicit_roles(frame: pd.DataFrame, **named: str | None) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for role, name in named.items():
        if name is None:
            continue
        if name not in frame.columns:
            raise SchemaError(
                f"The {role} column {name!r} is not in the data; its columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
        if name in roles:
            raise SchemaError(f"Column {name!r} cannot be both {roles[name]} and {role}.")
        roles[name] = role  # type: ignore[assignment]
    return roles


def _with_role(column: ColumnSchema, role: Role | None, n_rows: int) -> ColumnSchema:
    if role is None:
        if column.stats.get("count", 0) == 0 and n_rows:
            role = "ignore"
        elif _looks_like_id(column, n_rows):
            role = "id"
        else:
            return column
    return column.model_copy(update={"role": role})


def _looks_like_id(column: ColumnSchema, n_rows: int) -> bool:
    stats = column.stats
    return (
        n_rows > 1
        and column.type in ("integer", "categorical", "text")
        and stats.get("n_unique") == n_rows
        and stats.get("null_count") == 0
        and _ID_NAME.fullmatch(column.name) is not None
    )


def _check_timestamp(columns: list[ColumnSchema], timestamp: str | None) -> None:
    for column in columns:
        if column.name == timestamp and column.type != "datetime":
            raise SchemaError(
                f"The timestamp column {timestamp!r} must hold datetimes (datetime64 values "
                f"or ISO 8601 strings); its values look {column.type}. Convert it with "
                "pd.to_datetime, or pin its type to datetime in the schema."
            )
