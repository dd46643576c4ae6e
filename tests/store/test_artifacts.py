"""Tests of keel.store._artifacts, _artifacts_local and _artifacts_fsspec."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import multiprocessing
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from keel.errors import ArtifactCorruptedError, ArtifactError
from keel.store._artifacts import (
    ArtifactStore,
    Blob,
    check_artifact_name,
    iter_files,
    open_artifact_store,
)
from keel.store._artifacts_fsspec import FsspecArtifactStore
from keel.store._artifacts_local import LocalArtifactStore
from keel.testing._artifact_store_tests import ArtifactStoreTests

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and links")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the conformance kit, for each built-in store -------------------------------------


class TestLocalStoreConformance(ArtifactStoreTests):
    @pytest.fixture
    def artifact_store(self, tmp_path: Path) -> ArtifactStore:
        return LocalArtifactStore(tmp_path / "store")

    def tamper(self, store: ArtifactStore, digest: str, data: bytes) -> None:
        path = Path(store._blob_path(digest))
        path.chmod(0o644)
        path.write_bytes(data)

    def temp_files(self, store: ArtifactStore) -> list[str]:
        tmp = Path(store.location) / "tmp"
        return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


@pytest.fixture
def memory_url() -> Iterator[str]:
    """A fresh folder of fsspec's process-wide memory file system, removed afterwards."""
    url = f"memory://keel-tests/{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


class FsspecKit(ArtifactStoreTests):
    def tamper(self, store: ArtifactStore, digest: str, data: bytes) -> None:
        assert isinstance(store, FsspecArtifactStore)
        store.fs.pipe_file(store._key(digest), data)

    def temp_files(self, store: ArtifactStore) -> list[str]:
        assert isinstance(store, FsspecArtifactStore)
        return sorted(store.fs.find(f"{store._root}/tmp"))


class TestMemoryStoreConformance(FsspecKit):
    @pytest.fixture
    def artifact_store(self, memory_url: str) -> ArtifactStore:
        return open_artifact_store(memory_url)


class TestMemoryStoreViaTmpConformance(FsspecKit):
    """Every put streams through tmp/ and fs.mv, the path large blobs take."""

    @pytest.fixture
    def artifact_store(self, memory_url: str) -> ArtifactStore:
        store = FsspecArtifactStore(memory_url)
        store.pipe_max_bytes = 0
        return store


class TestFsspecLocalFileSystemConformance(FsspecKit):
    """fsspec's LocalFileSystem: the rename-based path that sftp, smb and hdfs take."""

    @pytest.fixture
    def artifact_store(self, tmp_path: Path) -> ArtifactStore:
        return FsspecArtifactStore((tmp_path / "store").as_uri())


# -- Blob -------------------------------------------------------------------------------


