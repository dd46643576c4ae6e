"""The package manifest (``keel-model.json``): its constants, and the checks a manifest must
pass before any file it lists is trusted.

`check_version` is all `read_manifest` needs (is this a keel package this keel can read);
`check_manifest` is what loading needs: every listed file has a name keel knows and a
SHA-256, and every file the manifest refers to is listed.

Example:
    >>> check_version({"format": "keel-model", "format_version": 1}, source="pkg")["format"]
    'keel-model'
    >>> is_known_file("members/0.lgb.txt"), is_known_file("../etc/passwd")
    (True, False)
"""

from __future__ import annotations

import re
from typing import Any

from keel.errors import PackageError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "check_manifest",
    "check_version",
    "is_known_file",
    "referenced_files",
]

FORMAT = "keel-model"
#: The package format this keel writes and the newest it reads.
FORMAT_VERSION = 1
MANIFEST = "keel-model.json"

_KNOWN_FILE = re.compile(
    r"(schema\.json|features\.keelfp|ensemble\.json|model\.onnx|model\.int8\.onnx"
    r"|profile\.json|card\.md|requirements\.txt"
    r"|members/(?:[0-9]+\.(?:lgb\.txt|xgb\.json|skops|cbm)|stacker\.skops)"
    r"|compiled/[0-9]+\.(?:so|dylib|dll))"
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = ("task", "input_schema", "members", "ensemble", "files")


def is_known_file(name: str) -> bool:
    """Whether ``name`` is a file a package of this format may hold."""
    return _KNOWN_FILE.fullmatch(name) is not None


def check_version(manifest: Any, *, source: str) -> dict[str, Any]:
    """``manifest`` if it is a keel package manifest of a format this keel reads.

    Raises:
        PackageError: not a keel manifest, or a newer format (the message names the keel
            version that wrote it, which is the one needed to read it).
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageError(
            f"{source} is not a keel model package: {MANIFEST} must hold a JSON object with "
            f'"format": "{FORMAT}".',
            file=MANIFEST,
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PackageError(
            f"{source}: format_version in {MANIFEST} must be an integer >= 1. "
            f"Got {version!r} instead.",
            file=MANIFEST,
        )
    if version > FORMAT_VERSION:
        raise PackageError(
            _newer_message(source, version, manifest.get("keel_version")), file=MANIFEST
        )
    return manifest


def check_manifest(manifest: dict[str, Any], *, source: str) -> dict[str, Any]:
    """``manifest`` after `check_version` and a check of its file list.

    Raises:
        PackageError: a required key is missing, a listed file has an unknown name or a
            malformed digest, or a file the manifest refers to is not listed.
    """
    check_version(manifest, source=source)
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise PackageError(f"{source}: {MANIFEST} lacks the keys {missing}.", file=MANIFEST)
    files = manifest["files"]
    if not isinstance(files, dict):
        raise PackageError(f"{source}: 'files' in {MANIFEST} must be an object.", file=MANIFEST)
    for name, digest in files.items():
        if not is_known_file(name):
            raise PackageError(
                f"{source}: {MANIFEST} lists {name!r}, which is not a file of the keel "
                "package format; the package was altered or written by another tool.",
                file=name,
            )
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise PackageError(
                f"{source}: the SHA-256 of {name} in {MANIFEST} must be 64 hex digits. "
                f"Got {digest!r} instead.",
                file=name,
            )
    for name in referenced_files(manifest):
        if name not in files:
            raise PackageError(
                f"{source}: {MANIFEST} refers to {name} but does not list it in 'files'.",
                file=name,
            )
    return manifest


def referenced_files(manifest: dict[str, Any]) -> list[str]:
    """Every file the manifest names outside 'files' (schema, members, graphs...)."""
    names = [manifest.get(key) for key in ("input_schema", "features", "ensemble")]
    names += [manifest.get(key) for key in ("profile", "card", "requirements")]
    members = manifest.get("members")
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise PackageError(f"'members' in {MANIFEST} must be a list of objects.", file=MANIFEST)
    names += [member.get("file") for member in members]
    for key in ("onnx", "quantized"):
        record = manifest.get(key)
        if isinstance(record, dict):
            names.append(record.get("file"))
    compiled = manifest.get("compiled")
    if isinstance(compiled, dict) and isinstance(compiled.get("members"), list):
        names += [m.get("file") for m in compiled["members"] if isinstance(m, dict)]
    return [name for name in names if name is not None]


def _newer_message(source: str, version: int, writer: Any) -> str:
    from keel import __version__

    written_by = f" by keel {writer}" if isinstance(writer, str) else ""
    upgrade = f"pip install -U 'keel>={writer}'" if isinstance(writer, str) else "upgrade keel"
    return (
        f"{source} was written in keel package format {version}{written_by}; this keel "
        f"({__version__}) reads format {FORMAT_VERSION} at most. To load it: {upgrade}."
    )
