"""Per-feature data drift: keel vs Evidently, NannyML and a bare scipy loop (issue 10).

The data (``_drift_data.py``): seeded reference and current tables of 20 numeric + 5
string categorical columns, at 100,000 and 1,000,000 rows, written once to Parquet under
``benchmarks/.data/drift-<rows>/``; five columns shifted in the current table (three
clearly above a 0.1 effect-size threshold, two real but small shifts below it).

Each measurement is a fresh process (``_drift_side.py``) that reads the Parquet files,
then times only the analysis (process CPU time, every thread, user+sys; wall beside it)
and reports its peak RSS:

- keel: ``ReferenceProfile.from_frame`` on the reference, saved (``keel-profile``, its
  cost reported separately); ``ReferenceProfile.load`` + ``drift_report`` on the current
  table (``keel-report``, the headline: what a monitor run pays per window); and both in
  one process from the two tables (``keel-full``, as the peers work).
- Evidently (``benchmarks/.venv-evidently``): ``Report([DataDriftPreset()])`` with its
  defaults, and with ``num_method="ks", cat_method="chisquare"``.
- NannyML (``benchmarks/.venv-nannyml``): ``UnivariateDriftCalculator`` with its default
  methods (Jensen-Shannon), 10 chunks; a column is flagged when any chunk alerts.
- scipy: a loop over ``ks_2samp`` + ``wasserstein_distance`` per numeric column and
  ``chi2_contingency`` (no correction) per categorical one, flagged at p < 0.05.

Repetitions are interleaved (3 at 100,000 rows, 2 at 1,000,000); figures are medians.
Concept drift: part C's ``_drift_concept.run_concept_benchmark`` in its own process.
Results: ``benchmarks/results/drift-<date>.json``; a Markdown table on stdout.
``KEEL_BENCH_EVIDENTLY_PYTHON`` / ``KEEL_BENCH_NANNYML_PYTHON`` name ready interpreters.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from _drift_data import CATEGORICAL, NUMERIC, SEED, SHIFTS, ensure_tables
from _harness import (
    HERE,
    competitor_python,
    fmt_duration,
    fmt_ratio,
    machine_info,
    run_json,
    verdict,
    write_results,
)

FULL = {
    "sizes": [100_000, 1_000_000],
    "reps": {"100000": 3, "1000000": 2},
    "concept_rows": 1_000_000,
    "concept_seed": 0,
    "peers": True,
}
# For checking the harness itself; its figures are not for publishing.
QUICK = {
    "sizes": [20_000],
    "reps": {"20000": 1},
    "concept_rows": 100_000,
    "concept_seed": 0,
    "peers": True,
}

EVIDENTLY_PACKAGES = ["evidently==0.7.23", "pyarrow", "pandas<3"]  # 0.7.23 breaks on pandas 3
NANNYML_PACKAGES = ["nannyml==0.13.1", "pyarrow", "statsmodels"]  # statsmodels: undeclared
KEEL_TOOLS = ("keel-report", "keel-full")
PEER_TOOLS = ("scipy", "evidently", "evidently-ks", "nannyml")
LABELS = {
    "keel-report": "keel `drift_report` (profile loaded from disk)",
    "keel-full": "keel profile + report in one process",
    "keel-profile": "keel `ReferenceProfile.from_frame` (once per reference)",
    "scipy": "bare scipy loop (KS + Wasserstein, chi-square)",
    "evidently": "Evidently `DataDriftPreset()` (defaults)",
    "evidently-ks": "Evidently `DataDriftPreset(num_method='ks', cat_method='chisquare')`",
    "nannyml": "NannyML `UnivariateDriftCalculator` (defaults, 10 chunks)",
}
VENV = {
    "scipy": "keel",
    "evidently": "evidently",
    "evidently-ks": "evidently",
    "nannyml": "nannyml",
}
EXPECTED = sorted(k for k, v in SHIFTS.items() if v["expected"])
SMALL = sorted(k for k, v in SHIFTS.items() if not v["expected"])
UNSHIFTED = [c for c in NUMERIC + CATEGORICAL if c not in SHIFTS]


def _log(msg: str) -> None:
    print(f"[bench_drift] {msg}", file=sys.stderr, flush=True)


def _side(python: str | Path, tool: str, ref: Path, cur: Path, profile: Path) -> dict:
    cmd = [str(python), "_drift_side.py", tool, "--reference", str(ref), "--current", str(cur)]
    cmd += ["--profile", str(profile)]
    # Passive OpenMP waiting: a spinning pool would bill idle CPU time to whoever uses it.
    return run_json(cmd, env={"OMP_WAIT_POLICY": "PASSIVE"}, timeout=3600)


def _analysis_cpu(sample: dict) -> float:
    cpu = sample["cpu_s"]
    return cpu.get("analysis_with_load", cpu["analysis"])


def _analysis_wall(sample: dict) -> float:
    wall = sample["wall_s"]
    return wall.get("analysis_with_load", wall["analysis"])


def _med_or_none(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize_tool(samples: list[dict]) -> dict:
    first = samples[0]
    med = statistics.median
    out = {
        "repetitions": len(samples),
        "cpu_s_p50": med(_analysis_cpu(s) for s in samples),
        "wall_s_p50": med(_analysis_wall(s) for s in samples),
        "cpu_s": [_analysis_cpu(s) for s in samples],
        "wall_s": [_analysis_wall(s) for s in samples],
        "process_cpu_s_p50": med(s["process_cpu_s"] for s in samples),
        "peak_rss_bytes_p50": med(s["peak_rss_bytes"] for s in samples),
        "peak_rss_bytes": [s["peak_rss_bytes"] for s in samples],
        "rss_after_imports_p50": med(s["rss_after_imports"] for s in samples),
        "rss_before_analysis_p50": _med_or_none([s.get("rss_before_analysis") for s in samples]),
        "analysis_peak_rss_bytes_p50": _med_or_none(
            [s.get("analysis_peak_rss_bytes") for s in samples]
        ),
        "data_bytes": first["data_bytes"],
        "version": first.get("version"),
        "sections_cpu_s": [s["cpu_s"] for s in samples],
    }
    if "flagged" in first:
        out["flagged"] = first["flagged"]
        out["flags_stable"] = all(s["flagged"] == first["flagged"] for s in samples)
        out["columns"] = first.get("columns")
        out["own_count"] = first.get("own_count")
    if "profile_bytes" in first:
        out["profile_bytes"] = first["profile_bytes"]
    return out


def flag_check(flagged: list[str]) -> dict:
    got = set(flagged)
    return {
        "found": sorted(got & set(EXPECTED)),
        "missed": sorted(set(EXPECTED) - got),
        "small_shifts_flagged": sorted(got & set(SMALL)),
        "unshifted_flagged": sorted(got & set(UNSHIFTED)),
        "correct": got == set(EXPECTED),
    }


def run_size(rows: int, reps: int, pythons: dict, root: Path) -> dict:
    folder = HERE / ".data" / f"drift-{rows}"
    _log(f"{rows:,} rows: tables under {folder.relative_to(HERE.parent)}")
    ref, cur = ensure_tables(folder, rows)
    profile = root / f"profile-{rows}.npz"
    effects = run_json([str(pythons["keel"]), "_drift_effects.py", str(ref), str(cur)])
    tools = ["keel-profile", *KEEL_TOOLS, *[t for t in PEER_TOOLS if VENV[t] in pythons]]
    samples: dict[str, list[dict]] = {t: [] for t in tools}
    order = [t for t in tools if t != "keel-profile"]
    for rep in range(reps):
        _log(f"{rows:,} rows, repetition {rep + 1}/{reps}: keel-profile")
        samples["keel-profile"].append(_side(pythons["keel"], "keel-profile", ref, cur, profile))
        shift = rep % len(order)  # rotate the order: background load falls on all alike
        for tool in order[shift:] + order[:shift]:
            _log(f"{rows:,} rows, repetition {rep + 1}/{reps}: {tool}")
            python = pythons["keel"] if tool.startswith("keel") else pythons[VENV[tool]]
            samples[tool].append(_side(python, tool, ref, cur, profile))
    summary = {t: summarize_tool(s) for t, s in samples.items()}
    for s in summary.values():
        if "flagged" in s:
            s["check"] = flag_check(s["flagged"])
    return {"rows": rows, "effects": effects, "tools": summary, "raw": samples}


def ratios(size: dict) -> dict:
    tools = size["tools"]
    keel = tools["keel-report"]
    full = tools["keel-full"]
    out: dict = {}
    for peer in PEER_TOOLS:
        if peer in tools:
            out[f"{peer}_cpu_over_keel"] = tools[peer]["cpu_s_p50"] / keel["cpu_s_p50"]
            out[f"{peer}_cpu_over_keel_full"] = tools[peer]["cpu_s_p50"] / full["cpu_s_p50"]
            out[f"{peer}_peak_rss_over_keel_full"] = (
                tools[peer]["peak_rss_bytes_p50"] / full["peak_rss_bytes_p50"]
            )
    for name, s in (("keel_report", keel), ("keel_full", full)):
        data = s["data_bytes"] + (
            tools["keel-profile"].get("profile_bytes", 0) if name == "keel_report" else 0
        )
        out[f"{name}_data_bytes"] = data
        out[f"{name}_peak_rss_over_data"] = s["peak_rss_bytes_p50"] / data
        out[f"{name}_added_rss_over_data"] = (
            s["peak_rss_bytes_p50"] - s["rss_after_imports_p50"]
        ) / data
        peak = s.get("analysis_peak_rss_bytes_p50")
        if peak:
            # The target's reading: what the data and the analysis hold at the analysis's
            # peak (its RSS above the interpreter with its imports) over the data's size.
            out[f"{name}_analysis_peak_over_data"] = (peak - s["rss_after_imports_p50"]) / data
            out[f"{name}_analysis_working_over_data"] = (peak - s["rss_before_analysis_p50"]) / data
    return out


# ---------------------------------------------------------------- report


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def _rss_path(s: dict) -> str:
    peak, loaded = s.get("analysis_peak_rss_bytes_p50"), s.get("rss_before_analysis_p50")
    if not peak or not loaded:
        return "—"
    return f"{_mb(s['rss_after_imports_p50'])} → {_mb(loaded)} → {_mb(peak)}"


def _cols(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _flags_cell(s: dict) -> str:
    c = s["check"]
    parts = [f"{len(c['found'])}/{len(EXPECTED)} shifted"]
    if c["small_shifts_flagged"]:
        parts.append(f"small: {_cols(c['small_shifts_flagged'])}")
    if c["unshifted_flagged"]:
        parts.append(f"**unshifted: {_cols(c['unshifted_flagged'])}**")
    return "; ".join(parts)


def size_table(size: dict, q: dict) -> list[str]:
    rows, tools = size["rows"], size["tools"]
    keel = tools["keel-report"]
    lines = [
        f"| Tool ({rows:,} rows, medians of {keel['repetitions']}) | CPU (analysis) | wall "
        "| CPU ÷ keel's | peak RSS (process) | RSS: after imports → tables loaded → analysis "
        "peak | data in memory | flags (of "
        f"{len(EXPECTED)} above, {len(SMALL)} below the threshold) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tool in ("keel-report", "keel-full", "keel-profile", *PEER_TOOLS):
        if tool not in tools:
            continue
        s = tools[tool]
        ratio = "1x" if tool == "keel-report" else fmt_ratio(s["cpu_s_p50"] / keel["cpu_s_p50"])
        if tool == "keel-profile":
            ratio = "(once)"
        flags = _flags_cell(s) if "check" in s else "—"
        lines.append(
            f"| {LABELS[tool]} | {fmt_duration(s['cpu_s_p50'])} | {fmt_duration(s['wall_s_p50'])} "
            f"| {ratio} | {_mb(s['peak_rss_bytes_p50'])} | {_rss_path(s)} "
            f"| {_mb(s['data_bytes'])} | {flags} |"
        )
    return lines


def _keel_flag(column: dict, flagged: bool) -> str:
    if flagged:
        return "yes"
    note = column.get("note") or ""
    return "no (its note: below the threshold)" if "below the threshold" in note else "no"


def shifts_table(size: dict) -> list[str]:
    tools, eff = size["tools"], size["effects"]
    keel_cols = tools["keel-report"].get("columns") or {}
    lines = [
        f"| Column ({size['rows']:,} rows) | Change | PSI | JS distance | Wasserstein ÷ std "
        "| keel: method, distance (threshold) | keel flags | Evidently (default) | "
        "Evidently KS/χ² | NannyML | scipy p < 0.05 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def flag(tool: str, col: str) -> str:
        s = tools.get(tool)
        if not s:
            return "—"
        return "yes" if col in s["flagged"] else "no"

    for col in [*SHIFTS, "(unshifted, any)"]:
        if col in SHIFTS:
            e = eff[col]
            k = keel_cols.get(col, {})
            wass = f"{e['wasserstein_over_std']:.3f}" if "wasserstein_over_std" in e else "—"
            kcell = (
                f"{k.get('method')}, {k.get('distance'):.3f} ({k.get('threshold')})"
                if k.get("distance") is not None
                else "—"
            )
            lines.append(
                f"| `{col}` | {SHIFTS[col]['change']} | {e['psi']:.4f} | {e['js']:.3f} | {wass} "
                f"| {kcell} | {_keel_flag(k, col in tools['keel-report']['flagged'])} "
                f"| {flag('evidently', col)} "
                f"| {flag('evidently-ks', col)} | {flag('nannyml', col)} | {flag('scipy', col)} |"
            )
        else:
            cells = []
            for tool in ("keel-report", "evidently", "evidently-ks", "nannyml", "scipy"):
                s = tools.get(tool)
                cells.append(
                    "—"
                    if not s
                    else str(len(s["check"]["unshifted_flagged"])) + f" of {len(UNSHIFTED)}"
                )
            top = max(
                (max(eff[c]["psi"], eff[c]["js"], eff[c].get("wasserstein_over_std", 0)), c)
                for c in UNSHIFTED
            )
            lines.append(
                f"| {len(UNSHIFTED)} unshifted columns | none | | | largest effect: "
                f"{top[0]:.3f} (`{top[1]}`) | | {' | '.join(cells)} |"
            )
    return lines


def concept_lines(concept: dict | None) -> list[str]:
    if concept is None:
        return ["Part C's `_drift_concept.py` was not there: no concept-drift figures."]
    if "error" in concept:
        return [f"`run_concept_benchmark` failed: {concept['error']}"]
    result = concept.get("result", {})
    if isinstance(result, dict) and isinstance(result.get("markdown"), str):
        return [result["markdown"].rstrip()]
    rows = result.get("rows") if isinstance(result, dict) else None
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        keys = list(rows[0])
        lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for r in rows:
            lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
        return lines
    return ["```json", json.dumps(result, indent=2, default=str)[:6000], "```"]


def markdown(p: dict) -> str:
    m, v = p["machine"], p["versions"]
    lines = [
        f"### Drift: keel vs Evidently, NannyML and a bare scipy loop ({m['date']})",
        "",
        f"- Machine: `{m['platform']}`, {m['cpu_model']}, {m['cpu_count']} cores "
        f"({m['cpu_usable']} usable), shared; Python {m['python']}; load average "
        f"{'/'.join(f'{x:.1f}' for x in m['load_average_start'])} at the start, "
        f"{'/'.join(f'{x:.1f}' for x in m['load_average_end'])} at the end",
        f"- keel {v.get('keel')}; Evidently {v.get('evidently')}, NannyML {v.get('nannyml')} "
        f"(own virtualenvs); scipy {v.get('scipy')}",
        "- Each figure: a fresh process per repetition, the analysis only (tables already in "
        "memory), process CPU time (user+sys, all threads), medians; peak RSS is the "
        "process's `ru_maxrss` (interpreter and imports included).",
        "",
    ]
    for size in p["results"]["sizes"]:
        q = size["ratios"]
        lines += [f"**{size['rows']:,} rows x 25 columns**", "", *size_table(size, q), ""]
        lines += [*shifts_table(size), ""]
    lines += ["**Targets**", "", *targets_lines(p), ""]
    lines += ["**Concept drift (part C)**", "", *concept_lines(p["results"].get("concept")), ""]
    notes = p.get("notes") or []
    lines += [f"- Note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def targets(p: dict) -> list[dict]:
    out = []
    for size in p["results"]["sizes"]:
        q, t, rows = size["ratios"], size["tools"], size["rows"]
        if rows < 100_000:
            continue  # the targets are for 100,000 rows and more
        if "evidently_cpu_over_keel" in q:
            out.append(
                {
                    "rows": rows,
                    "name": "CPU: Evidently (defaults) ÷ keel ≥ 10",
                    "value": q["evidently_cpu_over_keel"],
                    "met": q["evidently_cpu_over_keel"] >= 10,
                }
            )
        if "scipy_cpu_over_keel" in q:
            out.append(
                {
                    "rows": rows,
                    "name": "CPU: bare scipy loop ÷ keel > 1",
                    "value": q["scipy_cpu_over_keel"],
                    "met": q["scipy_cpu_over_keel"] > 1,
                }
            )
        for side, what in (
            ("keel_report", "keel report: current table + profile"),
            ("keel_full", "keel profile + report: both tables"),
        ):
            key = f"{side}_analysis_peak_over_data"
            if key in q:
                out.append(
                    {
                        "rows": rows,
                        "name": f"peak memory ÷ data ≤ 2 ({what}; RSS at the analysis's "
                        "peak above the RSS after imports)",
                        "value": q[key],
                        # Read at 1,000,000 rows, as the issue states it: below, the Parquet
                        # reader's fixed tens of MB weigh more than the tables.
                        "met": q[key] <= 2 if rows >= 1_000_000 else None,
                    }
                )
        out.append(
            {
                "rows": rows,
                "name": "flags: every shift above the threshold, nothing else",
                "value": None,
                "met": t["keel-report"]["check"]["correct"] and t["keel-full"]["check"]["correct"],
            }
        )
    return out


def targets_lines(p: dict) -> list[str]:
    lines = ["| Rows | Target | Measured | Verdict |", "|---|---|---|---|"]
    for t in p["targets"]:
        value = "—" if t["value"] is None else f"{t['value']:.3g}"
        cell = "(read at 1,000,000 rows)" if t["met"] is None else verdict(t["met"])
        lines.append(f"| {t['rows']:,} | {t['name']} | {value} | {cell} |")
    return lines


def _notes(p: dict) -> list[str]:
    notes = []
    for size in p["results"]["sizes"]:
        for tool, s in size["tools"].items():
            if "flags_stable" in s and not s["flags_stable"]:
                notes.append(
                    f"{tool} flagged different columns across repetitions at {size['rows']:,}"
                )
            if s["wall_s_p50"] > 1.5 * s["cpu_s_p50"]:
                notes.append(
                    f"{tool} at {size['rows']:,} rows: wall {s['wall_s_p50']:.1f} s vs CPU "
                    f"{s['cpu_s_p50']:.1f} s: the shared machine was busy; read CPU."
                )
        q = size["ratios"]
        if "keel_report_analysis_working_over_data" in q:
            notes.append(
                f"{size['rows']:,} rows: keel's analysis itself allocated at its peak "
                f"{q['keel_report_analysis_working_over_data']:.2f}x (report) and "
                f"{q['keel_full_analysis_working_over_data']:.2f}x (profile + report) the data "
                "it was given, above the RSS with the tables loaded."
            )
        notes.append(
            f"{size['rows']:,} rows: keel's report process peaked at "
            f"{q['keel_report_added_rss_over_data']:.2f}x (above its RSS after imports) / "
            f"{q['keel_report_peak_rss_over_data']:.2f}x (whole process) the current table + "
            "profile; profile + report in one process at "
            f"{q['keel_full_added_rss_over_data']:.2f}x / "
            f"{q['keel_full_peak_rss_over_data']:.2f}x both tables."
        )
    return notes


def run(cfg: dict) -> dict:
    import tempfile

    import scipy

    import keel

    machine = machine_info()
    machine["load_average_start"] = os.getloadavg()
    pythons: dict = {"keel": sys.executable}
    if cfg["peers"]:
        pythons["evidently"] = competitor_python(
            "evidently", EVIDENTLY_PACKAGES, "KEEL_BENCH_EVIDENTLY_PYTHON"
        )
        pythons["nannyml"] = competitor_python(
            "nannyml", NANNYML_PACKAGES, "KEEL_BENCH_NANNYML_PYTHON"
        )
    results: dict = {"sizes": []}
    with tempfile.TemporaryDirectory(prefix="keel-bench-drift-") as tmp:
        for rows in cfg["sizes"]:
            size = run_size(rows, cfg["reps"][str(rows)], pythons, Path(tmp))
            size["ratios"] = ratios(size)
            results["sizes"].append(size)
    results["concept"] = concept(cfg)
    machine["load_average_end"] = os.getloadavg()
    versions = {"keel": keel.__version__, "scipy": scipy.__version__}
    for size in results["sizes"]:
        for tool in ("evidently", "nannyml"):
            if tool in size["tools"]:
                versions[tool] = size["tools"][tool]["version"]
    payload = {
        "benchmark": "drift",
        "machine": machine,
        "versions": versions,
        "config": {**cfg, "seed": SEED, "shifts": SHIFTS},
        "results": results,
    }
    payload["targets"] = targets(payload)
    payload["notes"] = _notes(payload)
    return payload


def concept(cfg: dict) -> dict | None:
    if not (HERE / "_drift_concept.py").exists():
        return None
    _log(f"concept drift: run_concept_benchmark(n={cfg['concept_rows']:,})")
    cmd = [sys.executable, "_drift_side.py", "concept", "--rows", str(cfg["concept_rows"])]
    try:
        return run_json([*cmd, "--seed", str(cfg["concept_seed"])], timeout=1800)
    except Exception as exc:  # report it; the drift figures stand on their own
        return {"error": str(exc)[-2000:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows; writes nothing")
    parser.add_argument("--sizes", help="comma-separated row counts (default 100000,1000000)")
    parser.add_argument("--no-peers", action="store_true", help="keel and scipy only")
    parser.add_argument("--render", metavar="JSON", help="print the tables of a results file")
    parser.add_argument(
        "--concept-into", metavar="JSON", help="run only the concept benchmark, into that file"
    )
    args = parser.parse_args(argv)
    if args.render or args.concept_into:
        path = Path(args.render or args.concept_into)
        payload = json.loads(path.read_text())
        if args.concept_into:
            payload["results"]["concept"] = concept(payload["config"])
            path.write_text(json.dumps(payload, indent=2) + "\n")
        payload["targets"] = targets(payload)
        print(markdown(payload))
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    if args.sizes:
        cfg["sizes"] = [int(s) for s in args.sizes.split(",")]
        cfg["reps"] = {
            str(s): cfg["reps"].get(str(s), 3 if s < 1_000_000 else 2) for s in cfg["sizes"]
        }
    if args.no_peers:
        cfg["peers"] = False
    t0 = time.perf_counter()
    payload = run(cfg)
    payload["total_wall_s"] = time.perf_counter() - t0
    if args.quick:
        payload["notes"].append("--quick run: figures are not for publishing")
    else:
        path = write_results("drift", payload, payload["machine"]["date"])
        _log(f"wrote {path.relative_to(HERE.parent)}")
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