def test_blob_is_a_frozen_value() -> None:
    blob = Blob("0" * 64, 3)
    assert blob == Blob("0" * 64, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        blob.size = 4  # type: ignore[misc]


# -- LocalArtifactStore -------------------------------------------------------------------


def test_local_layout_and_read_only_blob(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    blob = store.put_bytes(b"layout")
    path = tmp_path / "sha256" / blob.digest[:2] / blob.digest[2:]
    assert path.read_bytes() == b"layout"
    assert store._blob_path(blob.digest) == str(path)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list((tmp_path / "tmp").iterdir()) == []
    assert store.delete(blob.digest) == len(b"layout")
    assert not path.exists()


def test_local_store_creates_nothing_until_the_first_put(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "absent")
    assert not store.exists(_sha256(b"x"))
    assert list(store.iter_blobs()) == []
    assert store.delete(_sha256(b"x")) == 0
    assert not (tmp_path / "absent").exists()


def test_local_corruption_names_the_blob_file(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "store")
    blob = store.put_bytes(b"precious bytes")
    path = tmp_path / "store" / "sha256" / blob.digest[:2] / blob.digest[2:]
    path.chmod(0o644)
    path.write_bytes(b"precious bytez")
    with pytest.raises(ArtifactCorruptedError) as info:
        store.read_bytes(blob.digest)
    assert info.value.path == str(path)
    assert f"'{path}'" in str(info.value)
    assert blob.digest in str(info.value)


def test_local_iter_blobs_skips_files_that_are_not_blobs(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    blob = store.put_bytes(b"real")
    (tmp_path / "sha256" / "README").write_text("not a blob")
    (tmp_path / "sha256" / blob.digest[:2] / "short").write_text("not a blob")
    (tmp_path / "sha256" / "zz").mkdir()
    assert list(store.iter_blobs()) == [blob]


def test_local_failing_source_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    with pytest.raises(IsADirectoryError if os.name == "posix" else OSError):
        store.put_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "missing.bin")
    assert not (tmp_path / "tmp").exists() or list((tmp_path / "tmp").iterdir()) == []
    assert list(store.iter_blobs()) == []


def test_local_puts_from_two_processes_leave_one_intact_blob(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    data = os.urandom(3 << 20)
    digest = _sha256(data)
    method = "fork" if sys.platform == "linux" else "spawn"
    with multiprocessing.get_context(method).Pool(2) as pool:
        pending = pool.starmap_async(store._write_blob, [(digest, [data])] * 12)
        reads = 0
        while not pending.ready():  # a reader never sees a partial blob
            if store.exists(digest):
                assert store.read_bytes(digest) == data
                reads += 1
        pending.get(timeout=30)
    assert list(store.iter_blobs()) == [Blob(digest, len(data))]
    store.verify(digest)
    assert list((tmp_path / "tmp").iterdir()) == []


# -- FsspecArtifactStore ------------------------------------------------------------------


def test_memory_store_layout_and_paths(memory_url: str) -> None:
    store = open_artifact_store(memory_url)
    assert isinstance(store, FsspecArtifactStore)
    blob = store.put_bytes(b"in memory")
    key = f"{memory_url}/sha256/{blob.digest[:2]}/{blob.digest[2:]}"
    assert store.fs.cat_file(key) == b"in memory"
    assert store._blob_path(blob.digest) == key


def test_small_blobs_are_piped_large_ones_go_through_tmp(
    memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FsspecArtifactStore(memory_url)
    store.pipe_max_bytes = 100
    moves: list[str] = []
    mv = store.fs.mv
    monkeypatch.setattr(store.fs, "mv", lambda a, b, **kw: (moves.append(a), mv(a, b, **kw)))
    store.put_bytes(b"x" * 100)
    assert moves == []
    big = store.put_bytes(b"y" * 101)
    assert len(moves) == 1
    assert "/tmp/" in moves[0]
    assert store.read_bytes(big.digest) == b"y" * 101
    assert store.fs.find(f"{memory_url}/tmp") == []


def test_memory_corruption_names_the_blob_url(memory_url: str, tmp_path: Path) -> None:
    store = FsspecArtifactStore(memory_url)
    blob = store.put_bytes(b"remote")
    store.fs.pipe_file(store._key(blob.digest), b"remotE")
    with pytest.raises(ArtifactCorruptedError) as info:
        store.copy_to(blob.digest, tmp_path / "out.bin")
    assert info.value.path == f"{memory_url}/sha256/{blob.digest[:2]}/{blob.digest[2:]}"
    assert list(tmp_path.iterdir()) == []


def test_fsspec_store_accepts_a_plain_path(tmp_path: Path) -> None:
    store = FsspecArtifactStore(str(tmp_path))
    blob = store.put_bytes(b"plain")
    assert (tmp_path / "sha256" / blob.digest[:2] / blob.digest[2:]).read_bytes() == b"plain"


# -- open_artifact_store --------------------------------------------------------------------


def test_open_local_paths(tmp_path: Path) -> None:
    for location in (
        tmp_path,
        str(tmp_path),
        tmp_path.as_uri(),
        "file://localhost" + tmp_path.as_posix(),
    ):
        store = open_artifact_store(location)
        assert isinstance(store, LocalArtifactStore), location
        assert store.root == tmp_path
    relative = open_artifact_store(".keel/artifacts")
    assert isinstance(relative, LocalArtifactStore)
    assert relative.root == Path(".keel/artifacts")


def test_open_urls_with_fsspec(memory_url: str, tmp_path: Path) -> None:
    assert isinstance(open_artifact_store(memory_url), FsspecArtifactStore)
    chained = open_artifact_store(f"simplecache::{memory_url}")
    assert isinstance(chained, FsspecArtifactStore)


def test_open_unknown_protocol() -> None:
    with pytest.raises(ArtifactError, match=r"'nosuchfs://bucket/x'.*no protocol 'nosuchfs'"):
        open_artifact_store("nosuchfs://bucket/x")


def test_open_protocol_whose_package_is_missing() -> None:
    if importlib.util.find_spec("dropboxdrivefs") is not None:
        pytest.skip("dropboxdrivefs is installed")
    with pytest.raises(ArtifactError, match=r"'dropbox://x'.*'dropbox'.*dropboxdrivefs"):
        open_artifact_store("dropbox://x")


def test_open_refuses_bad_local_urls_and_options(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="absolute path"):
        open_artifact_store("file://relative/folder")
    with pytest.raises(ArtifactError, match="fsspec URLs only"):
        open_artifact_store(tmp_path, anon=True)


# -- check_artifact_name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("plots/roc.png", "plots/roc.png"),
        ("model.onnx", "model.onnx"),
        ("./plots/./roc.png", "plots/roc.png"),
        ("plots//roc.png", "plots/roc.png"),
        ("plots/", "plots"),
        ("a..b/c..", "a..b/c.."),
        (".hidden/..x", ".hidden/..x"),
        ("x" * 1024, "x" * 1024),
        ("données/é.txt", "données/é.txt"),
    ],
)
def test_good_artifact_names(name: str, normal: str) -> None:
    assert check_artifact_name(name) == normal


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        (".", "it names no file"),
        ("./", "it names no file"),
        ("//", "absolute path"),
        ("/etc/passwd", "absolute path"),
        ("C:/x", "absolute path"),
        ("c:x", "absolute path"),
        ("C:\\x", "backslashes"),
        ("\\\\server\\share\\x", "backslashes"),
        ("plots\\roc.png", "backslashes"),
        ("..", "'..' is not allowed"),
        ("../x", "'..' is not allowed"),
        ("a/../b", "'..' is not allowed"),
        ("a/..", "'..' is not allowed"),
        ("./../x", "'..' is not allowed"),
        ("a\x00b", "NUL"),
        ("x" * 1025, "1025 characters, more than 1024"),
    ],
)
def test_bad_artifact_names(name: str, problem: str) -> None:
    with pytest.raises(ArtifactError) as info:
        check_artifact_name(name)
    message = str(info.value)
    assert message.startswith("Artifact name ")
    assert "must be a relative path inside the run's namespace" in message
    assert problem in message


