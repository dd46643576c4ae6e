"""Conformance tests for `ArtifactStore` implementations, for plugin authors.

Subclass `ArtifactStoreTests` in a test module and give it an ``artifact_store`` fixture
that returns a new, empty store; pytest collects and runs every check::

    import pytest
    from keel.testing import ArtifactStoreTests

    class TestMyStore(ArtifactStoreTests):
        @pytest.fixture
        def artifact_store(self, tmp_path):
            return MyStore(tmp_path)

keel's own stores pass these tests. Override `tamper` to enable the corruption checks
and `temp_files` to check that failed and successful puts leave no temporary files.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from keel.errors import ArtifactCorruptedError, ArtifactError
from keel.store._artifacts import CHUNK_SIZE, ArtifactStore, Blob

__all__ = ["ArtifactStoreTests"]

_BAD_DIGESTS = [
    "",
    "abc",
    "0" * 63,
    "0" * 65,
    "A" * 64,
    "g" * 64,
    "../" + "0" * 61,
    " " + "0" * 63,
    None,
    123,
]


def _payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStoreTests:
    """Checks the contract in `ArtifactStore`'s docstring against one implementation."""

    @pytest.fixture
    def artifact_store(self) -> ArtifactStore:
        """A new, empty store. Subclasses must override this fixture."""
        raise NotImplementedError("Subclasses of ArtifactStoreTests define artifact_store.")

    @pytest.fixture
    def out_dir(self, tmp_path: Path) -> Path:
        """An empty folder for copies out of the store, apart from the store's own files."""
        folder = tmp_path / "kit-out"
        folder.mkdir()
        return folder

    def tamper(self, store: ArtifactStore, digest: str, data: bytes) -> None:
        """Replace a stored blob's bytes with `data` behind the store's back.

        Override to enable the corruption tests; by default they are skipped.
        """
        pytest.skip(f"{type(self).__name__} does not define tamper()")

    def temp_files(self, store: ArtifactStore) -> list[str]:
        """Temporary files the store holds now. Override to check that puts clean up."""
        return []

    # -- round trips ---------------------------------------------------------------------

    def test_put_bytes_round_trip(self, artifact_store: ArtifactStore) -> None:
        data = b"hello, keel"
        blob = artifact_store.put_bytes(data)
        assert blob == Blob(_sha256(data), len(data))
        assert artifact_store.exists(blob.digest)
        assert artifact_store.read_bytes(blob.digest) == data
        artifact_store.verify(blob.digest)
        assert self.temp_files(artifact_store) == []

    def test_empty_blob(self, artifact_store: ArtifactStore) -> None:
        blob = artifact_store.put_bytes(b"")
        assert blob == Blob(_sha256(b""), 0)
        assert artifact_store.read_bytes(blob.digest) == b""

    def test_put_file_streams_many_chunks(
        self, artifact_store: ArtifactStore, tmp_path: Path
    ) -> None:
        data = _payload(2 * CHUNK_SIZE + 123)
        source = tmp_path / "source.bin"
        source.write_bytes(data)
        blob = artifact_store.put_file(source)
        assert blob == Blob(_sha256(data), len(data))
        assert artifact_store.read_bytes(blob.digest) == data
        assert artifact_store.put_bytes(data) == blob
        assert self.temp_files(artifact_store) == []

    def test_copy_to(self, artifact_store: ArtifactStore, out_dir: Path) -> None:
        data = _payload(3000)
        blob = artifact_store.put_bytes(data)
        dest = out_dir / "new" / "folder" / "out.bin"
        artifact_store.copy_to(blob.digest, dest)
        assert dest.read_bytes() == data
        dest.write_bytes(b"old content")
        artifact_store.copy_to(blob.digest, str(dest))
        assert dest.read_bytes() == data
        assert sorted(p.name for p in dest.parent.iterdir()) == ["out.bin"]

    # -- deduplication -------------------------------------------------------------------

    def test_second_put_writes_nothing(
        self, artifact_store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        writes = _count_writes(artifact_store, monkeypatch)
        first = artifact_store.put_bytes(b"same")
        source = tmp_path / "same.txt"
        source.write_bytes(b"same")
        assert artifact_store.put_bytes(b"same") == first
        assert artifact_store.put_file(source) == first
        assert len(writes) == 1
        assert list(artifact_store.iter_blobs()) == [first]

    # -- missing and malformed digests ----------------------------------------------------

    def test_missing_digest(self, artifact_store: ArtifactStore, out_dir: Path) -> None:
        digest = _sha256(b"never stored")
        assert not artifact_store.exists(digest)
        assert artifact_store.delete(digest) == 0
        dest = out_dir / "out.bin"
        for call in (
            lambda: artifact_store.read_bytes(digest),
            lambda: artifact_store.verify(digest),
            lambda: artifact_store.copy_to(digest, dest),
        ):
            with pytest.raises(ArtifactError, match=digest) as info:
                call()
            assert not isinstance(info.value, ArtifactCorruptedError)
        assert list(out_dir.iterdir()) == []

    @pytest.mark.parametrize("digest", _BAD_DIGESTS)
    def test_malformed_digest_is_refused(
        self, artifact_store: ArtifactStore, out_dir: Path, digest: Any
    ) -> None:
        calls: list[Callable[[], object]] = [
            lambda: artifact_store.exists(digest),
            lambda: artifact_store.read_bytes(digest),
            lambda: artifact_store.verify(digest),
            lambda: artifact_store.delete(digest),
            lambda: artifact_store.copy_to(digest, out_dir / "out.bin"),
        ]
        for call in calls:
            with pytest.raises(ArtifactError, match="64 lowercase hexadecimal"):
                call()
        assert list(out_dir.iterdir()) == []

    # -- delete and listing -------------------------------------------------------------

    def test_iter_blobs_and_delete(self, artifact_store: ArtifactStore) -> None:
        assert list(artifact_store.iter_blobs()) == []
        blobs = {artifact_store.put_bytes(_payload(n, seed=n)) for n in (0, 10, 300, 5000)}
        assert set(artifact_store.iter_blobs()) == blobs
        gone = max(blobs, key=lambda b: b.size)
        assert artifact_store.delete(gone.digest) == gone.size
        assert artifact_store.delete(gone.digest) == 0
        assert not artifact_store.exists(gone.digest)
        assert set(artifact_store.iter_blobs()) == blobs - {gone}

    # -- failed puts ----------------------------------------------------------------------

    def test_failed_write_leaves_nothing(self, artifact_store: ArtifactStore) -> None:
        digest = _sha256(b"partial")

        def failing_source() -> Iterator[bytes]:
            yield b"part"
            raise OSError("disk unplugged")

        with pytest.raises(OSError, match="disk unplugged"):
            artifact_store._write_blob(digest, failing_source())
        assert not artifact_store.exists(digest)
        assert list(artifact_store.iter_blobs()) == []
        assert self.temp_files(artifact_store) == []

    def test_file_changing_during_put_stores_nothing(
        self, artifact_store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        source = tmp_path / "growing.log"
        source.write_bytes(b"first line\n")
        write = artifact_store._write_blob

        def append_then_write(digest: str, chunks: Any) -> None:
            with source.open("ab") as f:
                f.write(b"second line\n")
            write(digest, chunks)

        monkeypatch.setattr(artifact_store, "_write_blob", append_then_write)
        with pytest.raises(ArtifactError, match="changed while it was being stored"):
            artifact_store.put_file(source)
        assert list(artifact_store.iter_blobs()) == []
        assert self.temp_files(artifact_store) == []

    # -- concurrency ----------------------------------------------------------------------

    def test_concurrent_puts_of_one_blob(self, artifact_store: ArtifactStore) -> None:
        data = _payload(200_000)
        results = _in_threads(8, lambda i: artifact_store._write_blob(_sha256(data), [data]))
        assert results == [None] * 8
        assert list(artifact_store.iter_blobs()) == [Blob(_sha256(data), len(data))]
        assert artifact_store.read_bytes(_sha256(data)) == data
        assert self.temp_files(artifact_store) == []

    def test_concurrent_puts_and_reads(self, artifact_store: ArtifactStore) -> None:
        payloads = [_payload(50_000, seed=i % 4) for i in range(16)]

        def put_and_read(i: int) -> bytes:
            blob = artifact_store.put_bytes(payloads[i])
            return artifact_store.read_bytes(blob.digest)

        assert _in_threads(16, put_and_read) == payloads
        assert len(list(artifact_store.iter_blobs())) == 4

    # -- corruption (needs tamper) ---------------------------------------------------------

    @pytest.mark.parametrize("damage", ["overwritten", "truncated", "emptied"])
    def test_corrupted_blob_is_refused(
        self, artifact_store: ArtifactStore, out_dir: Path, damage: str
    ) -> None:
        data = _payload(CHUNK_SIZE + 10)
        blob = artifact_store.put_bytes(data)
        bad = {"overwritten": b"X" + data[1:], "truncated": data[:-1], "emptied": b""}[damage]
        self.tamper(artifact_store, blob.digest, bad)
        dest = out_dir / "out.bin"
        for call in (
            lambda: artifact_store.read_bytes(blob.digest),
            lambda: artifact_store.verify(blob.digest),
            lambda: artifact_store.copy_to(blob.digest, dest),
        ):
            with pytest.raises(ArtifactCorruptedError, match=blob.digest) as info:
                call()
            assert blob.digest[2:] in info.value.path
            assert info.value.path in str(info.value)
        assert list(out_dir.iterdir()) == []

    def test_corrupted_copy_keeps_existing_destination(
        self, artifact_store: ArtifactStore, out_dir: Path
    ) -> None:
        blob = artifact_store.put_bytes(b"good")
        self.tamper(artifact_store, blob.digest, b"evil")
        dest = out_dir / "out.bin"
        dest.write_bytes(b"previous")
        with pytest.raises(ArtifactCorruptedError):
            artifact_store.copy_to(blob.digest, dest)
        assert dest.read_bytes() == b"previous"
        assert list(out_dir.iterdir()) == [dest]

    def test_delete_then_put_repairs_a_corrupted_blob(self, artifact_store: ArtifactStore) -> None:
        blob = artifact_store.put_bytes(b"good")
        self.tamper(artifact_store, blob.digest, b"evil")
        artifact_store.delete(blob.digest)
        assert artifact_store.put_bytes(b"good") == blob
        assert artifact_store.read_bytes(blob.digest) == b"good"


def _count_writes(store: ArtifactStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    writes: list[str] = []
    write = store._write_blob

    def counting_write(digest: str, chunks: Any) -> None:
        writes.append(digest)
        write(digest, chunks)

    monkeypatch.setattr(store, "_write_blob", counting_write)
    return writes


def _in_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for i in range(n) in n threads released together; return results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
