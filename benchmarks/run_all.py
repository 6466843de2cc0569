#!/usr/bin/env python3
"""Every benchmark of issue 7 in one run, each section's table, then targets met or not.

    benchmarks/run_all.py [--quick] [--only startup,input,wayland,idle,memory,engine]

Sections, in this order, each its own process (so one cannot warm another's
caches or memory), all in one run so their ratios compare like with like:

* startup: `ergod --help`, `ergod status`, `ergod run` to READY=1 (startup.py);
* input: the whole `ergod run` beside a bare pynput listener and Workrave under a
  1,000/s mouse flood and 15 keys/s typing (input_load.py);
* wayland: `ergod run` on headless sway (as uid nobody) beside a bare pynput
  listener on Xvfb, a 1,000/s pointer flood and 15 keys/s typing into both
  (wayland_load.py);
* idle: `ergod run` with no input and while typing (idle_cost.py);
* memory: RSS/USS of the daemon, a simulated week, a 24 h soak (memory_soak.py);
* engine: events/s through the engine (simulate_day.py) and `ergod summary`
  over a year of stored data (summary_year.py).

Default: 5-minute idle and typing windows as the issue asks, about 15 minutes
in all on 2 cores; `--quick`: about 3 minutes, same tables, shorter windows.
The input section installs Workrave with apt-get when run as root and it is
missing (it is not a test dependency), and says so; otherwise the table says
Workrave was not measured. Exit status 0 when every section ran, whatever the
verdicts: the targets are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = ("startup", "input", "wayland", "idle", "memory", "engine")


def section_commands(name: str, quick: bool) -> list[list[str]]:
    """The scripts of one section with their durations for a default or quick run."""
    if name == "startup":
        return [["startup.py", "--repeat", "5" if quick else "10"]]
    if name == "input":
        return [["input_load.py", "--seconds", "10" if quick else "30"]]
    if name == "wayland":
        return [["wayland_load.py", "--seconds", "10" if quick else "30"]]
    if name == "idle":
        return [["idle_cost.py", "--seconds", "30" if quick else "300"]]
    if name == "memory":
        return [["memory_soak.py", "--flood-seconds", "15" if quick else "60"]]
    if quick:
        return [
            ["simulate_day.py", "--days", "2", "--repeat", "1"],
            ["summary_year.py", "--weeks", "12", "--repeat", "3"],
        ]
    return [["simulate_day.py"], ["summary_year.py"]]


def ensure_workrave() -> None:
    if shutil.which("workrave"):
        return
    if os.geteuid() != 0:
        print("Workrave is not installed and this is not root: it will not be measured.")
        return
    print("Workrave is not installed: apt-get install -y workrave (for the comparison only)")
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "workrave"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
    )
    if done.returncode != 0:
        print(f"apt-get failed ({done.returncode}): {done.stderr.strip()[-300:]}")


def engine_rows(script: str, output: str) -> list[dict[str, object]]:
    """The closing-table rows of the engine scripts, read from their printed tables."""
    if script == "simulate_day.py":
        match = re.search(r"^engine, every event\s+[\d.]+\s+([\d,]+)\s+([\d.]+)", output, re.M)
        if match:
            measured = f"{match[1]} events/s ({match[2]}x parsing the trace)"
            return [
                {
                    "target": "engine: events/s through simulate() (ergod simulate's engine)",
                    "measured": measured,
                }
            ]
    elif script == "summary_year.py":
        match = re.search(r"^ergod summary --format json \(subprocess\)\s+([\d.]+)", output, re.M)
        rows = re.search(r"^store: ([\d,]+) rows over (\d+) weeks", output, re.M)
        if match and rows:
            seconds = float(match[1])
            return [
                {
                    "target": "engine: ergod summary over a year < 1 s (issue 5)",
                    "measured": f"{seconds:.3f} s over {rows[1]} rows, {rows[2]} weeks",
                    "met": seconds < 1.0,
                }
            ]
    return [{"target": f"engine: {script}", "measured": "output not understood", "met": None}]


def run_section(name: str, quick: bool, results: Path) -> bool:
    ok = True
    for script, *args in section_commands(name, quick):
        argv = [sys.executable, str(HERE / script), *args]
        print(f"\n$ {' '.join([Path(sys.executable).name, script, *args])}", flush=True)
        started = time.monotonic()
        if name == "engine":  # these scripts take no --results: read their tables
            done = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
            print(done.stdout, end="", flush=True)
            if done.returncode == 0:
                with results.open("a") as out:
                    for row in engine_rows(script, done.stdout):
                        out.write(json.dumps(row) + "\n")
        else:
            done = subprocess.run([*argv, "--results", str(results)], text=True)
        print(f"({script}: {time.monotonic() - started:.0f} s)", flush=True)
        if done.returncode != 0:
            ok = False
            with results.open("a") as out:
                row = {"target": f"{name}: {script}", "measured": f"failed, exit {done.returncode}"}
                out.write(json.dumps(row) + "\n")
    return ok


def verdict(met: object) -> str:
    if met is None:
        return "-"
    return "met" if met else "NOT met"


def summary(results: Path) -> None:
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    width = max([len("target")] + [len(r["target"]) for r in rows])
    print(f"\n{'target':<{width}}  {'verdict':<8} measured")
    print(f"{'-' * width}  {'-' * 8} {'-' * 40}")
    for r in rows:
        print(f"{r['target']:<{width}}  {verdict(r.get('met')):<8} {r['measured']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="short windows, about 3 minutes")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}"
    )
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    ergod = Path(sys.executable).with_name("ergod")
    venv_python = HERE.parent / ".venv" / "bin" / "python"
    if not ergod.exists() and venv_python.exists():
        # Run as ./benchmarks/run_all.py: the sections need the venv's ergod and psutil.
        os.execv(venv_python, [str(venv_python), __file__, *sys.argv[1:]])
    if not ergod.exists():
        parser.error(f"{ergod} is missing: run with the project's venv python (.venv/bin/python)")
    started = time.monotonic()
    print(
        f"ergod benchmarks, {'quick' if args.quick else 'default'} run: {', '.join(chosen)}; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        flush=True,
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp:
        results = Path(tmp) / "results.jsonl"
        results.touch()
        for name in SECTIONS:
            if name not in chosen:
                continue
            print(f"\n=== {name} ===", flush=True)
            if name == "input":
                ensure_workrave()
            ok = run_section(name, args.quick, results) and ok
        print(f"\n=== summary ({(time.monotonic() - started) / 60:.1f} min) ===")
        summary(results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
