"""The model registry's SQL: versions numbered per model, aliases with append-only history.

Every function takes a connection inside the caller's transaction (``SQLStore.writing``
for changes), so a change and the checks it depends on commit together or not at all.

Concurrency, on both databases:

- A new version's number is the model's highest number plus one, read while holding the
  model's row lock; the primary key (name, version) backs that up, and the caller retries
  the whole transaction on an IntegrityError (two first registrations of one model race
  on inserting its row).
- An alias move reads the alias row with ``SELECT ... FOR UPDATE`` on PostgreSQL (SQLite's
  ``BEGIN IMMEDIATE`` already serializes writers), then updates it only at the revision it
  read. Two processes moving the same alias therefore queue: each event's
  ``from_version`` is the version that move really replaced, and none is lost.
- Pointing an alias at a version takes a share lock on that version's row; archiving or
  deleting takes an exclusive one, then looks for aliases. So "an alias points at a
  deleted version" cannot come out of any interleaving.

Versions are never removed: deleting marks the row ``deleted``, which frees its package
for garbage collection but keeps the number taken and the history meaningful.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from keel.errors import RegistryError
from keel.store._schema import alias_events, model_aliases, model_versions, registered_models

STATUSES = ("active", "archived", "deleted")


@dataclass(frozen=True)
class ModelRow:
    name: str
    description: str | None
    tags: dict[str, str]
    created_at: float
    created_by: str | None
    latest_version: int | None = None  # highest active version
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionRow:
    name: str
    version: int
    status: str
    description: str | None
    tags: dict[str, str]
    package_digest: str
    package_size: int
    manifest: dict[str, Any]
    run_id: str | None
    snapshot_id: str | None
    git_commit: str | None
    parents: list[str]
    created_at: float
    created_by: str | None
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AliasEventRow:
    seq: int
    name: str
    alias: str
    action: str  # "set" | "remove" | "rollback"
    from_version: int | None
    to_version: int | None
    revision: int
    who: str | None
    at: float
    why: str | None


@dataclass(frozen=True)
class NewVersion:
    """What registering a version records; the number is chosen by `insert_version`."""

    name: str
    package_digest: str
    package_size: int
    manifest: dict[str, Any]
    run_id: str | None = None
    snapshot_id: str | None = None
    git_commit: str | None = None
    parents: Sequence[str] = ()
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class RevisionConflict(Exception):
    """An alias row changed between our locked read and our update (a retry fixes it)."""


# -- versions --------------------------------------------------------------------------


def insert_version(conn: Connection, new: NewVersion, who: str | None, now: float) -> int:
    """Record a version under the next free number of its model (creating the model)."""
    _lock_or_create_model(conn, new.name, who, now)
    highest = select(func.max(model_versions.c.version)).where(model_versions.c.name == new.name)
    number = int(conn.execute(highest).scalar() or 0) + 1
    row = {
        "name": new.name,
        "version": number,
        "status": "active",
        "description": new.description,
        "tags_json": _dumps(dict(new.tags)),
        "package_digest": new.package_digest,
        "package_size": new.package_size,
        "manifest_json": json.dumps(new.manifest, sort_keys=True),
        "run_id": new.run_id,
        "snapshot_id": new.snapshot_id,
        "git_commit": new.git_commit,
        "parents_json": json.dumps(list(new.parents)),
        "created_at": now,
        "created_by": who,
    }
    conn.execute(insert(model_versions).values(**row))
    return number


def _lock_or_create_model(conn: Connection, name: str, who: str | None, now: float) -> None:
    table = registered_models
    stmt = select(table.c.name).where(table.c.name == name).with_for_update()
    if conn.execute(stmt).first() is None:
        # A concurrent first registration makes this raise IntegrityError: the caller retries.
        row = {"name": name, "tags_json": "{}", "created_at": now, "created_by": who}
        conn.execute(insert(table).values(**row))


def get_version(conn: Connection, name: str, version: int) -> VersionRow | None:
    found = _versions(conn, model_versions.c.name == name, model_versions.c.version == version)
    return found[0] if found else None


def latest_active(conn: Connection, name: str) -> VersionRow | None:
    table = model_versions
    highest = (
        select(func.max(table.c.version))
        .where(table.c.name == name, table.c.status == "active")
        .scalar_subquery()
    )
    found = _versions(conn, table.c.name == name, table.c.version == highest)
    return found[0] if found else None


def list_versions(conn: Connection, name: str, statuses: Sequence[str]) -> list[VersionRow]:
    table = model_versions
    return _versions(conn, table.c.name == name, table.c.status.in_(list(statuses)))


def versions_of_run(conn: Connection, run_id: str) -> list[VersionRow]:
    return _versions(conn, model_versions.c.run_id == run_id)


def _versions(conn: Connection, *where: Any) -> list[VersionRow]:
    table = model_versions
    stmt = select(table).where(*where).order_by(table.c.name, table.c.version)
    rows = conn.execute(stmt).all()
    names = {row.name for row in rows}
    pointing = _aliases_by_version(conn, names) if names else {}
    return [_version_row(row._asdict(), pointing.get((row.name, row.version), [])) for row in rows]


def _aliases_by_version(conn: Connection, names: set[str]) -> dict[tuple[str, int], list[str]]:
    table = model_aliases
    stmt = select(table.c.name, table.c.version, table.c.alias).where(table.c.name.in_(names))
    found: dict[tuple[str, int], list[str]] = {}
    for name, version, alias in conn.execute(stmt.order_by(table.c.alias)):
        found.setdefault((name, version), []).append(alias)
    return found


def _version_row(row: dict[str, Any], aliases: list[str]) -> VersionRow:
    row["tags"] = json.loads(row.pop("tags_json"))
    row["manifest"] = json.loads(row.pop("manifest_json"))
    row["parents"] = json.loads(row.pop("parents_json"))
    return VersionRow(**row, aliases=aliases)


def set_status(conn: Connection, name: str, version: int, status: str) -> None:
    """Archive, restore or delete a version; refused while an alias points at it."""
    current = _locked_status(conn, name, version, exclusive=True)
    if current == "deleted":
        raise RegistryError(
            f"Version {version} of model {name!r} was deleted; it cannot become {status!r}. "
            "Register its package again to bring it back as a new version."
        )
    if status != "active":
        _refuse_if_aliased(conn, name, version, "deleted" if status == "deleted" else "archived")
    stmt = update(model_versions).where(
        model_versions.c.name == name, model_versions.c.version == version
    )
    conn.execute(stmt.values(status=status))


def _locked_status(conn: Connection, name: str, version: int, *, exclusive: bool) -> str:
    table = model_versions
    stmt = select(table.c.status).where(table.c.name == name, table.c.version == version)
    status = conn.execute(stmt.with_for_update(read=not exclusive)).scalar()
    if status is None:
        raise RegistryError(f"Model {name!r} has no version {version}.")
    return str(status)


def _refuse_if_aliased(conn: Connection, name: str, version: int, verb: str) -> None:
    table = model_aliases
    stmt = select(table.c.alias).where(table.c.name == name, table.c.version == version)
    aliases = sorted(conn.execute(stmt).scalars())
    if aliases:
        named = ", ".join(f"{name}@{alias}" for alias in aliases)
        raise RegistryError(
            f"Version {version} of model {name!r} cannot be {verb}: {named} points at it. "
            "Move or remove the alias first."
        )


# -- models ----------------------------------------------------------------------------


def list_models(conn: Connection, name: str | None = None) -> list[ModelRow]:
    table = registered_models
    stmt = select(table).order_by(table.c.name)
    if name is not None:
        stmt = stmt.where(table.c.name == name)
    rows = conn.execute(stmt).all()
    latest = _latest_numbers(conn)
    aliases = _alias_targets(conn)
    return [
        ModelRow(
            name=row.name,
            description=row.description,
            tags=json.loads(row.tags_json),
            created_at=row.created_at,
            created_by=row.created_by,
            latest_version=latest.get(row.name),
            aliases=aliases.get(row.name, {}),
        )
        for row in rows
    ]


def _latest_numbers(conn: Connection) -> dict[str, int]:
    table = model_versions
    stmt = (
        select(table.c.name, func.max(table.c.version))
        .where(table.c.status == "active")
        .group_by(table.c.name)
    )
    return {name: int(number) for name, number in conn.execute(stmt)}


def _alias_targets(conn: Connection) -> dict[str, dict[str, int]]:
    table = model_aliases
    found: dict[str, dict[str, int]] = {}
    stmt = select(table.c.name, table.c.alias, table.c.version).order_by(table.c.alias)
    for name, alias, version in conn.execute(stmt):
        found.setdefault(name, {})[alias] = version
    return found


def update_details(
    conn: Connection,
    name: str,
    version: int | None,
    *,
    tags: Mapping[str, str | None] | None = None,
    description: str | None = None,
) -> None:
    """Merge tags (a None value removes the key) and/or set the description, of a model
    (``version`` None) or of one of its versions."""
    table = registered_models if version is None else model_versions
    where = [table.c.name == name]
    if version is not None:
        where.append(table.c.version == version)
    current = conn.execute(select(table.c.tags_json).where(*where).with_for_update()).scalar()
    if current is None:
        what = f"model {name!r}" if version is None else f"version {version} of model {name!r}"
        raise RegistryError(f"There is no {what} in this registry.")
    values: dict[str, Any] = {}
    if tags is not None:
        merged = {**json.loads(current), **tags}
        values["tags_json"] = _dumps({k: v for k, v in merged.items() if v is not None})
    if description is not None:
        values["description"] = description
    if values:
        conn.execute(update(table).where(*where).values(**values))


def package_digests(conn: Connection) -> set[str]:
    """The packages of every version not deleted: what gc must keep."""
    table = model_versions
    stmt = select(table.c.package_digest).where(table.c.status != "deleted").distinct()
    return set(conn.execute(stmt).scalars())


# -- aliases ---------------------------------------------------------------------------


def alias_target(conn: Connection, name: str, alias: str) -> int | None:
    table = model_aliases
    stmt = select(table.c.version).where(table.c.name == name, table.c.alias == alias)
    found = conn.execute(stmt).scalar()
    return None if found is None else int(found)


def move_alias(
    conn: Connection,
    name: str,
    alias: str,
    version: int,
    who: str | None,
    why: str | None,
    now: float,
    *,
    action: str = "set",
) -> AliasEventRow:
    """Point ``name@alias`` at an active ``version`` and record the move."""
    current = _locked_alias(conn, name, alias)
    status = _locked_status(conn, name, version, exclusive=False)
    if status != "active":
        raise RegistryError(
            f"{name}@{alias} cannot point at version {version}: that version is {status}"
            + (" (restore it first)." if status == "archived" else ".")
        )
    table = model_aliases
    values = {"version": version, "updated_at": now, "updated_by": who}
    if current is None:
        revision, before = _last_revision(conn, name, alias) + 1, None
        conn.execute(insert(table).values(name=name, alias=alias, revision=revision, **values))
    else:
        before, revision = current[0], current[1] + 1
        _update_alias_at(conn, name, alias, current[1], {**values, "revision": revision})
    return _record(conn, (name, alias, action), before, version, revision, who, why, now)


def remove_alias(
    conn: Connection, name: str, alias: str, who: str | None, why: str | None, now: float
) -> AliasEventRow:
    """Delete ``name@alias`` (its history stays) and record the removal."""
    from sqlalchemy import delete

    current = _locked_alias(conn, name, alias)
    if current is None:
        raise RegistryError(f"Model {name!r} has no alias {alias!r} to remove.")
    table = model_aliases
    stmt = delete(table).where(
        table.c.name == name, table.c.alias == alias, table.c.revision == current[1]
    )
    if conn.execute(stmt).rowcount != 1:
        raise RevisionConflict(f"{name}@{alias}")
    return _record(conn, (name, alias, "remove"), current[0], None, current[1] + 1, who, why, now)


def rollback_alias(
    conn: Connection, name: str, alias: str, who: str | None, why: str | None, now: float
) -> AliasEventRow:
    """Move ``name@alias`` back to the version it held before its current one."""
    current = _locked_alias(conn, name, alias)
    if current is None:
        raise RegistryError(
            f"Model {name!r} has no alias {alias!r}: there is nothing to roll back."
        )
    stack = held_versions(alias_history(conn, name, alias))
    if len(stack) < 2:
        raise RegistryError(
            f"{name}@{alias} has no previous version to roll back to: it has held only "
            f"version {current[0]} since it was last set."
        )
    target = stack[-2]
    status = _locked_status(conn, name, target, exclusive=False)
    if status != "active":
        raise RegistryError(
            f"Cannot roll back {name}@{alias} from version {current[0]} to version {target}, "
            f"the one it held before: version {target} is {status}. "
            + ("Restore it first, or " if status == "archived" else "")
            + "set the alias to another version explicitly."
        )
    return move_alias(conn, name, alias, target, who, why, now, action="rollback")


def held_versions(events: Sequence[AliasEventRow]) -> list[int]:
    """The versions an alias went through that a rollback can return to, oldest first;
    the last is the current one.

    A ``set`` adds its version (unless the alias already held it), a ``rollback`` returns
    to an earlier entry and forgets the later ones, so successive rollbacks walk further
    back (1, 2, 3, rollback: 2, rollback: 1). A ``remove`` starts the list afresh.

    Example:
        >>> ev = lambda action, to: AliasEventRow(0, "m", "a", action, None, to, 0, None, 0, None)
        >>> held_versions([ev("set", 1), ev("set", 2), ev("set", 3), ev("rollback", 2)])
        [1, 2]
    """
    stack: list[int] = []
    for event in events:
        if event.action == "remove" or event.to_version is None:
            stack.clear()
        elif event.action == "rollback":
            while stack and stack[-1] != event.to_version:
                stack.pop()
            if not stack:
                stack.append(event.to_version)
        elif not stack or stack[-1] != event.to_version:
            stack.append(event.to_version)
    return stack


def _locked_alias(conn: Connection, name: str, alias: str) -> tuple[int, int] | None:
    """(version, revision) of the alias, its row locked until the transaction ends."""
    table = model_aliases
    stmt = select(table.c.version, table.c.revision).where(
        table.c.name == name, table.c.alias == alias
    )
    row = conn.execute(stmt.with_for_update()).first()
    return None if row is None else (int(row[0]), int(row[1]))


def _last_revision(conn: Connection, name: str, alias: str) -> int:
    # A removed alias set again continues its count, so revisions never repeat.
    table = alias_events
    stmt = select(func.max(table.c.revision)).where(table.c.name == name, table.c.alias == alias)
    return int(conn.execute(stmt).scalar() or 0)


def _update_alias_at(
    conn: Connection, name: str, alias: str, revision: int, values: dict[str, Any]
) -> None:
    table = model_aliases
    stmt = update(table).where(
        table.c.name == name, table.c.alias == alias, table.c.revision == revision
    )
    if conn.execute(stmt.values(**values)).rowcount != 1:
        raise RevisionConflict(f"{name}@{alias}")


def _record(
    conn: Connection,
    key: tuple[str, str, str],
    before: int | None,
    after: int | None,
    revision: int,
    who: str | None,
    why: str | None,
    now: float,
) -> AliasEventRow:
    name, alias, action = key
    row = {
        "name": name,
        "alias": alias,
        "action": action,
        "from_version": before,
        "to_version": after,
        "revision": revision,
        "who": who,
        "at": now,
        "why": why,
    }
    key_values = conn.execute(insert(alias_events).values(**row)).inserted_primary_key
    assert key_values is not None
    return AliasEventRow(seq=int(key_values[0]), **row)  # type: ignore[arg-type]


def alias_history(conn: Connection, name: str, alias: str | None = None) -> list[AliasEventRow]:
    """Alias events of a model (of one alias when given), oldest first."""
    table = alias_events
    stmt = select(table).where(table.c.name == name).order_by(table.c.seq)
    if alias is not None:
        stmt = stmt.where(table.c.alias == alias)
    return [AliasEventRow(**row._asdict()) for row in conn.execute(stmt)]


def _dumps(tags: dict[str, str]) -> str:
    return json.dumps(tags, sort_keys=True)
