"""The benchmark suite computes the same thing on every side, and its JSON is complete.

The suite runs once, in quick mode (tiny sizes, one repeat, no PyTorch), in
process.  Its value as a test: each workload's library side (public API) and
hand-written NumPy side agree after one step from the same weights, so the
timings compare equal computations.  No timing is asserted beyond being positive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level directory, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import numpy_reference, run, workloads  # noqa: E402

KEYS = ["mlp_xor21", "mlp_linear100", "mlp_64_256", "mlp_784_1024", "chain_1k", "chain_200k"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "out" / "bench.json"
    code = run.main(["--quick", "--no-torch", "--json", str(path)])
    data = json.loads(path.read_text(encoding="utf-8"))
    return code, data


def test_every_workload_ran_and_agrees_with_the_hand_written_numpy(results):
    code, data = results
    assert [w["key"] for w in data["workloads"]] == KEYS
    for w in data["workloads"]:
        assert w["error"] is None, w["error"]
        limit = 1e-10 if w["dtype"] == "float64" else 1e-5
        assert w["check"]["gradlab"]["max_rel_diff"] <= limit, (w["key"], w["check"])
    assert code == 0


def test_json_has_times_ratios_memory_and_the_machine(results):
    _, data = results
    machine = data["machine"]
    for key in ("date", "cpu", "cores", "python", "numpy", "blas", "env"):
        assert machine[key] not in (None, "", []), key
    assert machine["numpy"] == np.__version__
    assert "OPENBLAS_CORETYPE" in machine["env"]
    assert data["implementations"] == ["numpy", "gradlab"] and data["quick"] is True
    for w in data["workloads"]:
        for impl in ("numpy", "gradlab"):
            assert w[f"{impl}_s"] > 0
            assert len(w["times"][impl]["repeats_s"]) == data["repeats"] == 1
        assert w["ratio"] == pytest.approx(w["gradlab_s"] / w["numpy_s"])
    memory = {w["key"]: w["memory"] for w in data["workloads"] if "memory" in w}
    assert sorted(memory) == ["mlp_64_256", "mlp_784_1024"]
    for m in memory.values():
        assert m["numpy_bytes"] > 0 and m["gradlab_bytes"] > 0
        assert m["ratio"] == pytest.approx(m["gradlab_bytes"] / m["numpy_bytes"])


def test_report_table_lists_every_workload_with_its_ratio(results):
    _, data = results
    text = run.format_report(data)
    for w in data["workloads"]:
        row = next(line for line in text.splitlines() if line.startswith(f"| {w['title']} |"))
        assert row.rstrip().endswith(f"{w['ratio']:.2f}x |")
    assert "OPENBLAS_CORETYPE" in text and "QUICK MODE" in text


def test_a_different_computation_is_caught_and_not_timed(monkeypatch):
    # The hand-written chain with another constant must fail the check before timing.
    monkeypatch.setattr(numpy_reference, "CHAIN_SCALE", 1.001)
    (p,) = workloads.build(["chain_1k"], quick=True)
    entry = run.run_workload(p, ("numpy", "gradlab"), repeats=1, min_time=0.0, warmup=0, memory=False)
    assert "gradlab differs" in entry["error"]
    assert entry["check"]["gradlab"]["max_rel_diff"] > 1e-3
    assert "times" not in entry


def test_one_step_changes_every_weight_by_more_than_the_tolerance():
    # Otherwise comparing the weights after a step would not test the update.
    for p in workloads.build(["mlp_xor21", "mlp_64_256", "mlp_784_1024"], quick=True):
        runner = numpy_reference.make(p)
        runner.step()
        snap = runner.snapshot()
        for i, w0 in enumerate(p.weights):
            change = np.abs(snap[f"param{i}"] - w0).max() / np.abs(w0).max()
            assert change > 20 * p.tol, (p.key, i, change)
            assert np.abs(snap[f"grad{i}"]).max() > 0


def test_xor_easy_is_the_lab_reports_data():
    x, y = workloads.xor_easy()
    assert x.shape == (21, 2) and y.shape == (21, 1)
    assert np.allclose(x[:11], np.c_[np.arange(11) * 0.1, np.arange(11) * 0.1]) and not y[:11].any()
    assert np.allclose(x[11:], [(0.1 * i, 1 - 0.1 * i) for i in range(11) if i != 5]) and y[11:].all()


def test_max_rel_diff_reports_the_worst_array():
    a = {"loss": np.array(2.0), "grad0": np.array([1.0, -4.0])}
    b = {"loss": np.array(2.0), "grad0": np.array([1.0, -4.004])}
    rel, where = run.max_rel_diff(a, b)
    assert where == "grad0" and rel == pytest.approx(1e-3)
    with pytest.raises(run.MismatchError, match="shape"):
        run.max_rel_diff(a, {"loss": np.array(2.0), "grad0": np.zeros(3)})


def test_script_entry_point_runs_from_its_path():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--no-torch", "--no-memory",
         "--only", "chain_1k"],
        capture_output=True, text=True, timeout=60, cwd=ROOT / "tests",
    )
    assert out.returncode == 0, out.stderr
    assert "| 100-op elementwise chain on 10 floats, fwd+bwd, per op |" in out.stdout
