"""`FsspecArtifactStore`: the artifact store behind any fsspec URL (s3://, gs://, memory://…).

fsspec is imported when such a store is opened, never by ``import keel``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from keel.errors import ArtifactError
from keel.store._artifacts import ArtifactStore, Blob, _check_digest, blob_key, is_digest

__all__ = ["FsspecArtifactStore"]

# Object stores: an object becomes visible only once its upload completes, so one
# pipe_file call is an atomic put. ("memory" sets the bytes with one dict assignment.)
_ATOMIC_PUT_PROTOCOLS = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss", "memory"}
)


class FsspecArtifactStore(ArtifactStore):
    """Blobs under any fsspec URL, as ``<url>/sha256/ab/cdef…``.

    How a put stays atomic, by backend:

    - Object stores (s3, gcs, azure, oss) and ``memory://``: a blob of at most
      `pipe_max_bytes` is written with one ``pipe_file`` call, a single upload that makes
      the object appear whole or not at all. A larger blob streams to ``<url>/tmp/`` and is
      moved into place; the move is a server-side copy, atomic at the destination.
    - File systems with a rename (``file://`` through fsspec, sftp, smb, hdfs…): every
      blob streams to ``<url>/tmp/`` and is renamed into place, which is atomic on the
      same file system. Unlike `LocalArtifactStore`, nothing is fsynced.
    - Others (ftp, webdav, http…): only as atomic as the backend's ``mv``.

    A failed put removes its temporary object. Concurrent puts of one blob are safe: each
    writes the same bytes. Reads stream through ``fs.open`` and are verified as usual.

    Args:
        url: where the store lives, such as ``s3://bucket/keel/artifacts``.
        **storage_options: passed to fsspec (credentials, endpoint, …).
    """

    pipe_max_bytes: int = 16 << 20  # holds a blob this big in memory to upload it at once

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.fs, root = _connect(url, storage_options)
        self._root = root.rstrip("/")
        protocols = self.fs.protocol
        protocols = {protocols} if isinstance(protocols, str) else set(protocols)
        self._atomic_put = bool(protocols & _ATOMIC_PUT_PROTOCOLS)
        # MemoryFileSystem.open("rb") hands every caller the same BytesIO, so threads
        # reading one blob would share its position; read a copy instead.
        self._in_memory = "memory" in protocols
        location = url
        while location.endswith("/") and not location.endswith("://"):
            location = location[:-1]
        super().__init__(location)

    def _key(self, digest: str) -> str:
        return f"{self._root}/{blob_key(digest)}"

    def exists(self, digest: str) -> bool:
        _check_digest(digest)
        return bool(self.fs.isfile(self._key(digest)))

    def _open_blob(self, digest: str) -> BinaryIO:
        if self._in_memory:
            return io.BytesIO(self.fs.cat_file(self._key(digest)))
        return self.fs.open(self._key(digest), "rb")

    def _write_blob(self, digest: str, chunks: Iterable[bytes]) -> None:
        key, pending = self._key(digest), iter(chunks)
        head: list[bytes] = []
        if self._atomic_put:
            size = 0
            for chunk in pending:
                head.append(chunk)
                size += len(chunk)
                if size > self.pipe_max_bytes:
                    break
            else:
                self.fs.pipe_file(key, b"".join(head))
                return
        self._write_via_tmp(digest, key, itertools.chain(head, pending))

    def _write_via_tmp(self, digest: str, key: str, chunks: Iterable[bytes]) -> None:
        tmp = f"{self._root}/tmp/{digest[:16]}.{os.urandom(8).hex()}.part"
        try:
            self.fs.makedirs(f"{self._root}/tmp", exist_ok=True)
            with self.fs.open(tmp, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
            self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
            self.fs.mv(tmp, key)
        except BaseException:
            with contextlib.suppress(OSError):
                self.fs.rm_file(tmp)
            raise

    def _remove_blob(self, digest: str) -> int:
        key = self._key(digest)
        try:
            size = int(self.fs.info(key).get("size") or 0)
            self.fs.rm_file(key)
        except FileNotFoundError:
            return 0
        return size

    def _list_blobs(self) -> Iterator[Blob]:
        try:
            found = self.fs.find(f"{self._root}/sha256", detail=True)
        except FileNotFoundError:
            return
        # Listing fills some backends' directory cache (s3fs); a stale one would hide blobs
        # other processes put later from exists().
        self.fs.invalidate_cache(f"{self._root}/sha256")
        for path, info in sorted(found.items()):
            parts: list[str] = ["", "", *str(path).split("/")]
            folder, name = parts[-2], parts[-1]
            digest = folder + name
            if len(folder) == 2 and is_digest(digest) and info.get("type") == "file":
                yield Blob(digest, int(info.get("size") or 0))


def _connect(url: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    import fsspec  # ~50 ms, so only when a remote store is opened

    schemes, sep, _ = url.partition("://")
    for protocol in schemes.split("::") if sep else ():
        try:
            fsspec.get_filesystem_class(protocol)
        except ValueError:
            raise ArtifactError(
                f"Cannot open the artifact store '{url}': fsspec knows no protocol "
                f"'{protocol}'. fsspec.available_protocols() lists those it knows; a "
                "third-party file system registers its own when installed."
            ) from None
        except ImportError as exc:
            raise ArtifactError(
                f"Cannot open the artifact store '{url}': the '{protocol}' protocol needs a "
                f"package that is not installed. fsspec says: {exc}"
            ) from None
    return fsspec.core.url_to_fs(url, **storage_options)
