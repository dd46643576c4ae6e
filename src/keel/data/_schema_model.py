"""The schema of a data set: what each column is, as inferred from training data and as
edited by the user. It becomes the model's signature that serving enforces.

Stored as JSON beside the data snapshot. A user may edit it (pin a type, mark a column as
an id or to be ignored, declare an allowed range); loading an edited file checks every
field and names the one that is wrong.

Example:
    >>> col = ColumnSchema(name="age", type="integer", nullable=False, observed_max=90)
    >>> schema = Schema(columns=[col], row_count=100)
    >>> Schema.from_json(schema.to_json()).column("age").type
    'integer'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from keel.errors import SchemaError

__all__ = ["SCHEMA_FORMAT_VERSION", "ColumnSchema", "LogicalType", "Role", "Schema"]

SCHEMA_FORMAT_VERSION = 1

LogicalType = Literal["numeric", "integer", "boolean", "categorical", "datetime", "text"]
#: feature: a model input; target: what is predicted; id: identifies a row, not an input;
#: ignore: neither; timestamp: the event time; entity: the key of the thing a row is about.
Role = Literal["feature", "target", "id", "ignore", "timestamp", "entity"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSchema(_Model):
    """One column: its logical type, nullability, role, what was observed and what is allowed.

    ``observed_*`` and ``categories`` come from the data the schema was inferred from;
    ``allowed_*`` are limits a user declares. ``pinned`` keeps a user's type when the schema
    is inferred again.
    """

    name: str = Field(min_length=1)
    type: LogicalType
    nullable: bool = True
    role: Role = "feature"
    pinned: bool = False
    observed_min: float | str | None = None
    observed_max: float | str | None = None
    allowed_min: float | str | None = None
    allowed_max: float | str | None = None
    #: Known categories (categorical and boolean columns) with their counts.
    categories: dict[str, int] | None = None
    #: IANA name or offset of a timezone-aware datetime column; None when naive.
    timezone: str | None = None
    #: Summary statistics: count, null_count, n_unique, mean, std, min, p01, p25, p50, p75,
    #: p99, max.
    stats: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _range_is_ordered(self) -> ColumnSchema:
        low, high = self.allowed_min, self.allowed_max
        if low is not None and high is not None and type(low) is type(high) and low > high:  # type: ignore[operator]
            raise ValueError(f"allowed_min ({low}) is above allowed_max ({high})")
        return self


class Schema(_Model):
    """The columns of a data set, in order."""

    format_version: int = SCHEMA_FORMAT_VERSION
    columns: list[ColumnSchema]
    row_count: int = Field(0, ge=0)
    source: str | None = None

    @model_validator(mode="after")
    def _names_are_unique(self) -> Schema:
        seen: set[str] = set()
        for column in self.columns:
            if column.name in seen:
                raise ValueError(f"column {column.name!r} appears twice")
            seen.add(column.name)
        if self.format_version > SCHEMA_FORMAT_VERSION:
            raise ValueError(
                f"format_version {self.format_version} was written by a newer keel; this keel "
                f"reads format_version {SCHEMA_FORMAT_VERSION} at most"
            )
        return self

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise SchemaError(
            f"The schema has no column {name!r}; its columns: {', '.join(self.names)}."
        )

    def features(self) -> list[ColumnSchema]:
        """The columns a model takes as input."""
        return [c for c in self.columns if c.role == "feature"]

    def with_column(self, column: ColumnSchema) -> Schema:
        """A copy with ``column`` replacing the column of the same name."""
        self.column(column.name)
        return self.model_copy(
            update={"columns": [column if c.name == column.name else c for c in self.columns]}
        )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_defaults=False)

    @classmethod
    def from_json(cls, text: str, *, source: str = "schema JSON") -> Schema:
        """Parse and check a schema; errors name the column and field that are wrong.

        Raises:
            SchemaError: not JSON, or a field has a value that is not allowed.
        """
        try:
            return cls.model_validate_json(text)
        except PydanticValidationError as exc:
            raise SchemaError(_describe(source, text, exc)) from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Schema:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SchemaError(f"Cannot read the schema {path}: {exc.strerror or exc}.") from None
        return cls.from_json(text, source=str(path))


def _describe(source: str, text: str, exc: PydanticValidationError) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ".".join(str(part) for part in loc)
        if (
            len(loc) >= 2
            and loc[0] == "columns"
            and isinstance(loc[1], int)
            and isinstance(data, dict)
        ):
            try:
                name = data["columns"][loc[1]]["name"]
                where = f"column {name!r}" + (
                    f", field '{'.'.join(map(str, loc[2:]))}'" if loc[2:] else ""
                )
            except (KeyError, IndexError, TypeError):
                pass
        message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        problems.append(
            f"{source}: {where or 'the document'}: {message}; got {error.get('input')!r}."
        )
    return "\n".join(problems)
