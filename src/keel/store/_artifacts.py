"""The artifact store seam: content-addressed, immutable, verified blobs.

This module holds the seam (`ArtifactStore`, `Blob`), the rules for logical artifact names
(`check_artifact_name`, `iter_files`) and the factory (`open_artifact_store`). The local
and fsspec implementations live in `_artifacts_local.py` and `_artifacts_fsspec.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from keel.errors import ArtifactCorruptedError, ArtifactError

__all__ = [
    "CHUNK_SIZE",
    "MAX_ARTIFACT_NAME_LENGTH",
    "ArtifactStore",
    "Blob",
    "check_artifact_name",
    "iter_files",
    "open_artifact_store",
]

CHUNK_SIZE = 1 << 20  # 1 MiB: bounds memory while hashing and copying any size of file
MAX_ARTIFACT_NAME_LENGTH = 1024
_HEX_DIGITS = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Blob:
    """One stored blob: the SHA-256 hex digest of its bytes and its size in bytes."""

    digest: str
    size: int


class ArtifactStore(ABC):
    """Content-addressed storage of artifact bytes, laid out as ``sha256/ab/cdef…``.

    The contract every implementation keeps (``keel.testing.ArtifactStoreTests`` checks it):

    - A blob is addressed by the SHA-256 hex digest of its content. Blobs are immutable:
      there is no update, only put and delete.
    - Put is idempotent: storing content already present writes nothing and returns the
      same `Blob`. Put is atomic: a reader sees no blob or the whole blob, never part of
      one, even when a writer dies midway; temporary data of a failed put is removed.
    - The store is safe to use from many threads and processes at once; concurrent puts of
      the same content all succeed and leave one intact blob.
    - Every read verifies the SHA-256 of what it read and raises `ArtifactCorruptedError`
      (naming the blob's path) on a mismatch. A missing blob raises `ArtifactError`.
      A put trusts an existing blob: to repair a corrupted one, `delete` it and put again.
    - `delete` is not ordered with puts: a garbage collector must make sure, in the
      metadata store, that nothing refers to a digest before deleting it.

    An implementation calls ``super().__init__(location)`` and provides four primitives:
    `_open_blob`, `_write_blob`, `_remove_blob` and `_list_blobs`. It may override
    `exists` with a cheaper check and `_blob_path` to name blobs in its own terms. The
    public methods check digests, hash and verify; the primitives only move bytes.
    """

    def __init__(self, location: str) -> None:
        self.location = location

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    # -- primitives ---------------------------------------------------------------------

    @abstractmethod
    def _open_blob(self, digest: str) -> BinaryIO:
        """Open the blob for reading from its start; raise FileNotFoundError if absent."""

    @abstractmethod
    def _write_blob(self, digest: str, chunks: Iterable[bytes]) -> None:
        """Store the bytes `chunks` yields under `digest`, atomically.

        `chunks` may raise (the caller verifies content as it flows); then nothing may
        appear under `digest` and temporary data must be removed. Another writer may store
        the same digest at the same time: keeping either copy is fine, the bytes are equal.
        """

    @abstractmethod
    def _remove_blob(self, digest: str) -> int:
        """Delete the blob; return the bytes freed, 0 if it was absent."""

    @abstractmethod
    def _list_blobs(self) -> Iterator[Blob]:
        """Yield every stored blob (in any order); files that are not blobs are skipped."""

    def _blob_path(self, digest: str) -> str:
        """Where the blob lives, for error messages."""
        return f"{self.location.rstrip('/')}/{blob_key(digest)}"

    # -- public API ---------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> Blob:
        """Store `data`; return its `Blob`. Writes nothing if the blob is already stored."""
        data = bytes(data)
        blob = Blob(hashlib.sha256(data).hexdigest(), len(data))
        if not self.exists(blob.digest):
            self._write_blob(blob.digest, [data])
        return blob

    def put_file(self, path: str | os.PathLike[str]) -> Blob:
        """Store the content of the file at `path`, streamed in `CHUNK_SIZE` pieces.

        The file is hashed first, so a blob already stored costs one read and no write.
        It is read again while writing and checked against that hash.

        Raises:
            ArtifactError: the file changed between the two reads; nothing was stored.
        """
        with open(path, "rb") as f:
            blob = _hash_stream(f)
        if not self.exists(blob.digest):
            with open(path, "rb") as f:
                self._write_blob(blob.digest, _checked(_read_chunks(f), blob, path))
        return blob

    def exists(self, digest: str) -> bool:
        """Whether a blob with this digest is stored (its content is not verified)."""
        _check_digest(digest)
        try:
            self._open_blob(digest).close()
        except FileNotFoundError:
            return False
        return True

    def read_bytes(self, digest: str) -> bytes:
        """The blob's content, verified against its digest."""
        return b"".join(self._verified_chunks(digest))

    def copy_to(self, digest: str, dest_path: str | os.PathLike[str]) -> None:
        """Write the blob's verified content to `dest_path`, creating parent folders.

        The bytes go to a temporary file beside `dest_path` that replaces it only once the
        hash matched, so a corrupted blob leaves no partial file and an existing
        `dest_path` untouched.
        """
        chunks = self._verified_chunks(digest)
        dest = Path(dest_path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _open_temp(dest.parent, f".{dest.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def verify(self, digest: str) -> None:
        """Read the whole blob and check its hash; raise if it is missing or corrupted."""
        for _ in self._verified_chunks(digest):
            pass

    def delete(self, digest: str) -> int:
        """Delete the blob; return the bytes freed, 0 if it was not stored."""
        _check_digest(digest)
        return self._remove_blob(digest)

    def iter_blobs(self) -> Iterator[Blob]:
        """Every stored blob, for garbage collection and audits."""
        return self._list_blobs()

    def _verified_chunks(self, digest: str) -> Iterator[bytes]:
        # Opens eagerly, so a bad or missing digest fails before any output is created.
        _check_digest(digest)
        try:
            f = self._open_blob(digest)
        except FileNotFoundError:
            raise ArtifactError(
                f"No artifact blob with digest {digest} in the artifact store at "
                f"'{self.location}'. It was deleted, or the store is not the one it was "
                "logged to."
            ) from None
        return self._verify_stream(f, digest)

    def _verify_stream(self, f: BinaryIO, digest: str) -> Iterator[bytes]:
        hasher, size = hashlib.sha256(), 0
        with f:
            while chunk := f.read(CHUNK_SIZE):
                hasher.update(chunk)
                size += len(chunk)
                yield chunk
        if hasher.hexdigest() != digest:
            path = self._blob_path(digest)
            raise ArtifactCorruptedError(
                f"Artifact blob '{path}' is corrupted: its {size} bytes hash to "
                f"{hasher.hexdigest()}, not to the digest {digest} it is stored under. It "
                "was changed or truncated after it was written; delete it and log the "
                "artifact again.",
                path=path,
            )


def blob_key(digest: str) -> str:
    """The blob's path relative to the store's root: ``sha256/ab/cdef…``."""
    return f"sha256/{digest[:2]}/{digest[2:]}"


def is_digest(value: object) -> bool:
    """Whether `value` is a SHA-256 hex digest: 64 lowercase hexadecimal characters."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX_DIGITS


def _check_digest(digest: object) -> None:
    if not is_digest(digest):
        raise ArtifactError(
            f"Artifact digest {digest!r} must be a SHA-256 hex digest: 64 lowercase "
            "hexadecimal characters. It was probably truncated or copied with other text."
        )


def _read_chunks(f: BinaryIO) -> Iterator[bytes]:
    while chunk := f.read(CHUNK_SIZE):
        yield chunk


def _hash_stream(f: BinaryIO) -> Blob:
    hasher, size = hashlib.sha256(), 0
    for chunk in _read_chunks(f):
        hasher.update(chunk)
        size += len(chunk)
    return Blob(hasher.hexdigest(), size)


def _checked(chunks: Iterable[bytes], blob: Blob, source: object) -> Iterator[bytes]:
    """Pass `chunks` through; raise at the end if they do not hash to `blob`."""
    hasher, size = hashlib.sha256(), 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
        yield chunk
    if hasher.hexdigest() != blob.digest:
        raise ArtifactError(
            f"The file '{source}' changed while it was being stored as an artifact: it "
            f"hashed to {blob.digest} ({blob.size} bytes), then read as "
            f"{hasher.hexdigest()} ({size} bytes). Nothing was stored; log it again once "
            "nothing is writing to it."
        )


def _open_temp(folder: str | os.PathLike[str], prefix: str) -> tuple[int, str]:
    """Create a new file with a random name in `folder`; return its descriptor and path.

    Unlike tempfile.mkstemp (mode 0o600), the file gets the usual umask permissions.
    """
    path = os.path.join(folder, f"{prefix}{os.urandom(8).hex()}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o666), path


def _unlink_quietly(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# -- logical names --------------------------------------------------------------------


def check_artifact_name(name: str) -> str:
    """Validate a logical artifact name inside a run's namespace; return its normal form.

    The normal form is a relative POSIX path: empty and ``.`` components are dropped
    (``./plots//roc.png`` → ``plots/roc.png``). Backslashes are refused rather than
    converted: on POSIX they are ordinary file-name characters, on Windows separators, so
    either reading would surprise someone; use ``/`` (``PureWindowsPath.as_posix()``).

    Raises:
        ArtifactError: the name is empty, longer than 1024 characters, absolute, contains
            ``..``, a NUL byte or a backslash, or names no file.

    >>> check_artifact_name("./plots//roc.png")
    'plots/roc.png'
    """
    if not isinstance(name, str):
        raise ArtifactError(f"Artifact name {name!r} must be a str. Got {type(name).__name__}.")
    problem = _name_problem(name)
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if problem is None and ".." in parts:
        problem = "'..' is not allowed"
    if problem is None and not parts:
        problem = "it names no file"
    if problem is not None:
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ArtifactError(
            f"Artifact name {shown!r} must be a relative path inside the run's namespace; "
            f"{problem}."
        )
    return "/".join(parts)


def _name_problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_ARTIFACT_NAME_LENGTH:
        return f"it has {len(name)} characters, more than {MAX_ARTIFACT_NAME_LENGTH}"
    if "\x00" in name:
        return "a NUL character is not allowed"
    if "\\" in name:
        return "backslashes are not allowed, use '/' to separate folders"
    if name.startswith("/") or (name[1:2] == ":" and name[:1].isalpha()):
        return "an absolute path is not allowed"
    return None


def iter_files(folder: str | os.PathLike[str]) -> Iterator[tuple[Path, str]]:
    """Walk `folder` to log it as artifacts: yield ``(file path, relative POSIX name)``.

    Files come in sorted order, at any depth. Symbolic links are followed when they point
    inside `folder`. Nothing is skipped silently: a link pointing outside `folder`, a
    broken link, a folder link that loops, a non-regular file (socket, FIFO, device) or a
    name `check_artifact_name` refuses raises `ArtifactError`.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ArtifactError(
            f"Cannot log '{folder}' as a folder of artifacts: it is not a directory."
        )
    real_root = root.resolve()
    yield from _walk(root, "", real_root, (real_root,))


def _walk(
    folder: Path, prefix: str, real_root: Path, ancestors: tuple[Path, ...]
) -> Iterator[tuple[Path, str]]:
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path, name = Path(entry.path), prefix + entry.name
        real = path.resolve()
        if entry.is_symlink() and not real.is_relative_to(real_root):
            raise ArtifactError(
                f"Cannot log '{path}' as an artifact: it is a link to '{real}', outside the "
                f"folder '{real_root}' being logged."
            )
        if entry.is_dir():
            if real in ancestors:
                raise ArtifactError(f"Cannot log '{path}': the folder link forms a loop.")
            yield from _walk(path, name + "/", real_root, (*ancestors, real))
        elif entry.is_file():
            yield path, check_artifact_name(name)
        elif not real.exists():
            raise ArtifactError(f"Cannot log '{path}' as an artifact: it is a broken link.")
        else:
            raise ArtifactError(
                f"Cannot log '{path}' as an artifact: it is not a regular file "
                "(a socket, FIFO or device)."
            )


# -- factory --------------------------------------------------------------------------


def open_artifact_store(location: str | os.PathLike[str], **storage_options: Any) -> ArtifactStore:
    """Open the artifact store at a folder path or an fsspec URL.

    Plain paths and ``file://`` URLs open a `LocalArtifactStore`; any other URL
    (``s3://``, ``gs://``, ``memory://``, chained ``simplecache::s3://``…) opens an
    `FsspecArtifactStore`, with `storage_options` passed to fsspec.

    Raises:
        ArtifactError: the URL's protocol is unknown to fsspec or needs a package that is
            not installed, or storage options were given for a local folder.
    """
    from keel.store._artifacts_fsspec import FsspecArtifactStore
    from keel.store._artifacts_local import LocalArtifactStore

    text = os.fspath(location)
    local = _local_path(text)
    if local is None:
        return FsspecArtifactStore(text, **storage_options)
    if storage_options:
        raise ArtifactError(
            f"Storage options {sorted(storage_options)} were given for the local artifact "
            f"store '{text}'; they apply to fsspec URLs only."
        )
    return LocalArtifactStore(local)


def _local_path(location: str) -> str | None:
    """The local path `location` names, or None when it is a URL for fsspec."""
    schemes, sep, rest = location.partition("://")
    chain = schemes.split("::")
    if not sep or not all(_is_scheme(s) for s in chain):
        return location
    if len(chain) > 1 or chain[0].lower() not in ("file", "local"):
        return None
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    if rest[:1] == "/" and rest[2:3] == ":":  # file:///C:/x on Windows
        rest = rest[1:]
    if not (rest.startswith("/") or rest[1:2] == ":"):
        raise ArtifactError(
            f"The artifact store URL '{location}' must name an absolute path, as in "
            "'file:///data/artifacts'; for a relative folder give the plain path."
        )
    return rest


def _is_scheme(text: str) -> bool:
    return text[:1].isalpha() and all(c.isalnum() or c in "+-." for c in text)
