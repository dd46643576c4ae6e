"""Registering a package: zip it (when given a folder), verify the zip, store it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keel.errors import PackageError
from keel.store._artifacts import ArtifactStore, Blob

__all__ = ["stored_package"]


def stored_package(
    package: Path, artifacts: ArtifactStore, work: Path
) -> tuple[dict[str, Any], Blob]:
    """Zip ``package`` (a folder or a .zip) into ``work``, verify every file's SHA-256 in
    the zip, and store the zip content-addressed; return its manifest and blob.

    The zip is what gets verified and stored, so a folder changing meanwhile cannot slip
    an unverified file into the registry.
    """
    from keel.models._package import zip_package
    from keel.models._package_read import read_verified

    if not package.exists():
        raise PackageError(f"There is no model package at {package} (expected a folder or a .zip).")
    archive = package if package.is_file() else zip_package(package, work / "package.zip")
    manifest, _ = read_verified(archive)  # what load_package checks, without extracting
    return dict(manifest), artifacts.put_file(archive)