def test_artifact_name_message_template() -> None:
    with pytest.raises(ArtifactError) as info:
        check_artifact_name("../x")
    assert str(info.value) == (
        "Artifact name '../x' must be a relative path inside the run's namespace; "
        "'..' is not allowed."
    )


def test_artifact_name_must_be_a_string() -> None:
    with pytest.raises(ArtifactError, match="must be a str"):
        check_artifact_name(Path("a"))  # type: ignore[arg-type]


# -- iter_files -----------------------------------------------------------------------------


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_iter_files_walks_in_sorted_order(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "out", {"b.txt": b"b", "a/z.bin": b"z", "a/deep/x": b"x"})
    (folder / "empty").mkdir()
    found = list(iter_files(folder))
    assert [name for _, name in found] == ["a/deep/x", "a/z.bin", "b.txt"]
    assert [path.read_bytes() for path, _ in found] == [b"x", b"z", b"b"]


def test_iter_files_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ArtifactError, match="not a directory"):
        list(iter_files(tmp_path / "f"))


@posix_only
def test_iter_files_follows_links_inside(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "out", {"data/real.txt": b"r"})
    (folder / "alias.txt").symlink_to(folder / "data" / "real.txt")
    (folder / "same").symlink_to("data", target_is_directory=True)
    names = [name for _, name in iter_files(folder)]
    assert names == ["alias.txt", "data/real.txt", "same/real.txt"]


@posix_only
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_iter_files_refuses_links_outside(tmp_path: Path, kind: str) -> None:
    secret = _tree(tmp_path / "secret", {"key": b"k"})
    folder = _tree(tmp_path / "out", {"ok.txt": b"ok"})
    (folder / "leak").symlink_to(secret / "key" if kind == "file" else secret)
    with pytest.raises(ArtifactError, match="outside the folder"):
        list(iter_files(folder))


@posix_only
def test_iter_files_refuses_loops_broken_links_and_fifos(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "loop", {"a/f": b"f"})
    (folder / "a" / "up").symlink_to(folder, target_is_directory=True)
    with pytest.raises(ArtifactError, match="loop"):
        list(iter_files(folder))
    broken = _tree(tmp_path / "broken", {"f": b"f"})
    (broken / "gone").symlink_to(broken / "nothing")
    with pytest.raises(ArtifactError, match="broken link"):
        list(iter_files(broken))
    fifo = _tree(tmp_path / "fifo", {"f": b"f"})
    os.mkfifo(fifo / "pipe")
    with pytest.raises(ArtifactError, match="not a regular file"):
        list(iter_files(fifo))


@posix_only
def test_iter_files_refuses_names_it_cannot_log(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "out", {"back\\slash.txt": b"x"})
    with pytest.raises(ArtifactError, match="backslashes"):
        list(iter_files(folder))


# -- import cost ------------------------------------------------------------------------------


def test_store_modules_do_not_import_fsspec_at_import_time() -> None:
    code = (
        "import sys, keel.store._artifacts, keel.store._artifacts_local, "
        "keel.store._artifacts_fsspec; assert 'fsspec' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
