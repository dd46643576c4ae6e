"""Verified pickles: one file, a JSON header with a format version and the SHA-256 of the
payload, then the pickle. Loading checks the header and the digest before anything is
unpickled, so a truncated or altered file is refused before it can run code.

Used for fitted objects (feature pipelines, trained models) until the model package
(issue on packaging) gives them a safer native format.

Example:
    >>> data = dumps_verified({"a": 1}, kind="keel-example", format_version=1)
    >>> loads_verified(data, kind="keel-example", format_version=1)
    {'a': 1}
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

__all__ = [
    "VerificationError",
    "dumps_verified",
    "loads_verified",
    "read_header",
    "write_atomically",
]


class VerificationError(ValueError):
    """The bytes are not a verified pickle of the expected kind, or fail their digest."""


def dumps_verified(obj: Any, *, kind: str, format_version: int, **versions: str) -> bytes:
    """``obj`` as header line + pickle; ``versions`` (library versions) go in the header."""
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "magic": kind,
        "format_version": format_version,
        "sha256": hashlib.sha256(payload).hexdigest(),
        **versions,
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def read_header(data: bytes, *, kind: str, source: str) -> tuple[dict[str, Any], bytes]:
    head, _, payload = data.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("magic") != kind:
        raise VerificationError(f"{source} is not a {kind} file (no {kind} header found).")
    return header, payload


def loads_verified(data: bytes, *, kind: str, format_version: int, source: str = "the file") -> Any:
    """Check and unpickle bytes made by ``dumps_verified``.

    Raises:
        VerificationError: wrong kind, a newer format, or content that fails its SHA-256.
    """
    header, payload = read_header(data, kind=kind, source=source)
    found = header.get("format_version")
    if not isinstance(found, int) or found > format_version:
        raise VerificationError(
            f"{source} was written in {kind} format {found}; this keel reads up to format "
            f"{format_version}. Upgrade keel to load it."
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise VerificationError(
            f"{source} is corrupted or was altered: its content does not match the SHA-256 in "
            "its header. Refit or restore it."
        )
    return pickle.loads(payload)  # verified against the header's digest above


def write_atomically(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write ``data`` to ``path`` so that a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
