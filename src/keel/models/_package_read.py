"""Reading a package folder or zip: the manifest, then every file it lists, each checked
against its SHA-256 before anything is deserialized.

A package must hold exactly the files its manifest lists: a missing file, a file the
manifest does not list, a link, or a name outside the package format is refused with the
name of the file. What comes back are the verified bytes; nothing is read twice, so what
was verified is what gets deserialized.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "keel-model.json").write_text('{"format": "keel-model", "format_version": 9}')
    >>> try:
    ...     read_manifest(folder)
    ... except Exception as exc:
    ...     print(type(exc).__name__, exc.file)
    PackageError keel-model.json
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

from keel.errors import PackageError
from keel.models._manifest import MANIFEST, check_manifest, check_version

__all__ = ["read_manifest", "read_verified"]


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of the package folder or ``.zip`` at ``path``, checked to be a keel
    package of a format this keel reads (its files are not read or verified).

    Raises:
        PackageError: no manifest, not JSON, not a keel package, or a newer format.
    """
    path = Path(path)
    if path.is_dir():
        data = _folder_file(path, MANIFEST)
    else:
        with _open_zip(path) as archive:
            data = _zip_member(archive, MANIFEST, path)
    return check_version(_parse(data, path), source=str(path))


def read_verified(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest, {file: bytes}) of the package at ``path``, every file verified.

    Raises:
        PackageError: as `read_manifest`; or a file missing, unlisted, unknown, truncated or
            altered (its SHA-256 differs), with ``.file`` naming it.
    """
    path = Path(path)
    if path.is_dir():
        manifest = check_manifest(_parse(_folder_file(path, MANIFEST), path), source=str(path))
        present = _folder_names(path)
        _check_names(path, manifest, present)
        files = {name: _folder_file(path, name) for name in manifest["files"]}
    else:
        manifest, files = _read_zip(path)
    for name, data in files.items():
        _verify(path, name, data, manifest["files"][name])
    return manifest, files


def _read_zip(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    with _open_zip(path) as archive:
        manifest = _parse(_zip_member(archive, MANIFEST, path), path)
        manifest = check_manifest(manifest, source=str(path))
        names = archive.namelist()
        if len(names) != len(set(names)):
            raise PackageError(f"{path} holds the same file twice; it was altered.")
        _check_names(path, manifest, set(names) - {MANIFEST})
        files = {name: _zip_member(archive, name, path) for name in manifest["files"]}
    return manifest, files


def _check_names(path: Path, manifest: dict[str, Any], present: set[str]) -> None:
    listed = set(manifest["files"])
    missing, unlisted = sorted(listed - present), sorted(present - listed)
    if missing:
        raise PackageError(
            f"{path} lacks {missing[0]}, which its manifest lists; the package is incomplete.",
            file=missing[0],
        )
    if unlisted:
        raise PackageError(
            f"{path} holds {unlisted[0]}, which its manifest does not list; the package was "
            "altered after it was written.",
            file=unlisted[0],
        )


def _verify(path: Path, name: str, data: bytes, expected: str) -> None:
    if hashlib.sha256(data).hexdigest() != expected:
        raise PackageError(
            f"{path}: {name} does not match the SHA-256 in its manifest; it was altered or "
            "truncated after the package was written. Nothing was loaded.",
            file=name,
        )


def _parse(data: bytes, path: Path) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{path}: {MANIFEST} is not valid JSON: {exc}.", file=MANIFEST) from None


def _folder_names(root: Path) -> set[str]:
    """Every entry under ``root`` but the manifest, as package names ("members/0.skops");
    links are refused: a package holds plain files only."""
    names: set[str] = set()
    for folder, dirs, files in os.walk(root):
        for entry in [*dirs, *files]:
            full = Path(folder) / entry
            name = full.relative_to(root).as_posix()
            if full.is_symlink():
                raise PackageError(
                    f"{root}: {name} is a link; a package holds plain files.", file=name
                )
            if entry in files:
                names.add(name)
    return names - {MANIFEST}


def _folder_file(root: Path, name: str) -> bytes:
    try:
        return (root / name).read_bytes()
    except FileNotFoundError:
        if name == MANIFEST:
            message = f"{root} is not a keel model package: it has no {MANIFEST}."
        else:
            message = f"{root} lacks {name}, which its manifest lists."
        raise PackageError(message, file=name) from None
    except OSError as exc:
        raise PackageError(f"Cannot read {name} in {root}: {exc.strerror}.", file=name) from None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise PackageError(f"No package at {path}.") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(
            f"{path} is not a complete zip file ({exc}); it was truncated or is not a package.",
            file=path.name,
        ) from None


def _zip_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise PackageError(f"{path} lacks {name}.", file=name) from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        # A cut or altered member fails its CRC (BadZipFile) or its deflate stream (zlib).
        raise PackageError(
            f"{path}: {name} cannot be read ({exc}); it is truncated.", file=name
        ) from None
