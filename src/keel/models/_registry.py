"""The model registry: numbered versions of named models, aliases with their full history,
rollback, lineage, and the packages themselves in the artifact store.

Semantics, on SQLite and PostgreSQL alike:

- Versions number 1, 2, 3… per model, safely under concurrent registration; a number is
  never reused (deleting marks a version ``deleted``; its package becomes garbage).
- ``name`` resolves to the highest active version, ``name/3`` to that version (archived
  ones too, for inspection), ``name@alias`` to where the alias points now.
- An alias points only at an active version. Every change is an append-only event with
  who (the ``user`` argument, else ``$KEEL_USER``, else the login name), when, from, to
  and why. Moves are serialized per alias (a row lock), so concurrent moves from several
  processes are all recorded, each with the version it really replaced.
- ``rollback`` moves an alias to the version it held before the current one, and
  successive rollbacks keep walking back (1, 2, 3 → 2 → 1); removing an alias starts its
  rollback history afresh.
- A version an alias points at can be neither archived nor deleted.

Example:
    >>> from keel.store import SQLStore
    >>> from keel.store._artifacts import open_artifact_store
    >>> import tempfile
    >>> store = SQLStore("sqlite://"); store.open()
    >>> registry = Registry(store, open_artifact_store(tempfile.mkdtemp()), user="ana")
    >>> registry.list_models()
    []
"""

from __future__ import annotations

import getpass
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from keel.errors import RegistryError
from keel.models._lineage import Lineage, trace
from keel.models._refs import ModelRef, check_alias, check_model_name, parse_ref
from keel.models._registry_fetch import fetch_package
from keel.models._registry_records import AliasEvent, ModelVersion, RegisteredModel
from keel.store import SQLStore
from keel.store._artifacts import ArtifactStore
from keel.store._sql_registry import NewVersion

__all__ = ["AliasEvent", "Lineage", "ModelVersion", "RegisteredModel", "Registry"]


