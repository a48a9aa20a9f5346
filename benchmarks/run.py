"""Run the suite: check that the implementations agree, time them, print the table, write JSON.

``python -m benchmarks`` (or ``python benchmarks/run.py``) runs the six
workloads; ``--quick`` is a smoke run on tiny sizes (seconds; its numbers mean
nothing); ``--json PATH`` writes every measurement and the machine it ran on.
Before any timing, one step of each implementation from the same initial
weights is compared: a workload whose results differ is reported and not timed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:  # `python benchmarks/run.py`: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

IMPLS = ("numpy", "gradlab", "torch")
CAVEAT = (
    "OPENBLAS_CORETYPE (OpenBLAS's kernel choice) may be set on this machine; the suite leaves it as found, "
    "and the BLAS-bound workloads (the two big MLPs) depend on it. Value here: {}."
)


class MismatchError(AssertionError):
    """Two implementations of a workload computed different results."""


def max_rel_diff(ref: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> tuple[float, str]:
    """The largest ``max|a - b| / max|a|`` over the compared arrays, and the array's name."""
    if ref.keys() != other.keys():
        raise MismatchError(f"compared different results: {sorted(ref)} vs {sorted(other)}")
    worst, where = 0.0, ""
    for name, a in ref.items():
        b = other[name]
        a = np.asarray(a, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise MismatchError(f"{name}: shape {b.shape}, expected {a.shape}")
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        rel = diff / scale if scale > 0 else diff
        if not np.isfinite(rel) or rel > worst:
            worst, where = (float("inf") if not np.isfinite(rel) else rel), name
    return worst, where


def _runners(p, impls: tuple[str, ...]) -> dict[str, Any]:
    from benchmarks import gradlab_impl, numpy_reference

    makers = {"numpy": numpy_reference.make, "gradlab": gradlab_impl.make}
    if "torch" in impls:
        from benchmarks import torch_reference

        makers["torch"] = torch_reference.make
    return {name: makers[name](p) for name in impls}


def run_workload(p, impls: tuple[str, ...], repeats: int, min_time: float, warmup: int, memory: bool) -> dict:
    """Check, time and (for the big MLPs) measure the peak memory of one problem."""
    from benchmarks.timing import measure, peak_memory

    entry: dict[str, Any] = {"key": p.key, "title": p.title, "unit": p.unit, "per": p.per,
                             "dtype": np.dtype(p.dtype).name, "tolerance": p.tol, "error": None}
    try:
        runners = _runners(p, impls)
    except (ImportError, AttributeError) as e:  # nn/optim missing or incomplete: say so, run the rest
        entry["error"] = f"cannot build the library side: {type(e).__name__}: {e}"
        return entry
    snaps = {}
    for name, r in runners.items():
        r.step()
        snaps[name] = r.snapshot()
    entry["check"] = {}
    for name in impls[1:]:
        rel, where = max_rel_diff(snaps["numpy"], snaps[name])
        entry["check"][name] = {"max_rel_diff": rel, "worst": where}
        if not rel <= p.tol:
            entry["error"] = f"{name} differs from the hand-written NumPy in {where}: relative {rel:.3g} > {p.tol:g}"
    if entry["error"]:
        return entry
    times = measure({n: r.step for n, r in runners.items()}, repeats, min_time, warmup)
    entry["times"] = times
    for name in impls:
        entry[f"{name}_s"] = times[name]["median_s"] / p.per
    entry["ratio"] = entry["gradlab_s"] / entry["numpy_s"]
    if "torch" in impls:
        entry["torch_ratio"] = entry["torch_s"] / entry["numpy_s"]
    if memory and p.memory:
        mem = {f"{n}_bytes": peak_memory(runners[n].step) for n in ("numpy", "gradlab")}
        mem["ratio"] = mem["gradlab_bytes"] / mem["numpy_bytes"]
        entry["memory"] = mem
    entry["_runners"] = runners  # for --profile; removed before JSON
    return entry


def run_suite(
    quick: bool = False,
    repeats: int | None = None,
    keys: list[str] | None = None,
    torch: bool = True,
    min_time: float | None = None,
    warmup: int | None = None,
    memory: bool = True,
    profile: int = 0,
    log: Any = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Run the suite on one thread and return its results (the JSON's content)."""
    from threadpoolctl import threadpool_limits

    from benchmarks import workloads
    from benchmarks.timing import machine_info

    torch_version = None
    if torch:
        from benchmarks.torch_reference import available

        torch_version = available()
    impls = IMPLS if torch_version else IMPLS[:2]
    repeats = repeats if repeats is not None else (1 if quick else 7)
    min_time = min_time if min_time is not None else (0.0 if quick else 0.2)
    warmup = warmup if warmup is not None else (1 if quick else 3)
    if repeats < 1 or warmup < 0 or min_time < 0:
        raise ValueError(f"need repeats >= 1, warmup >= 0, min_time >= 0; got {repeats}, {warmup}, {min_time}")
    results: dict[str, Any] = {
        "quick": quick, "repeats": repeats, "min_time_s": min_time, "warmup": warmup, "threads": 1,
        "implementations": list(impls), "command": command or f"run_suite(quick={quick}, keys={keys})",
        "machine": machine_info(torch_version), "workloads": [],
    }
    with threadpool_limits(limits=1):
        for p in workloads.build(keys, quick):
            if log:
                log(f"running {p.key}: {p.title} ...")
            entry = run_workload(p, impls, repeats, min_time, warmup, memory)
            runners = entry.pop("_runners", None)
            if profile and runners:
                from benchmarks.profiling import profile_step

                entry["profile"] = profile_step(runners["gradlab"].step, entry["times"]["gradlab"]["calls_per_repeat"],
                                                profile)
            results["workloads"].append(entry)
    return results


def format_report(results: dict[str, Any]) -> str:
    """The table of times and ratios, the memory table and the machine, as Markdown."""
    from benchmarks.timing import format_seconds

    m = results["machine"]
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})"
                     for b in m["blas"] if b["user_api"] == "blas") or "BLAS not found by threadpoolctl"
    lines = [
        f"gradlab benchmarks, {m['date']}: {m['cpu']}, {m['cores']} cores; Python {m['python']}, "
        f"NumPy {m['numpy']} ({blas}), PyTorch {m['torch'] or 'not measured'}",
        f"one thread (threadpoolctl; torch.set_num_threads(1)), median of {results['repeats']} repeats after "
        f"{results['warmup']} warm-up calls, garbage collector on (collected before each repeat); "
        "ratios are to the hand-written NumPy of the same run.",
        f"command: {results['command']}",
        "",
    ]
    if results["quick"]:
        lines += ["QUICK MODE: tiny sizes, one repeat. These numbers mean nothing.", ""]
    torch = "torch" in results["implementations"]
    head = "| workload | numpy | gradlab | ratio |" + (" torch | torch ratio |" if torch else "")
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for w in results["workloads"]:
        title = w["title"]
        if w.get("error"):
            lines.append(f"| {title} | not run: {w['error']} |")
            continue
        row = f"| {title} | {format_seconds(w['numpy_s'])} | {format_seconds(w['gradlab_s'])} | {w['ratio']:.2f}x |"
        if torch:
            row += f" {format_seconds(w['torch_s'])} | {w['torch_ratio']:.2f}x |"
        lines.append(row)
    mem = [w for w in results["workloads"] if w.get("memory")]
    if mem:
        lines += ["", "Peak memory of one training step (tracemalloc, beyond what was live before it):", "",
                  "| workload | numpy | gradlab | ratio |", "|---|---|---|---|"]
        for w in mem:
            mm = w["memory"]
            lines.append(f"| {w['title']} | {mm['numpy_bytes'] / 2**20:.2f} MiB | {mm['gradlab_bytes'] / 2**20:.2f} MiB | "
                         f"{mm['ratio']:.2f}x |")
    lines += ["", CAVEAT.format(m["env"].get("OPENBLAS_CORETYPE") or "unset")]
    for w in results["workloads"]:
        if w.get("profile"):
            lines += ["", f"Profile of the library on {w['title']} (top functions by own time):", w["profile"]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from benchmarks.workloads import BUILDERS

    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    ap.add_argument("--repeats", type=int, help="timed repeats per implementation; the median is reported (default 7)")
    ap.add_argument("--warmup", type=int, help="untimed calls before timing (default 3)")
    ap.add_argument("--min-time", type=float, help="seconds each repeat lasts at least (default 0.2)")
    ap.add_argument("--only", action="append", choices=list(BUILDERS), help="run only this workload (repeatable)")
    ap.add_argument("--no-torch", action="store_true", help="leave out the PyTorch column")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="cProfile the library on each workload and print its top N functions")
    ap.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns 1 if any workload's implementations disagree or could not run."""
    import json

    args = parse_args(argv)
    script = Path(sys.argv[0]).name == "run.py" and argv is None
    prog = f"python {sys.argv[0]}" if script else "python -m benchmarks"
    command = " ".join([prog, *(sys.argv[1:] if argv is None else argv)])
    results = run_suite(quick=args.quick, repeats=args.repeats, keys=args.only, torch=not args.no_torch,
                        min_time=args.min_time, warmup=args.warmup, memory=not args.no_memory,
                        profile=args.profile, log=lambda s: print(s, file=sys.stderr, flush=True), command=command)
    print(format_report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 1 if any(w.get("error") for w in results["workloads"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
