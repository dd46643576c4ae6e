"""Bring a registered package out of the artifact store into a local cache folder.

``cache_dir/<digest>/`` holds the unzipped package. The zip is verified against its
digest while it is copied out; the files inside are verified when the package is loaded
(``load_package`` checks every SHA-256 before it deserializes anything). Extraction goes
to a temporary folder that is renamed into place, so a reader never sees half a package
and two processes fetching the same version at once both end up with a whole one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from keel.errors import PackageError
from keel.models._manifest import MANIFEST
from keel.store._artifacts import ArtifactStore

__all__ = ["fetch_package"]


def fetch_package(artifacts: ArtifactStore, digest: str, cache_dir: Path) -> Path:
    """The package folder for the zip stored under ``digest``, extracted once per cache."""
    dest = Path(cache_dir) / digest
    if (dest / MANIFEST).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}.", dir=dest.parent))
    try:
        artifacts.copy_to(digest, work / "package.zip")
        _extract(work / "package.zip", work / "out")
        _move_into_place(_package_root(work / "out", digest), dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def _extract(archive: Path, out: Path) -> None:
    """Unzip, refusing members that would land outside ``out`` (absolute paths, '..')
    and links."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if info.filename.startswith("/") or ".." in parts or is_link:
                raise PackageError(
                    f"The stored package {archive.name} holds {info.filename!r}, a path "
                    "outside the package or a link; refusing to extract it.",
                    file=info.filename,
                )
        zf.extractall(out)


def _package_root(out: Path, digest: str) -> Path:
    """The folder holding the manifest: the zip's root, or its one top-level folder."""
    if (out / MANIFEST).is_file():
        return out
    entries = list(out.iterdir())
    if len(entries) == 1 and (entries[0] / MANIFEST).is_file():
        return entries[0]
    raise PackageError(
        f"The stored package {digest[:12]}… has no {MANIFEST} at its root: it is not a keel "
        "model package.",
        file=MANIFEST,
    )


def _move_into_place(root: Path, dest: Path) -> None:
    try:
        os.rename(root, dest)
    except OSError:
        # Another process put the same package there first: theirs is as good as ours.
        if not (dest / MANIFEST).is_file():
            raise
