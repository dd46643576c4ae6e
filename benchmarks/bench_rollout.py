"""What a shadow costs the answers: p50 latency of a deployment's answering model with and
without a shadow, on the same ``keel serve`` process, in the same run (issue 9's figure:
the shadow adds <= 5 % to p50).

The reference model of bench_serving (LightGBM, 100 trees, 31 leaves, breast_cancer's 30
features) is registered as cancer/1; a second version (200 trees) as cancer/2. One
``keel serve --deployment plain --deployment shadowed`` process answers both deployments:
``plain`` (strategy single: cancer/1 alone) and ``shadowed`` (strategy shadow: cancer/1
answers, every request is copied to cancer/2). The comparison is this same server with and
without a shadow, so no peer tool is involved and nothing needs the network.

A closed-loop client (``http.client`` on one keep-alive connection per client thread, in
this process) sends single-record JSON POSTs; each repetition measures both endpoints
back to back in alternating order, after a warm-up. Figures: per repetition, p50 and p99
of the client-side latencies and the server's CPU time per request (the process tree,
from /proc); medians over repetitions. The verdict is on the median over repetitions of
the paired ratio (shadowed p50 / plain p50 of the same repetition): on a shared machine
the background load drifts between repetitions by more than the effect measured, and the
pairing cancels the drift; the ratio of the two medians is reported beside it. The server
also reports the copies its shadow predicted and dropped (its counters in the store), so
the shadow is known to have done its work and not been skipped.

Results: ``benchmarks/results/rollout-<date>.json``; a Markdown table on stdout.
``--quick``: fewer requests and repetitions (a smoke test; its figures are not reported).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import HERE, machine_info, write_results
from bench_serving import cpu_seconds, free_port, stop

FULL = {"requests": 3000, "warmup": 500, "repetitions": 15, "clients": [1, 4]}
QUICK = {"requests": 300, "warmup": 100, "repetitions": 2, "clients": [1]}
TARGET = 1.05


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def prepare(folder: Path) -> tuple[Path, dict]:
    """A workspace with cancer/1 (100 trees) and cancer/2 (200 trees) and the deployments
    ``plain`` and ``shadowed``; one record to send."""
    import lightgbm
    from sklearn.datasets import load_breast_cancer

    import keel
    from keel.data import infer_schema
    from keel.models import Trained, write_package

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    root = folder / "ws"
    with keel.Workspace.init(root, project="cancer") as ws:
        for trees in (100, 200):
            model = lightgbm.LGBMClassifier(n_estimators=trees, num_leaves=31, verbose=-1,
                                            n_jobs=1).fit(X, y)  # fmt: skip
            package = write_package(Trained.from_estimator(model, infer_schema(X)),
                                    folder / f"package-{trees}",
                                    holdout=(X.tail(100), y.tail(100)))  # fmt: skip
            ws.registry.register("cancer", package)
        ws.deploy("plain", model="cancer", versions=[1], strategy="single")
        ws.deploy("shadowed", model="cancer", versions=[1, 2], strategy="shadow")
    return root, {k: float(v) for k, v in X.iloc[0].items()}


def start_server(root: Path, port: int, log: Path) -> subprocess.Popen:
    keel_cli = Path(sys.executable).with_name("keel")
    cmd = [str(keel_cli), "--workspace", str(root), "serve", "--deployment", "plain",
           "--deployment", "shadowed", "--port", str(port), "--no-access-log",
           "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"keel serve exited: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v2/health/ready")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise RuntimeError("keel serve did not answer within 180 s")


def _client(port: int, path: str, body: bytes, n: int, out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    for _ in range(n):
        started = time.perf_counter()
        conn.request("POST", path, body, headers)
        answer = conn.getresponse()
        answer.read()
        out.append(time.perf_counter() - started)
        if answer.status != 200:
            raise RuntimeError(f"{path} answered {answer.status}")
    conn.close()


def run(port: int, pid: int, name: str, body: bytes, requests: int, clients: int) -> dict:
    """``requests`` POSTs to /predict/``name`` from ``clients`` closed-loop clients."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=_client, args=(port, f"/predict/{name}", body,
                                                      requests // clients, latencies[i]))
               for i in range(clients)]  # fmt: skip
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    found = sorted(x for part in latencies for x in part)
    return {
        "p50_ms": statistics.median(found) * 1e3,
        "p99_ms": found[int(0.99 * (len(found) - 1))] * 1e3,
        "requests_per_s": len(found) / wall,
        "cpu_us_per_request": cpu / len(found) * 1e6,
    }


