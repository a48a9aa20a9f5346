"""Write the report's README.md from measured results.

Every sentence that states a result is built from the numbers in ``ReportData``
(accuracies, final losses, epochs to cut the loss tenfold, divergence), so the
text stays true whatever a rerun measures; only the background (what each
experiment asks, how the setup matches the original report) is fixed prose.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .conv import MODELS as CONV_MODELS
from .datasets import TASK_TITLES, TASKS, load_task
from .digits import DEFAULT_EPOCHS
from .experiments import EXPERIMENTS, Experiment
from .training import RunConfig, RunResult

if TYPE_CHECKING:
    from .report import ReportData


def epochs_to_tenth(losses: np.ndarray) -> int | None:
    """First epoch whose loss is at most a tenth of the first epoch's (None if never)."""
    hit = np.flatnonzero(losses <= 0.1 * losses[0])
    return int(hit[0]) + 1 if hit.size else None


def no_progress(r: RunResult) -> bool:
    """Diverged, or the final loss is still at least 90% of the initial one."""
    return r.diverged_at is not None or r.final_loss >= 0.9 * r.losses[0]


def fmt_loss(r: RunResult) -> str:
    return f"diverged (epoch {r.diverged_at})" if r.diverged_at is not None else f"{r.final_loss:.4g}"


def join(items: Iterable[str]) -> str:
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def rows_of(exp: Experiment, data: ReportData, task: str) -> list[tuple[str, RunResult]]:
    return [(exp.label(getattr(c, exp.field)), data.run(c)) for c in exp.configs(task, data.epochs)]


