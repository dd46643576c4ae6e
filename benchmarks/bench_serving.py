"""keel serve against the bare HTTP floor and the serving tools a user would otherwise pick.

The reference model (issue 8): LightGBM, 100 trees, 31 leaves, on scikit-learn's
breast_cancer (30 features). Every server answers single-record JSON POSTs on 127.0.0.1,
driven by wrk (Debian's package; installed with apt-get when missing) through a Lua script,
at 2 and 16 connections for 10 s each after a warm-up, one server at a time, all in one run:

- the HTTP floor: a bare Starlette + uvicorn endpoint that parses JSON and calls
  ``booster.predict``, with LightGBM's default threads and with ``num_threads=1``;
- ``keel serve`` (validation, metrics and prediction logging on; access log off, and on);
- LitServe, MLServer, BentoML and ``mlflow models serve``, each in its own virtualenv
  (``benchmarks/.venv-<name>``); a peer that fails to install is skipped with the reason.

Figures per server: CPU time per request (the server's whole process tree, user + system,
read from /proc before and after each wrk run, divided by the requests wrk completed: the
figure least disturbed by other load), requests/s, p50/p99 from wrk's latency distribution,
cold start (process start to the first good answer) and idle RSS/PSS of the process tree.

Results: ``benchmarks/results/serving-<date>.json``; a Markdown table on stdout.
``--quick`` runs 2 s per point, and only the peers already installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _serving_servers as servers
from _harness import HERE, competitor_python, machine_info, write_results
from _serving_servers import PEER_PACKAGES, Server

FULL = {"seconds": 10, "warmup_s": 5, "connections": [2, 16]}
QUICK = {"seconds": 2, "warmup_s": 1, "connections": [2, 16]}
_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the model and workspace


def prepare(folder: Path) -> tuple[Path, Path, dict, Path]:
    """The model as LightGBM text, its feature order, one record, and a keel workspace
    where the same model is registered as cancer@champion."""
    import lightgbm
    from sklearn.datasets import load_breast_cancer

    import keel
    from keel.data import infer_schema
    from keel.models import Trained, write_package

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = lightgbm.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1, n_jobs=1)
    model.fit(X, y)
    model_file = folder / "model.txt"
    model.booster_.save_model(str(model_file))
    names = folder / "names.json"
    names.write_text(json.dumps(list(X.columns)))
    record = {k: float(v) for k, v in X.iloc[0].items()}
    package = write_package(
        Trained.from_estimator(model, infer_schema(X)), folder / "package",
        holdout=(X.tail(100), y.tail(100)),
    )  # fmt: skip
    with keel.Workspace.init(folder / "ws", project="cancer") as ws:
        ws.registry.register("cancer", package, alias="champion")
    return model_file, names, record, folder / "ws"


# ---------------------------------------------------------------- /proc: CPU and memory


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process tree (what psutil reads, from /proc)."""
    ticks = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, float]:
    """RSS (shared pages counted in every process) and PSS (shared pages divided) of the tree."""
    total = {"rss_mb": 0.0, "pss_mb": 0.0, "processes": 0}
    for member in tree(pid):
        try:
            text = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        total["processes"] += 1
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                total[f"{key.lower()}_mb"] += int(rest.split()[0]) / 1024
    return total


# ---------------------------------------------------------------- running one server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(server: Server, log: Path) -> tuple[subprocess.Popen, float]:
    """Start the server; returns it and its cold start (seconds to the first 200)."""
    import httpx

    env = {k: v for k, v in os.environ.items() if k not in server.unset}
    env.update(server.env)
    t0 = time.perf_counter()
    proc = subprocess.Popen(server.cmd, env=env, cwd=server.cwd, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{_port(server)}{server.path}"
    deadline = t0 + 180
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.post(url, json=server.body, timeout=5).status_code == 200:
                return proc, time.perf_counter() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    stop(proc)
    raise RuntimeError(f"no good answer within 180 s: {log.read_text()[-2000:]}")


def _port(server: Server) -> int:
    return server.port


def stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def wrk(url: str, body: dict, connections: int, seconds: float, folder: Path) -> dict:
    """One wrk run; requests, requests/s, p50/p99 and errors from its report."""
    script = folder / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
    )
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(script), url]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    latency = {f"p{q}_ms": float(v) * _UNITS[u] * 1e3 for q, v, u in _LATENCY.findall(out)}
    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": requests,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        **latency,
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": errors[1] if errors else None,
    }


def measure(server: Server, folder: Path, settings: dict) -> dict:
    """Cold start, idle memory, then each connection count after a warm-up."""
    log = folder / f"{re.sub(r'[^a-z]+', '-', server.name.lower())}.log"
    proc, cold = start(server, log)
    try:
        time.sleep(1.0)
        idle = memory_mb(proc.pid)
        url = f"http://127.0.0.1:{_port(server)}{server.path}"
        wrk(url, server.body, 2, settings["warmup_s"], folder)
        points = {}
        for connections in settings["connections"]:
            cpu0 = cpu_seconds(proc.pid)
            point = wrk(url, server.body, connections, settings["seconds"], folder)
            cpu = cpu_seconds(proc.pid) - cpu0
            point["cpu_us_per_request"] = cpu / max(point["requests"], 1) * 1e6
            points[str(connections)] = point
            rps, cpu_us = point["requests_per_s"], point["cpu_us_per_request"]
            _log(f"{server.name} @{connections}: {rps:.0f} req/s, {cpu_us:.0f} µs CPU/req")
    finally:
        stop(proc)
    return {"cold_start_s": cold, "idle": idle, "connections": points}


