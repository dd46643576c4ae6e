"""What the registry returns: registered models, versions and alias events, as plain
immutable records built from the store's rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keel.store._sql_registry import AliasEventRow, ModelRow, VersionRow

__all__ = ["AliasEvent", "ModelVersion", "RegisteredModel"]


@dataclass(frozen=True)
class RegisteredModel:
    """A registered model: its details, its latest active version and its aliases."""

    name: str
    description: str | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    latest_version: int | None
    aliases: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: ModelRow) -> RegisteredModel:
        return cls(**vars(row))


@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model.

    ``status`` is ``active``, ``archived`` or ``deleted``; ``package_digest`` is the
    SHA-256 of the package zip in the artifact store; ``parents`` are references
    ("name/3") of the versions it was retrained from; ``created_at`` is in seconds since
    the epoch; ``aliases`` are the aliases pointing at it now.
    """

    name: str
    version: int
    status: str
    description: str | None
    tags: dict[str, str]
    package_digest: str
    manifest: dict[str, Any]
    run_id: str | None
    snapshot_id: str | None
    git_commit: str | None
    parents: list[str]
    created_at: float
    created_by: str | None
    aliases: list[str] = field(default_factory=list)
    package_size: int = 0

    @property
    def ref(self) -> str:
        """The reference that names this version for good: ``name/version``."""
        return f"{self.name}/{self.version}"

    @classmethod
    def from_row(cls, row: VersionRow) -> ModelVersion:
        return cls(**vars(row))


@dataclass(frozen=True)
class AliasEvent:
    """One change of an alias: ``set``, ``remove`` or ``rollback``, from which version to
    which (None where there was none), who made it, when (seconds since the epoch) and
    why. ``seq`` orders events; ``revision`` counts the alias's changes."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    who: str | None
    at: float
    why: str | None
    action: str
    seq: int = 0
    revision: int = 0

    @classmethod
    def from_row(cls, row: AliasEventRow) -> AliasEvent:
        return cls(**vars(row))
