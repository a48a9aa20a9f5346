"""``python -m examples.report --out DIR``: reproduce every table and figure of the lab report.

Runs each experiment of ``examples.experiments`` on both tasks (5000 full-batch
epochs per run by default), the digits multiclass part and the Conv1d part,
spread over worker processes (one BLAS thread each: these models are far too
small for threaded BLAS to pay off), with a progress bar.  Then it draws the
figures, renders the model's computational graph as SVG and writes
``DIR/README.md``, a lab-report-style document whose readings are generated
from the measured numbers.  ``--quick`` runs everything briefly (for tests).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .conv import plot_conv_results, run_conv
from .datasets import TASK_TITLES, TASKS, load_task
from .digits import run_digits
from .experiments import EXPERIMENTS, all_configs
from .plotting import plot_confusion, plot_experiment, plot_learning_curve, plot_predictions
from .training import RunConfig, RunResult, train_binary

FULL = {"epochs": 5000, "digits": {}, "conv": {}}  # digits and conv: their CLIs' defaults
QUICK = {"epochs": 60, "digits": {"epochs": 1}, "conv": {"epochs": 1, "n_train": 100, "n_test": 100}}


@dataclass
class ReportData:
    """Everything the README is written from."""

    out: Path
    epochs: int
    quick: bool
    runs: dict[tuple, RunResult]
    digits: dict
    conv: dict
    figures: dict[str, str] = field(default_factory=dict)
    graph: str | None = None
    graph_error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    workers: int = 1

    def run(self, cfg: RunConfig) -> RunResult:
        return self.runs[cfg.key()]


def _limit_threads() -> None:
    """Keep BLAS single-threaded in this process (tiny matrices; the cores go to worker processes)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default thread count
        return
    threadpool_limits(1)


def _timed(fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


class Runner:
    """Runs ``(key, fn, args, kwargs)`` calls in ``workers`` processes (or in-process for 1), with a progress bar.

    Training runs and figure drawing both go through it, so both use every core.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = None
        if workers > 1:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_limit_threads)
        else:
            _limit_threads()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, calls: list[tuple], desc: str) -> dict[Any, tuple[Any, float]]:
        """Results by key as ``(return value, seconds)``."""
        done = {}
        with tqdm(total=len(calls), desc=desc, unit="job") as bar:
            if self.pool is None:
                for key, fn, args, kwargs in calls:
                    done[key] = _timed(fn, args, kwargs)
                    bar.update()
            else:
                futures = {self.pool.submit(_timed, fn, args, kwargs): key for key, fn, args, kwargs in calls}
                for fut in as_completed(futures):
                    done[futures[fut]] = fut.result()
                    bar.update()
        return done


def render_graph(out: Path) -> tuple[str | None, str | None]:
    """The baseline model's graph (forward + BCE on XOR) as SVG; returns (file name, error)."""
    import nn
    from autograd import Tensor

    from .models import build_mlp, seed_everything

    try:
        from autograd import viz
    except Exception as exc:  # viz is optional at import time (graphviz); report why it is missing
        return None, f"autograd.viz could not be imported: {exc!r}"
    seed_everything(0)
    model = build_mlp()
    X, y = load_task("xor")
    loss = nn.BCELoss(reduction="sum")(model(Tensor(X)), Tensor(y))
    try:
        path = viz.render(loss, out / "graph.svg", params=dict(model.named_parameters()))
    except Exception as exc:
        return None, f"autograd.viz.render failed: {exc!r}"
    return Path(path).name, None


def figure_calls(data: ReportData) -> list[tuple]:
    """Every figure the README references, as calls for ``Runner``: (key, function, args, kwargs)."""
    out, calls = data.out, []
    for task in TASKS:
        res = data.run(RunConfig(task=task, epochs=data.epochs))
        X, y = load_task(task)
        title = f"{TASK_TITLES[task]}: the report's model and hyperparameters"
        calls.append((f"{task}_predictions", plot_predictions, (X, y, res.probs > 0.5, out / f"{task}_predictions.png",
                                                                 title), {}))
        calls.append((f"{task}_learning_curve", plot_learning_curve,
                      (res.losses, out / f"{task}_learning_curve.png", f"{TASK_TITLES[task]}: learning curve"), {}))
    for exp in EXPERIMENTS:
        curves = {task: {exp.label(getattr(c, exp.field)): data.run(c).losses for c in exp.configs(task, data.epochs)}
                  for task in TASKS}
        calls.append((exp.slug, plot_experiment, (curves, out / f"exp_{exp.slug}.png", exp.title), {}))
    cm = np.array(data.digits["confusion_matrix"])
    calls.append(("digits", plot_confusion, (cm, out / "digits_confusion.png",
                                             f"Digits test set: accuracy {data.digits['test_accuracy']:.3f}"), {}))
    calls.append(("conv", plot_conv_results, (data.conv, out / "conv_motif.png"), {}))
    return calls


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m examples.report", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("report"), help="output directory (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="a few epochs per run: checks the pipeline, not the science")
    p.add_argument("--epochs", type=int, default=None, help="override the epochs of every binary run")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default: %(default)s)")
    p.add_argument("--docs-image", type=Path, default=None,
                   help="also copy the XOR prediction figure to this path (the main README's figure)")
    return p


