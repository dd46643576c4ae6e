"""A tl2cgen-compiled tree ensemble, loaded from verified bytes: one row through a direct
C call, batches through tl2cgen's multi-threaded predictor.

Why a direct C call for one row: ``tl2cgen.Predictor.predict`` builds a DMatrix and an output
array per call, 70 µs for one row of the reference model (LightGBM, 100 trees, 30 features)
where the compiled ``predict`` function itself takes about 1 µs. The generated library
exports ``predict(union Entry* row, int pred_margin, double* out)``; an Entry is the
feature value (float or double, the model's threshold type), or ``missing == -1`` in its
first four bytes for a missing value.

The library is platform code: `platform_record` describes where it was built and
`platform_mismatch` says why it cannot run here.

Example:
    >>> sorted(platform_record())[:3]
    ['compiler', 'libc', 'machine']
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import platform
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from keel.errors import ModelError

__all__ = ["CompiledTrees", "platform_mismatch", "platform_record", "require_tl2cgen"]

#: Where a library can run: the same OS, CPU architecture and C library as where it was built.
_PLATFORM_KEYS = ("system", "machine", "libc")
_INSTALL = "pip install 'keel[compile]'"


def require_tl2cgen() -> Any:
    """The tl2cgen module, or a ModelError saying how to install it."""
    try:
        import tl2cgen
        import treelite  # noqa: F401  (the frontends that read the members)
    except ImportError as exc:
        raise ModelError(
            f"Compiling tree ensembles needs treelite and tl2cgen ({exc}). To install them: "
            f"{_INSTALL}",
            field="compile",
        ) from None
    return tl2cgen


def platform_record() -> dict[str, str]:
    """The platform a library built here runs on, and the tools that built it."""
    return {**_platform_here(), "python": platform.python_version(), "compiler": _compiler()}


def platform_mismatch(recorded: dict[str, Any]) -> str | None:
    """Why a library built on ``recorded`` cannot be loaded here, or None when it can."""
    here = _platform_here()
    for key in _PLATFORM_KEYS:
        if recorded.get(key) != here[key]:
            return (
                f"the compiled library was built for {key} {recorded.get(key)!r}; this "
                f"machine has {here[key]!r}"
            )
    return None


class CompiledTrees:
    """One compiled tree ensemble: raw outputs (after the model's own link function).

    Single rows may be predicted from many threads at once (no shared buffers); batches
    take a lock, since tl2cgen's predictor may be called by one thread at a time.

    Args:
        library: the shared library's bytes (verified against the package manifest).
        threads: worker threads for batches (None: one per core).

    Raises:
        ModelError: tl2cgen is missing, or the library does not load (the message says why).
    """

    def __init__(self, library: bytes, *, threads: int | None = None):
        tl2cgen = require_tl2cgen()
        folder = Path(tempfile.mkdtemp(prefix="keel-compiled-"))
        path = folder / "model.so"
        try:
            # A private copy of the verified bytes: the package's own file could be swapped
            # between its hash check and dlopen.
            path.write_bytes(library)
            self._lib = ctypes.CDLL(str(path))
            self._batch = tl2cgen.Predictor(path, nthread=threads or -1)
        except (OSError, tl2cgen.TL2cgenError) as exc:
            raise ModelError(f"The compiled library does not load: {exc}") from None
        finally:
            # Loaded libraries stay mapped after their file is removed.
            path.unlink(missing_ok=True)
            folder.rmdir()
        # A CFUNCTYPE prototype converts plain ints to pointers faster than argtypes.
        prototype = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
        self._predict_row = prototype(("predict", self._lib))
        self.n_features = int(self._batch.num_feature)
        self.width = int(self._batch.num_target) * int(max(self._batch.num_class))
        self.dtype = np.float32 if self._batch.threshold_type == "float32" else np.float64
        # The library adds leaves into an array of its leaf type (float32 for XGBoost).
        self.out_dtype = np.float32 if self._batch.leaf_output_type == "float32" else np.float64
        self._lock = threading.Lock()
        self._buffers = threading.local()

    def output_one(self, row: np.ndarray) -> np.ndarray:
        """The model's outputs for one feature row (shape (n_features,)): shape (width,)."""
        entries, out, pointers = self._row_buffers()
        np.copyto(entries, row, casting="unsafe")
        if math.isnan(np.dot(entries, entries)):  # 0.7 µs where isnan().any() takes 1.4 µs
            _mark_missing(entries, np.isnan(entries))
        out.fill(0.0)  # the library adds each tree's leaf to it
        self._predict_row(pointers[0], 0, pointers[1])
        return out.astype(np.float64)  # a copy: the buffer is reused

    def _row_buffers(self) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
        """This thread's input and output buffers (allocating them costs more than the
        prediction), with their addresses."""
        buffers = getattr(self._buffers, "value", None)
        if buffers is None:
            entries = np.empty(self.n_features, dtype=self.dtype)
            out = np.empty(self.width, dtype=self.out_dtype)
            buffers = (entries, out, (entries.ctypes.data, out.ctypes.data))
            self._buffers.value = buffers
        return buffers

    def output(self, X: np.ndarray) -> np.ndarray:
        """The model's outputs for the feature matrix X (n_rows, n_features): (n_rows, width)."""
        import tl2cgen

        matrix = tl2cgen.DMatrix(np.ascontiguousarray(X, dtype=self.dtype))
        with self._lock:
            out = self._batch.predict(matrix)
        return np.asarray(out, dtype=np.float64).reshape(len(X), self.width)


def _mark_missing(entries: np.ndarray, missing: np.ndarray) -> None:
    """Set the Entry's ``missing`` field (its first int32) to -1: an all-ones bit pattern,
    which as a float is a NaN, so every byte of the entry can be -1."""
    bits = entries.view(np.int32 if entries.dtype == np.float32 else np.int64)
    bits[missing] = -1


@functools.cache
def _platform_here() -> dict[str, str]:
    libc, libc_version = platform.libc_ver()
    return {
        "system": platform.system(),
        "machine": platform.machine(),
        "libc": f"{libc} {libc_version}".strip(),
    }


def _compiler() -> str:
    compiler = os.environ.get("CC", "gcc")
    try:
        done = subprocess.run(
            [compiler, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return f"{compiler} (version unknown)"
    first = done.stdout.splitlines()[0] if done.stdout else ""
    return first or f"{compiler} (version unknown)"
