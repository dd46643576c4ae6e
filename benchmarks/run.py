"""Run every ``benchmarks/bench_*.py`` in turn, each in its own process (``make bench``).

Usage::

    python benchmarks/run.py                 # all of them
    python benchmarks/run.py tracking        # only those whose name contains "tracking"
    python benchmarks/run.py -- --quick      # pass arguments on to every benchmark

Each benchmark writes its JSON under ``benchmarks/results/`` and prints a Markdown table.
The exit code is non-zero when any benchmark failed; the others still run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        selectors, passthrough = argv[:split], argv[split + 1 :]
    else:
        selectors, passthrough = argv, []
    scripts = sorted(HERE.glob("bench_*.py"))
    if selectors:
        scripts = [s for s in scripts if any(sel in s.stem for sel in selectors)]
    if not scripts:
        print(f"no benchmark matches {selectors}", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        t0 = time.perf_counter()
        # Python puts the script's folder first on sys.path: it imports the _helpers beside it.
        code = subprocess.run([sys.executable, str(script), *passthrough], cwd=HERE).returncode
        print(
            f"=== {script.name}: exit {code} after {time.perf_counter() - t0:.0f} s ===", flush=True
        )
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