class Registry:
    """Registered models, their versions and aliases, over a metadata store and an
    artifact store (which holds each package as a content-addressed zip).

    Args:
        store: the metadata store (opened).
        artifacts: where package zips go.
        user: who the changes are recorded as; default ``$KEEL_USER``, else the login name.
    """

    def __init__(self, store: SQLStore, artifacts: ArtifactStore, *, user: str | None = None):
        self.store = store
        self.artifacts = artifacts
        self.user = user

    @property
    def who(self) -> str:
        """The name changes are recorded under."""
        if self.user:
            return self.user
        try:
            return os.environ.get("KEEL_USER") or getpass.getuser()
        except (OSError, KeyError):  # no login name in some containers
            return "unknown"

    # -- versions ----------------------------------------------------------------------

    def register(
        self,
        name: str,
        package: Path | str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        parents: Iterable[str] = (),
        alias: str | None = None,
        why: str | None = None,
    ) -> ModelVersion:
        """Verify a package (folder or .zip), store its zip and record it as the next
        version of ``name``; point ``alias`` at it in the same transaction when given.

        The run, data snapshot, commit and parents come from the manifest's ``lineage``;
        ``parents`` adds to those (each must resolve in this registry).

        Raises:
            PackageError: the package is malformed or a file fails its SHA-256.
            RegistryError: a bad name or alias, or a parent that does not resolve.
        """
        from keel.models._registry_package import stored_package

        check_model_name(name)
        if alias is not None:
            check_alias(alias)
        given = [self.resolve(ref).ref for ref in parents]
        with tempfile.TemporaryDirectory(prefix="keel-register-") as work:
            manifest, blob = stored_package(Path(package), self.artifacts, Path(work))
        lineage = manifest.get("lineage") or {}
        new = NewVersion(
            name=name,
            package_digest=blob.digest,
            package_size=blob.size,
            manifest=manifest,
            run_id=lineage.get("run_id"),
            snapshot_id=lineage.get("snapshot_id"),
            git_commit=lineage.get("git_commit"),
            parents=_unique([*map(self._pinned, lineage.get("parents") or []), *given]),
            description=description,
            tags=dict(tags or {}),
        )
        row = self.store.register_model_version(new, who=self.who, alias=alias, why=why)
        return ModelVersion.from_row(row)

    def resolve(self, ref: str | ModelRef) -> ModelVersion:
        """The version a reference names: ``name``, ``name/3`` or ``name@alias``.

        Raises:
            RegistryError: a malformed reference, or no such model, version or alias.
        """
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        if parsed.alias is not None:
            number = self.store.model_alias(parsed.name, parsed.alias)
            if number is None:
                raise self._no_alias(parsed.name, parsed.alias)
            return self._version(parsed.name, number)
        if parsed.version is not None:
            return self._version(parsed.name, parsed.version)
        latest = self.store.latest_model_version(parsed.name)
        if latest is None:
            self.model(parsed.name)  # raises for an unknown model
            raise RegistryError(
                f"Model {parsed.name!r} has no active version (all are archived or deleted); "
                f"name one as '{parsed.name}/N'."
            )
        return ModelVersion.from_row(latest)

    def _version(self, name: str, version: int) -> ModelVersion:
        row = self.store.model_version(name, version)
        if row is None:
            known = [v.version for v in self.store.model_versions(name)]
            if not known:
                self.model(name)
            raise RegistryError(
                f"Model {name!r} has no version {version} (its versions: {_numbers(known)})."
            )
        if row.status == "deleted":
            raise RegistryError(f"Version {version} of model {name!r} was deleted.")
        return ModelVersion.from_row(row)

    def _pinned(self, ref: str) -> str:
        """A manifest's parent as ``name/N`` when it resolves here, else as written."""
        try:
            return self.resolve(ref).ref
        except RegistryError:
            return ref

    def model(self, name: str) -> RegisteredModel:
        """One registered model.

        Raises:
            RegistryError: no model of that name.
        """
        found = self.store.registered_models(name)
        if not found:
            raise RegistryError(
                f"No model named {name!r} in this registry ('keel models list' shows them)."
            )
        return RegisteredModel.from_row(found[0])

    def list_models(self) -> list[RegisteredModel]:
        """Every registered model, by name."""
        return [RegisteredModel.from_row(row) for row in self.store.registered_models()]

    def versions(self, name: str, *, include_deleted: bool = False) -> list[ModelVersion]:
        """The versions of a model, oldest first: active and archived (and deleted ones)."""
        self.model(name)
        statuses = ("active", "archived", "deleted") if include_deleted else ("active", "archived")
        return [ModelVersion.from_row(row) for row in self.store.model_versions(name, statuses)]

    def archive(self, name: str, version: int) -> None:
        """Mark a version archived: kept, resolvable as ``name/N``, never ``name``'s latest.

        Raises:
            RegistryError: an alias points at it (the message names it), or no such version.
        """
        self.store.set_model_version_status(name, version, "archived")

    def restore(self, name: str, version: int) -> None:
        """Make an archived version active again (a deleted one cannot come back)."""
        self.store.set_model_version_status(name, version, "active")

    def delete(self, name: str, version: int) -> None:
        """Mark a version deleted: its number stays taken and its history stays; its
        package is no longer kept by garbage collection.

        Raises:
            RegistryError: an alias points at it (the message names it), or no such version.
        """
        self.store.set_model_version_status(name, version, "deleted")

    def set_tags(
        self, name: str, tags: Mapping[str, str | None], *, version: int | None = None
    ) -> None:
        """Merge tags into a model (or one of its versions); a None value removes a tag."""
        self.store.update_model_details(name, version, tags=dict(tags))

    def set_description(self, name: str, description: str, *, version: int | None = None) -> None:
        """Set the description of a model (or of one of its versions)."""
        self.store.update_model_details(name, version, description=description)

    # -- aliases -----------------------------------------------------------------------

    def set_alias(
        self, name: str, alias: str, version: int, *, why: str | None = None
    ) -> AliasEvent:
        """Point ``name@alias`` at an active version and record the move.

        Raises:
            RegistryError: a bad alias name, or the version is missing, archived or deleted.
        """
        check_alias(alias)
        self._version(name, version)
        event = self.store.move_model_alias(name, alias, version, who=self.who, why=why)
        return AliasEvent.from_row(event)

    def remove_alias(self, name: str, alias: str, *, why: str | None = None) -> AliasEvent:
        """Remove ``name@alias``; its history stays."""
        event = self.store.remove_model_alias(name, alias, who=self.who, why=why)
        return AliasEvent.from_row(event)

    def rollback(self, name: str, alias: str = "champion", *, why: str | None = None) -> AliasEvent:
        """Move ``name@alias`` back to the version it held before the current one, in one
        transaction; again, to the one before that.

        Raises:
            RegistryError: the alias is not set, or it held no other version before.
        """
        event = self.store.rollback_model_alias(name, alias, who=self.who, why=why)
        return AliasEvent.from_row(event)

    def history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every alias change of a model (or of one alias), oldest first."""
        self.model(name)
        return [AliasEvent.from_row(row) for row in self.store.model_alias_history(name, alias)]

    def _no_alias(self, name: str, alias: str) -> RegistryError:
        aliases = sorted(self.model(name).aliases)
        return RegistryError(
            f"Model {name!r} has no alias {alias!r} "
            f"(its aliases: {', '.join(aliases) if aliases else 'none'})."
        )

    # -- lineage and packages ----------------------------------------------------------

    def lineage(self, ref: str | ModelRef) -> Lineage:
        """Where a version came from: run, data snapshot, commit, and its parent versions'
        lineage, recursively."""
        return trace(self.resolve(ref), self._find, self.store.run_inputs)

    def _find(self, ref: str) -> ModelVersion | None:
        try:
            return self.resolve(ref)
        except RegistryError:
            return None

    def fetch(self, ref: str | ModelRef, cache_dir: Path | str) -> Path:
        """The package folder of a version, extracted under ``cache_dir/<digest>/``; load it
        with ``load_package``, which verifies every file's hash.

        Raises:
            ArtifactCorruptedError: the stored zip no longer matches its digest.
        """
        version = self.resolve(ref)
        return fetch_package(self.artifacts, version.package_digest, Path(cache_dir))


def _unique(refs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(refs))


def _numbers(known: list[int]) -> str:
    if not known:
        return "none"
    return ", ".join(map(str, known)) if len(known) <= 8 else f"{known[0]}…{known[-1]}"
