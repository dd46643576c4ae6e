"""Machinery for keel's benchmarks: machine description, competitor virtualenvs, results.

A competitor (MLflow, …) is never a keel dependency. Each one gets its own virtualenv under
``benchmarks/.venv-<name>`` and its half of a benchmark runs there as a subprocess that
prints one JSON object on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or platform.processor() elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """What a reader needs to compare a result with their own machine."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "date": dt.date.today().isoformat(),
        "timestamp_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_usable": usable,
        "python": platform.python_version(),
        "python_executable": sys.executable,
    }


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def competitor_python(name: str, packages: list[str], override_env: str) -> Path:
    """The interpreter of ``benchmarks/.venv-<name>``, created and filled on first use.

    ``$<override_env>`` names a ready interpreter instead (for development). A stamp file
    marks a finished install, so an interrupted ``pip install`` is resumed next time.
    """
    override = os.environ.get(override_env)
    if override:
        return Path(override)
    venv = HERE / f".venv-{name}"
    python = venv / "bin" / "python"
    stamp = venv / ".bench-installed"
    if not python.exists():
        _log(f"creating {venv} (one time)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if not stamp.exists():
        _log(f"installing {' '.join(packages)} into {venv} (one time, a few minutes)")
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
        subprocess.run([*pip, *packages], check=True)
        stamp.write_text(" ".join(packages) + "\n")
    return python


def run_json(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> dict:
    """Run ``cmd`` and parse the JSON object it prints last on stdout."""
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=HERE,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_process(cmd: list[str], env: dict[str, str] | None = None, cwd=None) -> tuple:
    """Wall seconds (seen from outside) and CPU seconds (user+sys) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        cmd, check=True, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def write_results(name: str, payload: dict, date: str) -> Path:
    """Write ``results/<name>-<date>.json`` atomically (a crash leaves only a .tmp file)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{date}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


# ---------------------------------------------------------------- formatting for the tables


def fmt_duration(seconds: float) -> str:
    """``1.23 s``, ``45.6 ms``, ``7.8 µs``: three significant figures, a readable unit."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms" if seconds < 0.1 else f"{seconds * 1e3:.0f} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(x: float | None) -> str:
    """``1,234x`` from 10 up, ``3.4x`` below; an em dash when there is no ratio."""
    if x is None:
        return "—"
    return f"{x:,.0f}x" if x >= 10 else f"{x:.2g}x"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"
