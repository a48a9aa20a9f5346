"""Graph drawing (autograd.viz): the rendered SVG is parsed as XML and checked node by node.

Nodes are identified by their label text and classified by fill colour; module
clusters by their label, and membership by geometry (a node's box lies inside
its cluster's box), which is what a reader of the picture sees.
"""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pygraphviz
import pytest
from svg_helpers import KIND_OF_FILL, SVG, Box, SvgGraph, SvgNode, svg_of  # noqa: E402, F401

import nn
from autograd import Function, Tensor, detect_anomaly, no_grad, viz


def small_graph():
    """((x @ w.T + b).tanh() ** 2).sum(axis=1).mean(): seven ops, two leaves, one constant."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 2)))
    w = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    y = ((x @ w.T + b).tanh() ** 2).sum(axis=1).mean()
    return x, w, b, y


def mlp_and_loss(seed: int = 0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x = Tensor(rng.normal(size=(5, 2)))
    target = Tensor(rng.normal(size=(5, 1)))
    loss = nn.MSELoss()(model(x), target)
    return model, x, target, loss


# --------------------------------------------------------------------------- what is drawn
def test_small_graph_nodes_edges_labels_and_colours():
    x, w, b, y = small_graph()
    svg = svg_of(viz.draw(y, params={"w": w, "b": b}))
    assert len(svg.nodes) == 7 + 2 + 1 + 1
    assert svg.titles("op") == sorted(["Transpose", "MatMul", "Add", "Tanh", "Pow", "Sum", "Mean"])
    assert svg.titles("param") == ["b", "w"]
    assert svg.titles("const") == ["const"]
    assert svg.titles("output") == ["output"]
    assert svg.of_kind("leaf") == [] and svg.of_kind("nonfinite") == []
    assert svg.edge_titles() == {
        ("w", "Transpose"), ("Transpose", "MatMul"), ("const", "MatMul"), ("MatMul", "Add"), ("b", "Add"),
        ("Add", "Tanh"), ("Tanh", "Pow"), ("Pow", "Sum"), ("Sum", "Mean"), ("Mean", "output")}
    assert len(svg.edges) == 10
    # shapes and dtypes of tensors, attributes and output shapes of ops
    assert svg.by_title("w").texts[1:] == ["(3, 2) float64"]
    assert svg.by_title("b").texts[1:] == ["(3,) float64"]
    assert svg.by_title("const").texts[1:] == ["(4, 2) float64"]
    assert svg.by_title("output").texts[1:] == ["() float64"]
    assert svg.by_title("Transpose").texts[1:] == ["axes=(1, 0)", "out (2, 3)"]
    assert svg.by_title("Sum").texts[1:] == ["axis=(1,), keepdims=False", "out (4,)"]
    assert svg.by_title("Pow").texts[1:] == ["const 2", "out (4, 3)"]
    assert svg.clusters == {}


def test_unnamed_leaves_user_functions_constants_option_dtype_and_direction():
    assert len(set(viz.COLORS.values())) == len(viz.COLORS)

    class Square(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = Tensor(np.ones((4, 2), dtype=np.float32))
    w = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = Square.apply(x @ w).sum()
    svg = svg_of(viz.draw(y))
    assert svg.titles("leaf") == ["leaf"] and svg.titles("param") == []
    assert svg.by_title("leaf").texts[1:] == ["(2, 3) float32"]
    assert svg.titles("op") == ["MatMul", "Square", "Sum"]
    assert svg.by_title("output").texts[1:] == ["() float32"]
    no_consts = svg_of(viz.draw(y, show_constants=False))
    assert sorted(n.title for n in no_consts.nodes.values()) == ["MatMul", "Square", "Sum", "leaf", "output"]
    assert len(no_consts.edges) == 4
    # top to bottom by default: the output below its input; "LR": to its right
    tb = svg_of(viz.draw(y))
    assert tb.by_title("output").box.y0 > tb.by_title("leaf").box.y1
    lr = svg_of(viz.draw(y, rankdir="LR"))
    assert lr.by_title("output").box.x0 > lr.by_title("leaf").box.x1


def test_op_attributes_are_shown_compactly():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    parts = {
        "fancy": w[np.arange(7) % 2].sum(axis=0),
        "basic": w[:, 1:].astype(np.float32),
        "clip": w.clip(0.5, None),
    }
    texts = {k: svg_of(viz.draw(v)).of_kind("op") for k, v in parts.items()}
    assert sorted(n.texts[1:] for n in texts["fancy"]) == [
        ["axis=(0,), keepdims=False", "out (3,)"], ["index=array(7,) int64", "out (7, 3)"]]
    assert sorted(n.texts[1:] for n in texts["basic"]) == [["dtype=float32", "out (2, 2)"], ["index=[:, 1:]", "out (2, 2)"]]
    assert [n.texts[1:] for n in texts["clip"]] == [["lo=0.5", "out (2, 3)"]]  # hi=None is left out


def test_values_and_gradient_norms_are_shown_on_request():
    x, w, b, y = small_graph()
    y.backward(retain_graph=True)
    plain = svg_of(viz.draw(y, params={"w": w, "b": b}))
    assert not any(t.startswith(("min ", "grad ")) for n in plain.nodes.values() for t in n.texts)

    svg = svg_of(viz.draw(y, params={"w": w, "b": b}, show_values=True, show_grads=True))
    wn = svg.by_title("w")
    assert f"min {w.data.min():.3g} max {w.data.max():.3g}" in wn.texts
    assert f"grad norm {np.linalg.norm(w.grad.data):.3g}" in wn.texts
    assert f"grad norm {np.linalg.norm(b.grad.data):.3g}" in svg.by_title("b").texts
    # An op's value is its output's, though Tanh does not keep it for backward.
    t = np.tanh(x.data @ w.data.T + b.data)
    assert f"min {t.min():.3g} max {t.max():.3g}" in svg.by_title("Tanh").texts
    assert f"min {y.item():.3g} max {y.item():.3g}" in svg.by_title("output").texts


def test_nan_or_inf_in_a_value_or_gradient_is_drawn_red():
    red = viz.COLORS["nonfinite"]
    w = Tensor([1.0, 0.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        z = (w.log() * 2.0).sum()  # log(0) = -inf flows into every op after it
    svg = svg_of(viz.draw(z, params={"w": w}, show_values=True))
    assert {n.title: n.fill == red for n in svg.nodes.values()} == {
        "w": False, "Log": True, "Mul": True, "Sum": True, "output": True}
    assert "min 0 max 0.693 has Inf" in svg.by_title("Log").texts

    a = Tensor([0.0, 4.0], requires_grad=True)
    s = a.sqrt().sum()  # finite values, but d sqrt(a)/da is inf at 0
    with np.errstate(divide="ignore"):
        s.backward(retain_graph=True)
    svg = svg_of(viz.draw(s, params={"a": a}, show_grads=True))
    assert {n.title: n.fill == red for n in svg.nodes.values()} == {
        "a": True, "Sqrt": False, "Sum": False, "output": False}
    assert "grad has Inf" in svg.by_title("a").texts
    nan_in = Tensor([np.nan, 1.0])
    svg = svg_of(viz.draw((a * nan_in).sum(), params={"a": a, "nan_in": nan_in}))
    assert svg.by_title("nan_in").fill == red and svg.by_title("nan_in").kind == "nonfinite"
    # a collapsed module is red when anything inside it is
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    with no_grad():
        model[0].weight[0, 0] = np.nan
    svg = svg_of(viz.draw(model(Tensor(np.ones((1, 2)))).sum(), collapse=True))
    assert {n.title: n.fill == red for n in svg.nodes.values()} == {
        "const": False, "0: Linear": True, "1: Tanh": True, "Sum": True, "output": True}


def test_lone_leaf_and_no_grad_result_draw_as_a_single_output_node():
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    svg = svg_of(viz.draw(w, params={"w": w}))
    assert [(n.title, n.kind, n.texts[1:]) for n in svg.nodes.values()] == [("w", "output", ["(2, 3) float64"])]
    assert svg.edges == []
    with no_grad():
        z = (w * 2).sum(axis=0)
    svg = svg_of(viz.draw(z))
    assert [(n.title, n.kind, n.texts[1:]) for n in svg.nodes.values()] == [("output", "output", ["(3,) float64"])]
    assert svg.edges == []


def test_several_roots_share_their_common_subgraph():
    _, w, b, y = small_graph()
    h = w * 3.0
    svg = svg_of(viz.draw(y, h, y, params={"w": w, "b": b}))
    assert svg.titles("output") == ["output 0", "output 1"]
    assert len([n for n in svg.nodes.values() if n.title == "w"]) == 1
    assert ("w", "Mul") in svg.edge_titles() and ("w", "Transpose") in svg.edge_titles()
    assert ("Mul", "output 1") in svg.edge_titles() and ("Mean", "output 0") in svg.edge_titles()


def test_params_name_derived_tensors_and_anomaly_mode_adds_the_creation_site():
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    with detect_anomaly():
        h = w * 2.0
    y = h.sum()
    g = viz.draw(y, params={"w": w, "h_scaled": h})
    svg = svg_of(g)
    assert svg.by_title("Mul → h_scaled").kind == "op"
    tips = [a.get("{http://www.w3.org/1999/xlink}title") for a in ET.fromstring(g.pipe(format="svg")).iter(f"{SVG}a")]
    assert any(t and "test_viz.py" in t and "line" in t for t in tips), tips


def test_a_graph_freed_by_backward_draws_what_is_left_and_warns():
    _, w, b, y = small_graph()
    y.backward()
    with pytest.warns(UserWarning, match=r"retain_graph=True"):
        g = viz.draw(y, params={"w": w, "b": b})
    svg = svg_of(g)
    assert [n.title for n in svg.nodes.values()] == ["Mean", "output"]
    mean = svg.by_title("Mean")
    assert mean.dashed and "inputs freed by backward()" in mean.texts
    assert not svg.by_title("output").dashed


# --------------------------------------------------------------------------- files and errors
@pytest.mark.parametrize("suffix, header", [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"),
                                            (".PNG", b"\x89PNG\r\n\x1a\n")])
def test_render_writes_the_format_of_the_suffix(tmp_path, suffix, header):
    _, w, b, y = small_graph()
    path = tmp_path / f"graph{suffix}"
    assert viz.render(y, path, params={"w": w, "b": b}) == path
    data = path.read_bytes()
    assert data.startswith(header)
    if suffix == ".svg":
        assert SvgGraph(data).titles("param") == ["b", "w"]


def test_render_dot_writes_the_source_text(tmp_path):
    _, w, b, y = small_graph()
    path = str(tmp_path / "graph.dot")
    assert viz.render([y], path, params={"w": w, "b": b}) == path
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("digraph")
    parsed = pygraphviz.AGraph(string=text)
    assert parsed.number_of_nodes() == 11 and parsed.number_of_edges() == 10


def test_clear_errors(tmp_path):
    _, w, b, y = small_graph()
    for name in ("graph.jpg", "graph"):
        with pytest.raises(ValueError, match=r"unsupported suffix.*supported: \.svg, \.png, \.pdf, \.dot"):
            viz.render(y, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match=r"root 0 is a ndarray, not a Tensor"):
        viz.draw(np.ones(3))
    with pytest.raises(TypeError, match=r"render: root 1 is a int, not a Tensor"):
        viz.render([y, 3], tmp_path / "g.svg")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="directory .*missing.* does not exist"):
        viz.render(y, tmp_path / "missing" / "g.svg")
    with pytest.raises(ValueError, match="at least one Tensor"):
        viz.draw()
    with pytest.raises(TypeError, match="params must be a dict name -> Tensor"):
        viz.draw(y, params=[w, b])
    with pytest.raises(TypeError, match=r"params\['w'\] is a ndarray, not a Tensor"):
        viz.draw(y, params={"w": w.data})
    with pytest.raises(ValueError, match="max_depth must be None or an int >= 0"):
        viz.draw(y, max_depth=-1)
    with pytest.raises(TypeError, match="collapse entries must be module classes or names"):
        viz.draw(y, collapse=[3])
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.draw(y, rankdir="sideways")


def test_deep_graph_draws_iteratively():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(5000):
        y = (y * 0.5).tanh()
    assert sys.getrecursionlimit() < 10_000
    svg = SvgGraph(viz.draw(y, params={"x": x}).pipe(format="svg"))
    assert len(svg.titles("op")) == 10_000 and len(svg.nodes) == 10_002
    assert len(svg.edges) == 10_001
    assert svg.titles("param") == ["x"]


def _path_without_dot() -> str:
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not shutil.which("dot", path=d))


def test_rendering_and_notebook_display_need_no_dot_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", _path_without_dot())
    assert shutil.which("dot") is None
    _, w, b, y = small_graph()
    g = viz.draw(y, params={"w": w, "b": b})
    assert isinstance(g, graphviz.Digraph)
    # graphviz's own rendering shells out to `dot`, which is not there ...
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph.pipe(g, format="svg")
    # ... while this Digraph renders in-process through pygraphviz's bundled Graphviz.
    svg = g._repr_image_svg_xml()
    assert isinstance(svg, str) and SvgGraph(svg).titles("param") == ["b", "w"]
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and SvgGraph(bundle["image/svg+xml"]).titles("output") == ["output"]
    png = g._repr_mimebundle_(include=["image/png", "image/svg+xml"], exclude=["image/svg+xml"])
    assert list(png) == ["image/png"] and png["image/png"].startswith(b"\x89PNG")
    assert g.pipe(format="png").startswith(b"\x89PNG") and g.pipe(format="pdf").startswith(b"%PDF-")
    assert g.pipe(format="svg", encoding="utf-8").startswith("<?xml")
    # torchviz-style g.render(): the DOT source next to the rendered file
    out = g.render(tmp_path / "model", format="png")
    assert out == f"{tmp_path / 'model'}.png" and Path(out).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "model").read_text().startswith("digraph")
    out = g.render(outfile=tmp_path / "other.svg", cleanup=True)
    assert SvgGraph(Path(out).read_bytes()).titles("param") == ["b", "w"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "model.png", "other.svg"]
    path = viz.render(y, tmp_path / "g.pdf")
    assert path.read_bytes().startswith(b"%PDF-")


# --------------------------------------------------------------------------- models and modules
LINEAR = ["weight", "bias"]


def test_mlp_loss_graph_with_parameter_names_and_module_clusters(tmp_path):
    model, x, target, loss = mlp_and_loss()
    path = viz.render(loss, tmp_path / "mlp.svg", params=dict(model.named_parameters(), x=x))
    svg = SvgGraph(path.read_bytes())
    assert svg.titles("op") == ["Linear", "Linear", "MseLoss", "Tanh"]
    assert svg.titles("param") == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert svg.titles("const") == ["const", "x"] and svg.titles("output") == ["output"]
    assert len(svg.nodes) == 4 + 4 + 2 + 1
    assert svg.by_title("0.weight").texts[1:] == ["(8, 2) float64"]
    assert svg.by_title("2.weight").texts[1:] == ["(1, 8) float64"]
    assert svg.by_title("x").texts[1:] == ["(5, 2) float64"]
    assert svg.by_title("const").texts[1:] == ["(5, 1) float64"]
    assert svg.by_title("output").texts[1:] == ["() float64"]
    assert svg.by_title("Tanh").texts[1:] == ["out (5, 8)"]
    assert sorted(svg.clusters) == ["0: Linear", "1: Tanh", "2: Linear", "MSELoss", "Sequential"]
    edges = svg.edge_titles()
    assert len(svg.edges) == 10
    assert {("x", "Linear"), ("0.weight", "Linear"), ("0.bias", "Linear"), ("Linear", "Tanh"), ("Tanh", "Linear"),
            ("2.weight", "Linear"), ("2.bias", "Linear"), ("Linear", "MseLoss"), ("const", "MseLoss"),
            ("MseLoss", "output")} == edges
    # each parameter sits in its layer's cluster, nested in the model's; data and output outside
    for layer in ("0", "2"):
        for p in LINEAR:
            assert svg.clusters_of(svg.by_title(f"{layer}.{p}")) == {f"{layer}: Linear", "Sequential"}
    assert svg.clusters_of(svg.by_title("Tanh")) == {"1: Tanh", "Sequential"}
    assert svg.clusters_of(svg.by_title("MseLoss")) == {"MSELoss"}
    assert [svg.clusters_of(svg.nodes[d]) for s, d in svg.edges if svg.nodes[s].title == "0.weight"] == [
        {"0: Linear", "Sequential"}]
    for title in ("x", "const", "output"):
        assert svg.clusters_of(svg.by_title(title)) == set()
    assert svg.clusters["0: Linear"].inside(svg.clusters["Sequential"])
    assert not svg.clusters["MSELoss"].inside(svg.clusters["Sequential"])


def test_parameter_names_come_from_the_modules_unless_params_renames_them():
    model, _, _, loss = mlp_and_loss()
    svg = svg_of(viz.draw(loss))
    assert svg.titles("param") == ["0.bias", "0.weight", "2.bias", "2.weight"]
    svg = svg_of(viz.draw(loss, params={"W_in": model[0].weight}))
    assert svg.titles("param") == ["0.bias", "2.bias", "2.weight", "W_in"]


def test_small_cnn_graph():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    x = Tensor(rng.normal(size=(2, 1, 4, 4)))
    loss = nn.CrossEntropyLoss()(model(x), np.array([0, 2]))
    svg = svg_of(viz.draw(loss, params=dict(model.named_parameters())))
    assert sorted(svg.clusters) == ["0: Conv2d", "1: ReLU", "2: MaxPool2d", "3: Flatten", "4: Linear",
                                    "CrossEntropyLoss", "Sequential"]
    assert svg.titles("param") == ["0.bias", "0.weight", "4.bias", "4.weight"]
    assert svg.by_title("0.weight").texts[1:] == ["(2, 1, 3, 3) float64"]
    ops = svg.of_kind("op")
    assert len(ops) == 6 and len(svg.nodes) == 6 + 4 + 1 + 1 and len(svg.edges) == 11
    conv = [n for n in ops if svg.clusters_of(n) == {"0: Conv2d", "Sequential"}]
    pool = [n for n in ops if svg.clusters_of(n) == {"2: MaxPool2d", "Sequential"}]
    flat = [n for n in ops if svg.clusters_of(n) == {"3: Flatten", "Sequential"}]
    assert len(conv) == len(pool) == len(flat) == 1
    assert "padding=(1, 1)" in " ".join(conv[0].texts) and conv[0].texts[-1] == "out (2, 2, 4, 4)"
    assert "kernel_size=(2, 2)" in " ".join(pool[0].texts) and pool[0].texts[-1] == "out (2, 2, 2, 2)"
    assert flat[0].texts[-1] == "out (2, 8)"
    assert svg.clusters_of(svg.by_title("0.weight")) == {"0: Conv2d", "Sequential"}
    assert (("0.weight", conv[0].title) in svg.edge_titles() and ("const", conv[0].title) in svg.edge_titles())

    collapsed = svg_of(viz.draw(loss, collapse=True))
    assert collapsed.titles("module") == sorted(["0: Conv2d", "1: ReLU", "2: MaxPool2d", "3: Flatten", "4: Linear",
                                                 "CrossEntropyLoss"])
    assert collapsed.titles("op") == [] and collapsed.titles("param") == []
    assert collapsed.by_title("0: Conv2d").texts[1:] == ["1 op", "weight (2, 1, 3, 3)", "bias (2,)"]
    assert collapsed.edge_titles() == {("const", "0: Conv2d"), ("0: Conv2d", "1: ReLU"), ("1: ReLU", "2: MaxPool2d"),
                                       ("2: MaxPool2d", "3: Flatten"), ("3: Flatten", "4: Linear"),
                                       ("4: Linear", "CrossEntropyLoss"), ("CrossEntropyLoss", "output")}
    assert sorted(collapsed.clusters) == ["Sequential"]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))  # the residual Add belongs to the Block itself


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.head = Block(), nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.encoder(x)).sum()


def nested_graph():
    net = Net()
    x = Tensor(np.random.default_rng(2).normal(size=(5, 3)))
    return net, x, net(x)


def test_nested_modules_draw_as_nested_clusters():
    _, x, y = nested_graph()
    svg = svg_of(viz.draw(y, params={"x": x}))
    assert sorted(svg.clusters) == ["Net", "encoder.act: ReLU", "encoder.fc1: Linear", "encoder.fc2: Linear",
                                    "encoder: Block", "head: Linear"]
    assert svg.clusters_of(svg.by_title("Add")) == {"Net", "encoder: Block"}
    assert svg.clusters_of(svg.by_title("Sum")) == {"Net"}
    assert svg.clusters_of(svg.by_title("encoder.fc1.weight")) == {"Net", "encoder: Block", "encoder.fc1: Linear"}
    assert svg.clusters_of(svg.by_title("Relu")) == {"Net", "encoder: Block", "encoder.act: ReLU"}
    assert svg.clusters_of(svg.by_title("x")) == set()
    assert len(svg.titles("op")) == 6 and len(svg.titles("param")) == 6


def test_collapse_and_max_depth_draw_modules_as_single_nodes():
    _, x, y = nested_graph()
    svg = svg_of(viz.draw(y, params={"x": x}, collapse=True))
    assert svg.titles("module") == ["encoder.act: ReLU", "encoder.fc1: Linear", "encoder.fc2: Linear", "head: Linear"]
    assert svg.titles("op") == ["Add", "Sum"] and svg.titles("param") == []
    assert sorted(svg.clusters) == ["Net", "encoder: Block"]
    assert svg.clusters_of(svg.by_title("encoder.fc1: Linear")) == {"Net", "encoder: Block"}
    assert svg.by_title("head: Linear").texts[1:] == ["1 op", "weight (1, 3)", "bias (1,)"]
    assert sorted(svg.edge_titles()) == sorted([
        ("x", "encoder.fc1: Linear"), ("x", "Add"), ("encoder.fc1: Linear", "encoder.act: ReLU"),
        ("encoder.act: ReLU", "encoder.fc2: Linear"), ("encoder.fc2: Linear", "Add"), ("Add", "head: Linear"),
        ("head: Linear", "Sum"), ("Sum", "output")])
    assert len(svg.edges) == 8

    svg = svg_of(viz.draw(y, params={"x": x}, max_depth=1))
    assert svg.titles("module") == ["encoder: Block", "head: Linear"] and sorted(svg.clusters) == ["Net"]
    assert svg.by_title("encoder: Block").texts[1:] == [
        "4 ops", "fc1.weight (4, 3)", "fc1.bias (4,)", "fc2.weight (3, 4)", "fc2.bias (3,)"]
    # x feeds fc1 and the residual Add, both inside the encoder: one edge remains
    assert svg.edges.count((svg.by_title("x").nid, svg.by_title("encoder: Block").nid)) == 1
    assert len(svg.edges) == 4

    svg = svg_of(viz.draw(y, params={"x": x}, max_depth=0))
    assert sorted(n.title for n in svg.nodes.values() if n.kind != "const") == ["Net", "output"]
    assert svg.by_title("Net").texts[1:] == ["6 ops", "6 tensors"]
    assert svg.edge_titles() == {("x", "Net"), ("Net", "output")} and svg.clusters == {}

    by_class = svg_of(viz.draw(y, collapse={nn.Linear}))
    assert by_class.titles("module") == ["encoder.fc1: Linear", "encoder.fc2: Linear", "head: Linear"]
    assert "encoder.act: ReLU" in by_class.clusters
    by_name = svg_of(viz.draw(y, collapse=["encoder"]))
    assert by_name.titles("module") == ["encoder: Block"] and "head: Linear" in by_name.clusters
