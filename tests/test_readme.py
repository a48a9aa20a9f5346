"""README.md is executable documentation: its code runs and its claims hold.

Every ```python block runs, in order, in one shared namespace (the tour builds on
itself: the model trained in one section is checkpointed in the next), inside a
temporary working directory, so the files the snippets write (a checkpoint, an
SVG) land there and nowhere else.  A ```text block that directly follows a python
block is that block's expected stdout, compared line by line; ``...`` in it
matches any text (doctest's ELLIPSIS).  Blocks are compiled under the file name
``README.md`` with their real line numbers, so a failure points into the README.

Beyond the snippets: the quickstart lines, the images and the commands that
produce them, relative links, and the benchmark-table marker.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd.grad_mode import STATE

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")

# NumPy warnings the snippets are known to trigger inside the library.  Each entry is a
# library issue, not the README's: remove it when the library stops warning.
# Sqrt's backward at 0 (the detect_anomaly snippet) divides by zero and NumPy warns
# before detect_anomaly reports the resulting inf.
KNOWN_WARNINGS: set[str] = set()


@dataclass
class Block:
    lang: str
    line: int  # line number (1-based) of the block's first content line
    text: str
    output: Block | None = None  # the ```text block right after a ```python block


def parse_blocks(text: str) -> list[Block]:
    """The fenced blocks of ``text`` in order, each python block paired with its output block."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    last_end = -2  # index of the closing fence of the previous block
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            raise AssertionError(f"README.md:{start + 1}: unclosed code fence")
        block = Block(m.group(1), start + 2, "\n".join(lines[start + 1 : j]) + "\n")
        adjacent = all(not s.strip() for s in lines[last_end + 1 : start])
        if block.lang == "text" and adjacent and blocks and blocks[-1].lang == "python":
            blocks[-1].output = block
        blocks.append(block)
        last_end = j
        i = j + 1
    return blocks


def output_matches(expected: str, actual: str) -> bool:
    """Line by line, ignoring trailing spaces; ``...`` in an expected line matches any text."""
    exp = [s.rstrip() for s in expected.rstrip("\n").splitlines()]
    act = [s.rstrip() for s in actual.rstrip("\n").splitlines()]
    if len(exp) != len(act):
        return False
    for e, a in zip(exp, act):
        pattern = ".*".join(re.escape(part) for part in e.split("..."))
        if not re.fullmatch(pattern, a):
            return False
    return True


