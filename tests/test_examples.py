"""The examples package: the report's datasets, the CLIs and the report runner.

The datasets are checked against the report's definitions; the CLIs are run
in-process on a few epochs and their files and JSON inspected; the report runs in
``--quick`` mode and its README must hold every section with every figure it
references on disk.  One slower test trains the report's defaults for the full
5000 epochs: that is the reproduction's central claim.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import nn
from examples import conv, digits, report, train
from examples.datasets import (
    MOTIF,
    generate_linear,
    generate_xor_easy,
    load_digits_split,
    load_task,
    make_motif_signals,
)
from examples.experiments import EXPERIMENTS, all_configs  # noqa: E402
from examples.training import RunConfig, accuracy, train_binary  # noqa: E402

# ---------------------------------------------------------------- datasets


def test_xor_easy_is_the_reports_21_points():
    X, y = generate_xor_easy()
    expected = [(0.1 * i, 0.1 * i, 0.0) for i in range(11)]
    expected += [(0.1 * i, 1 - 0.1 * i, 1.0) for i in range(11) if i != 5]
    assert X.shape == (21, 2) and y.shape == (21, 1)
    np.testing.assert_allclose(np.column_stack([X, y]), np.array(expected), atol=1e-12)
    # The centre (0.5, 0.5) lies on both diagonals: it appears once, with label 0.
    centre = np.all(np.isclose(X, 0.5), axis=1)
    assert centre.sum() == 1 and y[centre, 0] == 0


def test_linear_labels_follow_x_greater_than_y_and_are_seeded():
    X, y = generate_linear(100, seed=3)
    assert X.shape == (100, 2) and y.shape == (100, 1)
    assert X.min() >= 0.0 and X.max() <= 1.0
    above = X[:, 0] > X[:, 1]
    assert np.all(y[above, 0] == 0) and np.all(y[~above, 0] == 1)
    assert 20 < y.sum() < 80  # both classes well represented
    X2, y2 = generate_linear(100, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.allclose(X, generate_linear(100, seed=4)[0])
    assert generate_linear(7, seed=0)[0].shape == (7, 2)


def test_load_task_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown task 'circle'"):
        load_task("circle")
    with pytest.raises(ValueError, match="n must be >= 1"):
        generate_linear(0)


def test_motif_signals_hide_the_motif_or_its_reverse_where_they_say():
    X, y, starts = make_motif_signals(40, length=32, noise=0.0, seed=1, return_starts=True)
    assert X.shape == (40, 1, 32) and y.dtype == np.int64 and y.sum() == 20
    k = len(MOTIF)
    for signal, label, s in zip(X[:, 0], y, starts):
        pattern = MOTIF if label == 1 else MOTIF[::-1]
        np.testing.assert_allclose(signal[s:s + k], pattern)
        assert np.count_nonzero(np.delete(signal, np.arange(s, s + k))) == 0
    with pytest.raises(ValueError, match="motif length"):
        make_motif_signals(4, length=5)


def test_digits_split_is_stratified_and_scaled():
    X_train, X_test, y_train, y_test = load_digits_split(test_size=0.25, seed=0)
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    counts_all = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    np.testing.assert_allclose(np.bincount(y_test, minlength=10), counts_all * 0.25, atol=1.0)


def test_confusion_matrix_and_accuracy_helpers():
    cm = digits.confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), n=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 0]])
    assert accuracy(np.array([[0.2], [0.7], [0.51]]), np.array([[0.0], [1.0], [0.0]])) == pytest.approx(2 / 3)


# ---------------------------------------------------------------- train CLI


def test_train_cli_writes_figures_model_and_metrics(tmp_path, capsys):
    out, js = tmp_path / "run", tmp_path / "m" / "metrics.json"
    result = train.main(["--task", "linear", "--optimizer", "adam", "--lr", "0.05", "--epochs", "40",
                         "--log-every", "10", "--out", str(out), "--json", str(js)])
    text = capsys.readouterr().out
    assert re.findall(r"^Epoch (\d+)/40 Loss: [0-9.]+$", text, re.M) == ["10", "20", "30", "40"]
    assert f"Final Accuracy: {result.accuracy:.2f}" in text and "reduction: sum" in text
    for name in ("linear_learning_curve.png", "linear_predictions.png", "linear_model.npz"):
        assert (out / name).stat().st_size > 1000
    metrics = json.loads(js.read_text())
    assert {"accuracy", "final_loss", "losses"} <= set(metrics)
    losses = metrics["losses"]
    assert len(losses) == 40 and metrics["final_loss"] == losses[-1]
    assert losses[-1] < 0.5 * losses[0]
    assert metrics["accuracy"] == result.accuracy
    saved = nn.load(out / "linear_model.npz")
    state = result.model.state_dict()
    assert list(saved) == list(state)
    for key in state:
        np.testing.assert_array_equal(saved[key], state[key])


def test_train_cli_rejects_bad_arguments(tmp_path):
    with pytest.raises(SystemExit):
        train.main(["--lr", "-1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        train.main(["--task", "circle", "--out", str(tmp_path)])
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("task", "reduction", "expect_perfect"),
                         [("xor", "sum", True), ("linear", "sum", True), ("xor", "mean", False)])
def test_report_defaults_reproduce_final_accuracy(task, reduction, expect_perfect):
    # The central claim: the report's hyperparameters with its batch-summed gradient give
    # accuracy 1.00 on both tasks; the mean-reduced loss leaves XOR unsolved.
    result = train_binary(RunConfig(task=task, reduction=reduction))
    assert result.diverged_at is None
    assert (result.accuracy == 1.0) is expect_perfect
    if expect_perfect:
        assert result.final_loss < 0.1


# ---------------------------------------------------------------- digits and conv


def test_digits_cli_writes_confusion_and_json(tmp_path):
    js = tmp_path / "d.json"
    metrics = digits.main(["--epochs", "2", "--out", str(tmp_path), "--json", str(js)])
    saved = json.loads(js.read_text())
    assert saved["test_accuracy"] == metrics["test_accuracy"] > 0.85
    assert np.array(saved["confusion_matrix"]).sum() == saved["n_test"] == 450
    assert (tmp_path / "digits_confusion.png").stat().st_size > 1000


def test_conv_beats_mlps_on_motif_detection():
    res = conv.run_conv(n_train=600, n_test=600, epochs=3, seed=0)
    models = list(res["models"].values())
    assert models[0]["params"] == 8 * 9 + 8 + 8 * 2 + 2
    assert models[0]["test_accuracy"] > 0.9
    assert all(m["test_accuracy"] < 0.7 for m in models[1:])


# ---------------------------------------------------------------- report


def test_experiments_cover_the_reports_settings():
    values = {e.slug: e.values for e in EXPERIMENTS}
    assert values["learning_rate"] == (0.0005, 0.005, 0.05, 0.5, 1.0)
    assert values["hidden_units"] == (64, 32, 16, 8, 4, 2, 1)
    assert set(values["optimizer"]) == {"sgd", "sgdm", "rmsprop", "adam"}
    assert set(values["activation"]) == {"sigmoid", "relu", "leaky_relu", "tanh"}
    configs = all_configs(10)
    assert len({c.key() for c in configs}) == len(configs)  # the shared baseline runs once per task


def test_quick_report_writes_every_section_and_figure(tmp_path):
    out = tmp_path / "rep"
    data = report.main(["--quick", "--out", str(out), "--jobs", "2"])
    text = (out / "README.md").read_text()
    headings = ["## Summary", "## How this matches the report", "## 1. The report's model on both tasks"]
    headings += [f"## {i}. {e.title}" for i, e in enumerate(EXPERIMENTS, start=2)]
    headings += ["Multiclass output", "Conv1d", "The computational graph", "Run time", "Quick mode"]
    for h in headings:
        assert h in text, h
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(refs) >= 4 + len(EXPERIMENTS) + 2
    for ref in refs:
        assert (out / ref).stat().st_size > 500, ref
    # Every table row of the learning-rate experiment carries a number for both tasks.
    assert text.count("| lr = ") == 5
    assert data.run(RunConfig(task="xor", epochs=data.epochs)).losses.shape == (data.epochs,)