def main(argv: Sequence[str] | None = None) -> ReportData:
    """Run everything, draw the figures, write README.md; returns what the README was written from."""
    from .writeup import write_readme

    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    settings = QUICK if args.quick else FULL
    epochs = args.epochs or settings["epochs"]
    if epochs < 1:
        raise SystemExit(f"--epochs must be positive, got {epochs}")
    args.out.mkdir(parents=True, exist_ok=True)
    configs = all_configs(epochs)
    calls = [("digits", run_digits, (), settings["digits"]), ("conv", run_conv, (), settings["conv"])]
    calls += [(c.key(), train_binary, (c,), {}) for c in configs]
    print(f"Running {len(configs)} training runs of {epochs} epochs, the digits and the Conv1d parts "
          f"in {args.jobs} process(es); output in {args.out}/")
    with Runner(args.jobs) as runner:
        done = runner.run(calls, "training")
        data = ReportData(out=args.out, epochs=epochs, quick=args.quick,
                          runs={c.key(): done[c.key()][0] for c in configs},
                          digits=done["digits"][0], conv=done["conv"][0], workers=args.jobs)
        data.seconds["training (wall clock)"] = time.perf_counter() - start
        data.seconds["binary runs (summed over runs)"] = sum(done[c.key()][1] for c in configs)
        data.seconds["digits (in its worker)"] = done["digits"][1]
        data.seconds["conv (in its worker)"] = done["conv"][1]
        t = time.perf_counter()
        figures = runner.run(figure_calls(data), "figures")
    data.figures = {key: Path(path).name for key, (path, _) in figures.items()}
    data.graph, data.graph_error = render_graph(args.out)
    data.seconds["figures and graph (wall clock)"] = time.perf_counter() - t
    data.seconds["total (wall clock)"] = time.perf_counter() - start
    readme = write_readme(data, machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for task in TASKS:
        res = data.run(RunConfig(task=task, epochs=epochs))
        print(f"{TASK_TITLES[task]}: Final Accuracy: {res.accuracy:.2f}  (final summed BCE {res.final_loss:.4f})")
    print(f"Digits test accuracy: {data.digits['test_accuracy']:.4f}")
    for name, m in data.conv["models"].items():
        print(f"{name}: test accuracy {m['test_accuracy']:.3f}")
    if data.graph_error:
        print(f"Graph not rendered: {data.graph_error}")
    if args.docs_image is not None:
        args.docs_image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.out / data.figures["xor_predictions"], args.docs_image)
    print(f"Wrote {readme} in {data.seconds['total (wall clock)']:.1f} s")
    return data


if __name__ == "__main__":
    main()
