"""Write docs/images/mlp_graph.svg, the README's picture of a 2-layer MLP's loss graph.

Run from the repository root:

    python tools/make_readme_graph.py [output.svg]

The graph is drawn by ``autograd.viz`` through the Graphviz bundled in the
pygraphviz wheel: no system ``dot`` is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import nn  # noqa: E402
from autograd import Tensor, viz  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "images" / "mlp_graph.svg"


def main(out: Path = DEFAULT_OUT) -> Path:
    nn.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
    x = Tensor(rng.normal(size=(16, 2)))  # a batch of 16 points
    y = Tensor((x.data[:, :1] * x.data[:, 1:] > 0).astype(np.float64))  # XOR-like labels
    loss = nn.BCEWithLogitsLoss()(model(x), y)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Naming x and y too: every box in the picture then says what it is.
    return viz.render(loss, out, params=dict(model.named_parameters(), x=x, y=y))


if __name__ == "__main__":
    path = main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
    print(f"wrote {path}")