def measure(port: int, pid: int, record: dict, settings: dict) -> dict:
    body = json.dumps(record).encode()
    for name in ("plain", "shadowed"):
        run(port, pid, name, body, settings["warmup"], 1)
    results: dict = {}
    for clients in settings["clients"]:
        reps: dict[str, list[dict]] = {"plain": [], "shadowed": []}
        for rep in range(settings["repetitions"]):
            order = ("plain", "shadowed") if rep % 2 == 0 else ("shadowed", "plain")
            for name in order:
                reps[name].append(run(port, pid, name, body, settings["requests"], clients))
            time.sleep(0.5)  # the shadow queue drains (serve.rollout.shadow_linger_s 0.2)
        medians = {name: {k: statistics.median(r[k] for r in found) for k in found[0]}
                   for name, found in reps.items()}  # fmt: skip
        of_medians = medians["shadowed"]["p50_ms"] / medians["plain"]["p50_ms"]
        paired = [s["p50_ms"] / p["p50_ms"] for s, p in zip(reps["shadowed"], reps["plain"],
                                                            strict=True)]  # fmt: skip
        ratio = statistics.median(paired)
        results[str(clients)] = {"repetitions": reps, "medians": medians, "p50_ratio": ratio,
                                 "paired_p50_ratios": paired,
                                 "p50_ratio_of_medians": of_medians}  # fmt: skip
        _log(f"{clients} client(s): p50 plain {medians['plain']['p50_ms']:.3f} ms, shadowed "
             f"{medians['shadowed']['p50_ms']:.3f} ms, paired ratio {ratio:.3f} "
             f"(ratio of medians {of_medians:.3f})")  # fmt: skip
    return results


def shadow_counts(root: Path) -> dict:
    import keel

    with keel.Workspace.open(root) as ws:
        counts = ws.deployment_counts("shadowed")
    return {f"v{v}": {k: c for k, c in found.items() if not k.startswith(("lat_", "score_",
            "shadow_lat_"))} for v, found in counts.items()}  # fmt: skip


def table(results: dict) -> str:
    lines = [
        "| clients | p50 plain | p50 with shadow | paired ratio (median) | ratio of medians "
        "| p99 plain | p99 with shadow | CPU/request plain | CPU/request with shadow | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clients, found in results.items():
        plain, shadowed = found["medians"]["plain"], found["medians"]["shadowed"]
        ok = "met" if found["p50_ratio"] <= TARGET else "**missed**"
        lines.append(
            f"| {clients} | {plain['p50_ms']:.3f} ms | {shadowed['p50_ms']:.3f} ms | "
            f"{found['p50_ratio']:.3f} | {found['p50_ratio_of_medians']:.3f} | "
            f"{plain['p99_ms']:.3f} ms | {shadowed['p99_ms']:.3f} ms "
            f"| {plain['cpu_us_per_request']:.0f} µs | {shadowed['cpu_us_per_request']:.0f} µs "
            f"| <= {TARGET:.2f}: {ok} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="keel-bench-rollout-") as folder:
        root, record = prepare(Path(folder))
        port = free_port()
        proc = start_server(root, port, Path(folder) / "serve.log")
        try:
            results = measure(port, proc.pid, record, settings)
            time.sleep(2.5)  # a flush of the counters (serve.rollout.flush_s)
        finally:
            stop(proc)
        counters = shadow_counts(root)
    payload = {"machine": machine_info(), "settings": settings, "results": results,
               "shadow_counters": counters, "target_p50_ratio": TARGET}  # fmt: skip
    print(table(results))
    print(f"\nshadow counters: {json.dumps(counters)}")
    if not args.quick:
        path = write_results("rollout", payload, payload["machine"]["date"])
        _log(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("KEEL_NO_UPDATE_CHECK", "1")
    sys.exit(main(sys.argv[1:]))
