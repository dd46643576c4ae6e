"""Lineage: where a version came from — its run, data snapshot and code commit — and,
recursively, the versions it was retrained from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from keel.models._registry_records import ModelVersion

__all__ = ["Lineage", "trace"]


@dataclass(frozen=True)
class Lineage:
    """The lineage of one version.

    ``packages`` are the library versions that trained it (from its manifest);
    ``run_inputs`` the data snapshots its run recorded, by role; ``parents`` the lineage
    of each parent version; ``unresolved_parents`` the parent references this registry
    cannot resolve (recorded by a package built elsewhere, or deleted since).
    """

    version: ModelVersion
    run_id: str | None
    snapshot_id: str | None
    git_commit: str | None
    packages: dict[str, str] = field(default_factory=dict)
    run_inputs: dict[str, list[str]] = field(default_factory=dict)
    parents: list[Lineage] = field(default_factory=list)
    unresolved_parents: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return self.version.ref


def trace(
    version: ModelVersion,
    find: Callable[[str], ModelVersion | None],
    run_inputs: Callable[[str], dict[str, list[str]]],
    _seen: frozenset[str] = frozenset(),
) -> Lineage:
    """Follow ``version``'s parents through ``find`` (a reference to a version, or None);
    a reference already on the path is not followed again, so a cycle cannot loop."""
    seen = _seen | {version.ref}
    parents, unresolved = [], []
    for ref in version.parents:
        parent = find(ref)
        if parent is None:
            unresolved.append(ref)
        elif parent.ref not in seen:
            parents.append(trace(parent, find, run_inputs, seen))
    lineage = version.manifest.get("lineage") or {}
    return Lineage(
        version=version,
        run_id=version.run_id,
        snapshot_id=version.snapshot_id,
        git_commit=version.git_commit,
        packages=dict(lineage.get("packages") or {}),
        run_inputs=run_inputs(version.run_id) if version.run_id else {},
        parents=parents,
        unresolved_parents=unresolved,
    )
