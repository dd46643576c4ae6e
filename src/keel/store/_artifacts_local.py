"""`LocalArtifactStore`: the artifact store in a local folder, safe across processes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from keel.store._artifacts import (
    ArtifactStore,
    Blob,
    _check_digest,
    _open_temp,
    _unlink_quietly,
    blob_key,
    is_digest,
)

__all__ = ["LocalArtifactStore"]


class LocalArtifactStore(ArtifactStore):
    """Blobs in a local folder: ``<root>/sha256/ab/cdef…``, read-only (0o444) once written.

    A put writes to a new file in ``<root>/tmp/``, fsyncs it, renames it into place with
    `os.replace` and fsyncs the folder, so a blob is either absent or whole and complete
    on disk, even after a crash. Concurrent writers of one blob each rename their own
    file; the rename is atomic and the bytes are equal, so whichever lands last is kept.
    ``tmp/`` must be on the same file system as ``sha256/``, which it is under one root.
    A writer killed midway can leave a ``*.part`` file in ``tmp/``; it is never read and
    may be deleted once no put is running.

    Nothing is created until the first put.

    >>> import tempfile
    >>> store = LocalArtifactStore(tempfile.mkdtemp())
    >>> blob = store.put_bytes(b"hello")
    >>> store.read_bytes(blob.digest)
    b'hello'
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        super().__init__(str(self.root))

    def _path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def _blob_path(self, digest: str) -> str:
        return str(self._path(digest))

    def exists(self, digest: str) -> bool:
        _check_digest(digest)
        return self._path(digest).is_file()

    def _open_blob(self, digest: str) -> BinaryIO:
        return open(self._path(digest), "rb")

    def _write_blob(self, digest: str, chunks: Iterable[bytes]) -> None:
        final = self._path(digest)
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = _open_temp(tmp_dir, f"{digest[:16]}.")
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o444)
            _make_dir(final.parent)
            _replace(tmp, final)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        _fsync_dir(final.parent)

    def _remove_blob(self, digest: str) -> int:
        path = self._path(digest)
        try:
            size = path.stat().st_size
            try:
                path.unlink()
            except PermissionError:  # Windows refuses to delete a read-only file
                os.chmod(path, 0o644)
                path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def _list_blobs(self) -> Iterator[Blob]:
        try:
            folders = sorted(os.scandir(self.root / "sha256"), key=lambda e: e.name)
        except FileNotFoundError:
            return
        for folder in folders:
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
                digest = folder.name + entry.name
                if is_digest(digest) and entry.is_file():
                    try:
                        yield Blob(digest, entry.stat().st_size)
                    except FileNotFoundError:  # deleted while we listed
                        continue


def _make_dir(path: Path) -> None:
    """Create `path` (one level below an existing or creatable parent), durably."""
    try:
        path.mkdir()
    except FileExistsError:
        return
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(exist_ok=True)
    _fsync_dir(path.parent)


def _replace(tmp: str, final: Path) -> None:
    try:
        os.replace(tmp, final)
    except PermissionError:
        # Windows cannot replace a read-only or open file; if another writer already put
        # the blob there, it has the same bytes and this copy is not needed.
        if not final.is_file():
            raise
        _unlink_quietly(tmp)


def _fsync_dir(path: Path) -> None:
    """Make a rename or new entry in `path` durable (POSIX; Windows cannot open folders)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