# ---------------------------------------------------------------- peers


def peer_servers(folder: Path, model: Path, names: Path, record: dict, quick: bool) -> tuple:
    """The peers that install here (their Server) and those that do not (why)."""
    made: list[Server] = []
    skipped: dict[str, str] = {}
    for name, packages in PEER_PACKAGES.items():
        venv = HERE / f".venv-{name}" / ".bench-installed"
        if quick and not venv.exists():
            skipped[name] = "not installed yet (--quick installs nothing)"
            continue
        try:
            python = competitor_python(name, packages, f"KEEL_BENCH_{name.upper()}_PYTHON")
            server = _peer(name, python, folder, model, names, record)
            # Its own tools first on PATH: `mlflow models serve` execs `uvicorn` by name.
            server.env["PATH"] = f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"
            made.append(server)
        except Exception as exc:  # recorded, and the run goes on without it
            skipped[name] = f"{type(exc).__name__}: {str(exc)[-500:]}"
            _log(f"skipping {name}: {skipped[name]}")
    return made, skipped


def _peer(name: str, python: Path, folder: Path, model: Path, names: Path, record: dict) -> Server:
    port = free_port()
    if name == "litserve":
        return servers.litserve(python, folder, model, names, record, port)
    if name == "bentoml":
        return servers.bentoml(python, folder, model, names, record, port)
    if name == "mlserver":
        return servers.mlserver(python, folder, model, record, port)
    return servers.mlflow(python, folder, model, record, port)


# ---------------------------------------------------------------- report


def table(results: dict) -> str:
    lines = [
        "| server | CPU µs/req @2 | @16 | req/s @2 | @16 | p50 ms @2 | p99 ms @16 | cold s | "
        "idle RSS MB | idle PSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, found in results["servers"].items():
        if "error" in found:
            lines.append(f"| {name} | failed: {found['error'][:80]} |")
            continue
        c2, c16 = found["connections"].get("2", {}), found["connections"].get("16", {})
        lines.append(
            f"| {name} | {c2.get('cpu_us_per_request', 0):.0f} | "
            f"{c16.get('cpu_us_per_request', 0):.0f} | {c2.get('requests_per_s', 0):.0f} | "
            f"{c16.get('requests_per_s', 0):.0f} | {c2.get('p50_ms', 0):.2f} | "
            f"{c16.get('p99_ms', 0):.2f} | {found['cold_start_s']:.2f} | "
            f"{found['idle']['rss_mb']:.0f} | {found['idle']['pss_mb']:.0f} |"
        )
    for name, why in results["skipped"].items():
        lines.append(f"| {name} | skipped: {why[:100]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per point, installed peers")
    parser.add_argument("--no-peers", action="store_true", help="only the floor and keel")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    if shutil.which("wrk") is None:
        _install_wrk()
    results: dict = {"machine": machine_info(), "settings": settings, "servers": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model, names, record, workspace = prepare(folder)
        chosen = [
            servers.floor(folder, model, names, record, free_port(), threads=0),
            servers.floor(folder, model, names, record, free_port(), threads=1),
            servers.keel(workspace, record, free_port(), access_log=False),
        ]
        if not args.quick:
            chosen.append(servers.keel(workspace, record, free_port(), access_log=True))
        peers, results["skipped"] = ([], {}) if args.no_peers else peer_servers(
            folder, model, names, record, args.quick
        )  # fmt: skip
        for server in [*chosen, *peers]:
            _log(f"measuring {server.name}")
            try:
                results["servers"][server.name] = measure(server, folder, settings)
            except Exception as exc:
                results["servers"][server.name] = {"error": f"{type(exc).__name__}: {exc}"}
                _log(f"{server.name} failed: {exc}")
    results["ratios"] = ratios(results["servers"])
    path = write_results("serving", results, results["machine"]["date"]
                         + ("-quick" if args.quick else ""))  # fmt: skip
    print(table(results))
    print(json.dumps(results["ratios"], indent=2))
    _log(f"wrote {path}")


def ratios(found: dict) -> dict:
    """keel against the floor (num_threads=1) and each peer, as issue 8 states its targets."""
    keel, floor = found.get("keel serve", {}), found.get("floor (num_threads=1)", {})
    if "connections" not in keel or "connections" not in floor:
        return {}
    k16, f16 = keel["connections"]["16"], floor["connections"]["16"]
    out = {
        "cpu_per_request_vs_floor@16": k16["cpu_us_per_request"] / f16["cpu_us_per_request"],
        "p50_vs_floor@2": keel["connections"]["2"]["p50_ms"] / floor["connections"]["2"]["p50_ms"],
        "cold_start_vs_floor": keel["cold_start_s"] / floor["cold_start_s"],
        "idle_rss_vs_floor": keel["idle"]["rss_mb"] / floor["idle"]["rss_mb"],
        "p99_ms@16": k16["p99_ms"],
    }
    for name, peer in found.items():
        if "connections" in peer and name not in ("keel serve", "floor (num_threads=1)"):
            rps = peer["connections"]["16"]["requests_per_s"]
            out[f"requests_per_s_vs {name}@16"] = k16["requests_per_s"] / rps if rps else None
    return out


def _install_wrk() -> None:
    """Debian's wrk, as .ci/run installs chromium."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)


if __name__ == "__main__":
    main()