def svg_labels(path: Path) -> list[str]:
    """The texts drawn in an SVG (node and cluster labels): the picture's content, not its geometry."""
    return sorted(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def readme_text() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def blocks(readme_text: str) -> list[Block]:
    return parse_blocks(readme_text)


@pytest.fixture(scope="module")
def executed(blocks: list[Block], tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """Run every python block once, in order; return the namespace and the working directory.

    Process-wide state the snippets touch (the op registry, the default dtype, the nn
    generator, grad and anomaly modes) is restored afterwards, so other tests see none
    of it.
    """
    workdir = tmp_path_factory.mktemp("readme")
    registry = dict(autograd.REGISTRY)
    dtype = autograd.get_default_dtype()
    generator = nn.init.default_generator()
    modes = (STATE.grad_enabled, STATE.anomaly)
    namespace: dict = {"__name__": "__readme__"}
    old_cwd = Path.cwd()
    try:
        os.chdir(workdir)
        for block in (b for b in blocks if b.lang == "python"):
            code = compile("\n" * (block.line - 1) + block.text, "README.md", "exec")
            out = io.StringIO()
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
                warnings.simplefilter("always")
                exec(code, namespace)
            unexpected = [str(w.message) for w in caught if str(w.message) not in KNOWN_WARNINGS]
            if unexpected:
                pytest.fail(f"README.md:{block.line}: the block raised warnings: {unexpected}")
            if block.output is not None and not output_matches(block.output.text, out.getvalue()):
                pytest.fail(f"README.md:{block.line}: the block printed\n{out.getvalue()}\n"
                            f"but the text block at README.md:{block.output.line} says\n{block.output.text}")
    finally:
        os.chdir(old_cwd)
        autograd.REGISTRY.clear()
        autograd.REGISTRY.update(registry)
        autograd.set_default_dtype(dtype)
        nn.init._GENERATOR[0] = generator
        STATE.grad_enabled, STATE.anomaly = modes
    return namespace, workdir


# ---------------------------------------------------------------------- the snippets
def test_every_python_block_runs_and_prints_its_text_block(executed: tuple[dict, Path], blocks: list[Block]) -> None:
    namespace, _ = executed
    python = [b for b in blocks if b.lang == "python"]
    # The tour covers what the issue asks for; each name is bound by the snippet that shows it.
    for name in ("model", "opt", "sched", "model2", "Softplus", "hv", "BadSquare", "message", "path", "Elu"):
        assert name in namespace, f"no README snippet defines {name!r}"
    assert len(python) >= 10
    assert sum(b.output is not None for b in python) >= 5


def test_snippets_write_only_into_their_working_directory(executed: tuple[dict, Path]) -> None:
    _, workdir = executed
    assert sorted(p.name for p in workdir.iterdir()) == ["checkpoint.npz", "mlp_graph.svg"]
    assert not (ROOT / "checkpoint.npz").exists() and not (ROOT / "mlp_graph.svg").exists()


def test_the_tour_graph_is_the_picture_in_the_readme(executed: tuple[dict, Path]) -> None:
    _, workdir = executed
    drawn = svg_labels(workdir / "mlp_graph.svg")
    assert "Sequential" in drawn and "0: Linear" in drawn
    assert drawn == svg_labels(ROOT / "docs" / "images" / "mlp_graph.svg")


def test_the_readme_state_is_restored_after_the_snippets(executed: tuple[dict, Path]) -> None:
    assert "Elu" not in autograd.REGISTRY
    assert autograd.get_default_dtype() == np.float64
    assert not STATE.anomaly and STATE.grad_enabled


# ---------------------------------------------------------------------- the document
def test_quickstart_is_the_first_two_pip_install_lines(readme_text: str) -> None:
    lines = readme_text.splitlines()
    assert lines[0].startswith("# ")
    pip = [s.strip() for s in lines if s.strip().startswith("pip install")]
    assert pip[:2] == [
        'pip install -e ".[examples]" && python -m examples.report',
        'pip install -e ".[test]" && pytest',
    ]
    # ... in the fenced block right under the title.
    assert lines[2].startswith("```") and lines[3] == pip[0] and lines[4] == pip[1]


def test_readme_warns_about_hips_autograd(readme_text: str) -> None:
    assert "HIPS autograd" in readme_text and "cannot share an environment" in readme_text


def test_relative_links_and_images_exist(readme_text: str) -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme_text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert "docs/images/mlp_graph.svg" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_in_page_links_point_to_headings(readme_text: str) -> None:
    # GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens.
    prose = re.sub(r"^```.*?^```", "", readme_text, flags=re.M | re.S)  # no comments from code blocks
    headings = re.findall(r"^#+ (.+)$", prose, flags=re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
    anchors = re.findall(r"\]\(#([^)]+)\)", readme_text)
    assert anchors, "the README's contents line links to no section"
    dangling = [a for a in anchors if a not in slugs]
    assert not dangling, f"README.md links to sections that do not exist: {dangling}"


def test_every_image_names_the_command_that_makes_it(readme_text: str) -> None:
    makers = {
        "docs/images/mlp_graph.svg": "python tools/make_readme_graph.py",
        "docs/images/report_xor_predictions.png": "python -m examples.report --docs-image docs/images/report_xor_predictions.png",
    }
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme_text)
    assert images, "the README shows no image"
    for image in images:
        assert image in makers, f"{image}: add the command that produces it to README.md and to this test"
        assert makers[image] in readme_text, f"README.md does not give the command that produces {image}"


def test_the_graph_tool_reproduces_the_committed_picture(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_readme_graph.py"), str(out)],
                   check=True, capture_output=True, cwd=tmp_path)
    assert svg_labels(out) == svg_labels(ROOT / "docs" / "images" / "mlp_graph.svg")


def test_performance_section_gives_the_command_and_the_table_marker(readme_text: str) -> None:
    assert "python -m benchmarks --json bench.json" in readme_text
    assert readme_text.count("<!-- BENCH TABLE -->") == 1
    if str(ROOT) not in sys.path:  # `benchmarks` is a top-level directory, not an installed package
        sys.path.insert(0, str(ROOT))
    from benchmarks.workloads import build

    section = readme_text.split("## Performance", 1)[1].split("\n## ", 1)[0]
    for problem in build():  # the table names every workload of the suite
        assert problem.title in section, f"the performance table has no row for {problem.title!r}"


# ---------------------------------------------------------------------- the harness itself
def test_parse_blocks_pairs_outputs_and_output_matching_honours_ellipsis() -> None:
    text = "x\n```python\nprint(1)\n```\n```text\n1\n```\n\n```python\na = 1\n```\ntext\n```text\nno\n```\n"
    got = parse_blocks(text)
    assert [(b.lang, b.line) for b in got] == [("python", 3), ("text", 6), ("python", 10), ("text", 14)]
    assert got[0].output is got[1] and got[2].output is None
    assert output_matches('  File "README.md", line ..., in x\n', '  File "README.md", line 12, in x  \n')
    assert not output_matches("a ... b\n", "a 1 c\n")
    assert not output_matches("one\n", "one\ntwo\n")