def experiment_table(exp: Experiment, data: ReportData) -> list[str]:
    head = "| setting | " + " | ".join(f"{TASK_TITLES[t]}: final loss | accuracy | epochs to loss/10" for t in TASKS) + " |"
    lines = [head, "|" + "---|" * (1 + 3 * len(TASKS))]
    per_task = [rows_of(exp, data, t) for t in TASKS]
    for i, (label, _) in enumerate(per_task[0]):
        cells = []
        for rows in per_task:
            r = rows[i][1]
            e = epochs_to_tenth(r.losses)
            cells += [fmt_loss(r), f"{r.accuracy:.2f}", str(e) if e else "never"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def generic_reading(exp: Experiment, data: ReportData) -> list[str]:
    bullets = []
    for task in TASKS:
        rows = rows_of(exp, data, task)
        perfect = [label for label, r in rows if r.accuracy == 1.0]
        others = [f"{label} ({r.accuracy:.2f})" for label, r in rows if r.accuracy < 1.0]
        if not others:
            text = "every setting reaches accuracy 1.00"
        elif perfect:
            text = f"accuracy 1.00: {join(perfect)}; below 1.00: {join(others)}"
        else:
            text = f"no setting reaches accuracy 1.00 ({join(others)})"
        finite = [(label, r) for label, r in rows if r.diverged_at is None]
        if finite:
            label, best = min(finite, key=lambda lr: lr[1].final_loss)
            text += f". Lowest final loss: {label} ({best.final_loss:.3g})"
        fast = [(epochs_to_tenth(r.losses), label) for label, r in rows if epochs_to_tenth(r.losses)]
        if fast:
            e, label = min(fast)
            text += f"; fastest to cut its loss tenfold: {label} (epoch {e})"
        stuck = [label for label, r in rows if no_progress(r)]
        if stuck:
            text += (f". No real progress (diverged, or final loss still >= 90% of the first epoch's): "
                     f"{join(stuck)}")
        bullets.append(f"- **{TASK_TITLES[task]}**: {text}.")
    return bullets


def _acc(data: ReportData, task: str, **change) -> float:
    return data.run(RunConfig(task=task, epochs=data.epochs, **change)).accuracy


def specific_reading(exp: Experiment, data: ReportData) -> list[str]:
    """One or two computed observations particular to the experiment."""
    both = [exp.label(v) for v in exp.values if all(_acc(data, t, **{exp.field: v}) == 1.0 for t in TASKS)]
    if exp.slug == "learning_rate":
        n = {t: len(load_task(t)[1]) for t in TASKS}
        return [f"- Accuracy 1.00 on both tasks: {join(both)}.",
                f"- The loss is summed over the batch, as the report's gradient was, so at a given learning rate "
                f"each step is {n['linear']} times (Linear) and {n['xor']} times (XOR) the step of a mean-reduced "
                f"loss: large rates overshoot on the larger Linear set first."]
    if exp.slug == "hidden_units":
        out = []
        for task in TASKS:
            ok = sorted(v for v in exp.values if _acc(data, task, hidden=v) == 1.0)
            bad_wider = [v for v in exp.values if ok and v > ok[0] and _acc(data, task, hidden=v) < 1.0]
            line = f"- {TASK_TITLES[task]}: narrowest width reaching 1.00: {ok[0] if ok else 'none'}"
            if bad_wider:
                line += (f"; yet {join(str(v) for v in bad_wider)} units fall short, so those failures are "
                         f"optimisation (initialisation, step size), not missing capacity")
            out.append(line + ".")
        return out
    if exp.slug == "hidden_activation":
        w = {t: _acc(data, t, activation="sigmoid") for t in TASKS}
        wo = {t: _acc(data, t, activation="none") for t in TASKS}
        out = [f"- With hidden sigmoids: Linear {w['linear']:.2f}, XOR {w['xor']:.2f}; "
               f"without: Linear {wo['linear']:.2f}, XOR {wo['xor']:.2f}."]
        if wo["linear"] < 1.0:
            r = data.run(RunConfig(task="linear", epochs=data.epochs, activation="none"))
            out.append(f"- The Linear labels are a linear function's sign (x > y), so a linear model can fit them: "
                       f"its failure here is one of optimisation, not capacity (loss {fmt_loss(r)} at the end "
                       f"against {r.losses[0]:.4g} in the first epoch).")
        if wo["xor"] < 1.0:
            out.append("- Without hidden activations the network collapses to one affine map and the output "
                       "sigmoid, a single straight decision boundary, which cannot separate XOR's two diagonals.")
        return out
    if exp.slug in ("optimizer", "activation"):
        out = []
        for task in TASKS:
            rows = sorted(rows_of(exp, data, task),
                          key=lambda lr: np.inf if lr[1].diverged_at else lr[1].final_loss)
            out.append(f"- {TASK_TITLES[task]}, by final loss (lowest first): " + " < ".join(
                f"{label} ({fmt_loss(r)})" for label, r in rows) + ".")
        return out
    if exp.slug == "reduction":
        s = {t: _acc(data, t, reduction="sum") for t in TASKS}
        m = {t: _acc(data, t, reduction="mean") for t in TASKS}
        verdict = ("only the summed loss reproduces the report's `Final Accuracy: 1.00` on both tasks"
                   if all(v == 1.0 for v in s.values()) and any(v < 1.0 for v in m.values())
                   else "both reductions give the accuracies above")
        return [f"- At lr 0.05: summed loss: Linear {s['linear']:.2f}, XOR {s['xor']:.2f}; mean loss: "
                f"Linear {m['linear']:.2f}, XOR {m['xor']:.2f}. In this run {verdict}."]
    return []


def baseline_section(data: ReportData) -> list[str]:
    base = {t: data.run(RunConfig(task=t, epochs=data.epochs)) for t in TASKS}
    lines = ["## 1. The report's model on both tasks", "",
             "Linear(2, 32) → sigmoid → Linear(32, 32) → sigmoid → Linear(32, 1) → sigmoid, BCE summed over "
             f"the batch, SGD with learning rate 0.05, {data.epochs} full-batch epochs, seed 0.", "",
             "| task | points | final loss (summed BCE) | Final Accuracy |", "|---|---|---|---|"]
    for t in TASKS:
        lines.append(f"| {TASK_TITLES[t]} | {len(load_task(t)[1])} | {fmt_loss(base[t])} | {base[t].accuracy:.2f} |")
    step = max(data.epochs // 10, 1)
    marks = list(range(step, data.epochs + 1, step))
    lines += ["", "The report's progress lines (`Epoch e/E Loss: ...`), both tasks:", "",
              "| epoch | " + " | ".join(TASK_TITLES[t] for t in TASKS) + " |", "|---|" + "---|" * len(TASKS)]
    lines += [f"| {e}/{data.epochs} | " + " | ".join(f"{base[t].losses[e - 1]:.6f}" for t in TASKS) + " |"
              for e in marks]
    probs = np.array2string(base["xor"].probs.reshape(-1), precision=3, suppress_small=True, max_line_width=100)
    lines += ["", "Predicted probabilities on XOR (first 11 points label 0, last 10 label 1):", "",
              "```", probs, "```", ""]
    for t in TASKS:
        lines += [f"![{TASK_TITLES[t]}: ground truth and predictions]({data.figures[f'{t}_predictions']})",
                  f"![{TASK_TITLES[t]}: learning curve]({data.figures[f'{t}_learning_curve']})", ""]
    return lines


def digits_section(data: ReportData, number: int) -> list[str]:
    d = data.digits
    cm = np.array(d["confusion_matrix"])
    off = cm - np.diag(np.diag(cm))
    true, pred = np.unravel_index(int(off.argmax()), off.shape)
    worst = (f"The most frequent confusion: {off[true, pred]} test image(s) of digit {true} classified as {pred}."
             if off.max() > 0 else "No test image is misclassified.")
    gap = d["train_accuracy"] - d["test_accuracy"]
    return [f"## {number}. Multiclass output: softmax and cross-entropy on real digits", "",
            "The report's extension to several classes: 10 output logits, `CrossEntropyLoss` (log-softmax and "
            "negative log-likelihood in one numerically stable op), predictions from the softmax probabilities. "
            "Data: scikit-learn's bundled 8x8 digits (1797 images, no download), standardised with training "
            f"statistics, split stratified into {d['n_train']} training and {d['n_test']} held-out test images. "
            f"Model: 64 → {d['hidden']} ReLU (dropout 0.2) → 10, Adam (lr {d['lr']:g}), batches of "
            f"{d['batch_size']}, {d['epochs']} epochs"
            + (" (as `python -m examples.digits`)." if d["epochs"] == DEFAULT_EPOCHS else "."), "",
            "| train accuracy | test accuracy | training time |", "|---|---|---|",
            f"| {d['train_accuracy']:.4f} | {d['test_accuracy']:.4f} | {d['seconds']:.1f} s |", "",
            f"![Digits confusion matrix]({data.figures['digits']})", "",
            f"- {worst} The train/test accuracy gap is {gap:+.3f}.", ""]


def conv_section(data: ReportData, number: int) -> list[str]:
    c = data.conv
    lines = [f"## {number}. Conv1d: the part the report could not finish", "",
             f"Task: {c['n_train']} training and {c['n_test']} test signals of length 64 with Gaussian noise "
             f"(sd {c['noise']:g}); class 1 hides a 9-sample motif at a random position, class 0 its time-reversed "
             "copy with the same energy. Only the shape tells the classes apart, wherever it lies. The "
             "convolutional net (`Conv1d(1, 8, 9)` → ReLU → max over positions → `Linear(8, 2)`) is compared "
             f"with MLPs on the raw 64 samples; all use Adam and cross-entropy for {c['epochs']} epochs.", "",
             "| model | parameters | train accuracy | test accuracy |", "|---|---|---|---|"]
    for name, m in c["models"].items():
        lines.append(f"| {name} | {m['params']} | {m['train_accuracy']:.3f} | {m['test_accuracy']:.3f} |")
    names = list(CONV_MODELS)
    conv, mlps = c["models"][names[0]], [c["models"][n] for n in names[1:]]
    best_mlp = max(m["test_accuracy"] for m in mlps)
    if conv["test_accuracy"] > best_mlp:
        verdict = (f"The convolution wins: {conv['test_accuracy']:.3f} test accuracy with {conv['params']} "
                   f"parameters against at most {best_mlp:.3f} for the MLPs")
    else:
        verdict = (f"In this run the convolution does not beat the MLPs ({conv['test_accuracy']:.3f} against "
                   f"{best_mlp:.3f})")
    gaps = [f"{n} {m['train_accuracy'] - m['test_accuracy']:+.3f}" for n, m in zip(names[1:], mlps)]
    lines += ["", f"![Conv1d versus MLP]({data.figures['conv']})", "",
              f"- {verdict}. Train-minus-test accuracy of the MLPs: {join(gaps)}: a large gap means the MLP "
              "memorised the training signals instead of learning the motif's shape.", ""]
    return lines


def summary_section(data: ReportData) -> list[str]:
    """The abstract: the headline numbers of every part, as measured in this run."""
    base = {t: data.run(RunConfig(task=t, epochs=data.epochs)) for t in TASKS}
    mean = {t: data.run(RunConfig(task=t, epochs=data.epochs, reduction="mean")) for t in TASKS}
    names = list(CONV_MODELS)
    conv = data.conv["models"]
    best_mlp = max(names[1:], key=lambda n: conv[n]["test_accuracy"])
    return ["## Summary", "",
            f"- The report's model and hyperparameters reach `Final Accuracy: {base['linear'].accuracy:.2f}` on "
            f"Linear and `{base['xor'].accuracy:.2f}` on XOR (easy) with the batch-summed BCE of the report's "
            f"gradient; with a mean-reduced loss the same run ends at {mean['linear'].accuracy:.2f} and "
            f"{mean['xor'].accuracy:.2f}.",
            f"- {sum(len(exp.values) for exp in EXPERIMENTS)} settings in {len(EXPERIMENTS)} experiments "
            f"({len(data.runs)} distinct runs of {data.epochs} epochs), each on both tasks, in sections 2 to "
            f"{len(EXPERIMENTS) + 1}.",
            f"- Multiclass digits (softmax + cross-entropy): test accuracy {data.digits['test_accuracy']:.3f} on "
            f"{data.digits['n_test']} held-out images.",
            f"- Conv1d on motif detection: test accuracy {conv[names[0]]['test_accuracy']:.3f} "
            f"({conv[names[0]]['params']} parameters) against {conv[best_mlp]['test_accuracy']:.3f} for the best "
            f"MLP ({conv[best_mlp]['params']} parameters).", ""]


def write_readme(data: ReportData, machine: str = "") -> Path:
    """Write ``data.out / 'README.md'`` and return its path."""
    s = data.seconds
    lines = ["# Lab report, reproduced with gradlab", "",
             f"Generated by `python -m examples.report{' --quick' if data.quick else ''}` on "
             f"{datetime.date.today().isoformat()} ({machine}; {data.workers} worker process(es)) "
             f"in {s['total (wall clock)']:.1f} s.", ""]
    if data.quick:
        lines += [f"> **Quick mode**: {data.epochs} epochs per run and shortened extra parts. This checks the "
                  "pipeline; the numbers below are not the report's results.", ""]
    lines += summary_section(data)
    reduction_section = 2 + [e.slug for e in EXPERIMENTS].index("reduction")
    lines += ["## How this matches the report", "",
              "The report trained a two-hidden-layer sigmoid MLP with hand-written backpropagation on two 2-D "
              "datasets: **Linear** (100 points uniform in [0, 1]², label 0 if x > y else 1) and **XOR (easy)** "
              "(21 points: (0.1i, 0.1i) with label 0 for i = 0..10, (0.1i, 1 − 0.1i) with label 1 for i ≠ 5). "
              "Its gradient *sums* over the batch (the weight update is `delta @ a.T`), so its learning rate of "
              "0.05 is a per-sample rate. Here the same network is built from `nn` modules, and the loss is "
              "`nn.BCELoss(reduction='sum')`, which gives exactly that gradient; a mean-reduced loss would divide "
              f"every step by the batch size (section {reduction_section} measures the difference). Every other "
              "experiment changes one setting of this baseline.", ""]
    lines += baseline_section(data)
    for i, exp in enumerate(EXPERIMENTS, start=2):
        lines += [f"## {i}. {exp.title}", "", exp.question, "",
                  f"![{exp.title}]({data.figures[exp.slug]})", ""]
        lines += experiment_table(exp, data)
        lines += ["", "Reading:", ""] + generic_reading(exp, data) + specific_reading(exp, data) + [""]
    n = len(EXPERIMENTS) + 2
    lines += digits_section(data, n) + conv_section(data, n + 1)
    lines += [f"## {n + 2}. The computational graph", ""]
    if data.graph:
        lines += ["The baseline model's forward pass and summed BCE loss on XOR, drawn by "
                  "`autograd.viz.render(loss, path, params=dict(model.named_parameters()))`:", "",
                  f"![Computational graph]({data.graph})", ""]
    else:
        lines += [f"Not rendered: {data.graph_error}", ""]
    lines += [f"## {n + 3}. Run time", "", "| part | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in s.items()]
    lines += ["", "## Reproduce", "", "```bash", "pip install -e \".[examples]\"",
              "python -m examples.report --out report     # everything above",
              "python -m examples.train --task xor        # one run, the report's defaults",
              "python -m examples.digits --json digits.json",
              "python -m examples.conv", "```", ""]
    path = data.out / "README.md"
    path.write_text("\n".join(lines))
    return path
