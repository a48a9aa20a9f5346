"""Parse graphviz SVG output for the viz tests: nodes with their kind (by fill
colour), labels and boxes, edges, and cluster membership by geometry."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import graphviz

from autograd import viz

SVG = "{http://www.w3.org/2000/svg}"
KIND_OF_FILL = {color: kind for kind, color in viz.COLORS.items()}


@dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def inside(self, other: Box) -> bool:
        return other.x0 <= self.x0 and self.x1 <= other.x1 and other.y0 <= self.y0 and self.y1 <= other.y1


@dataclass
class SvgNode:
    nid: str
    texts: list[str]
    fill: str
    shapes: list[ET.Element]
    dashed: bool

    @property
    def box(self) -> Box:
        return _box(self.shapes)

    @property
    def title(self) -> str:
        return self.texts[0]

    @property
    def kind(self) -> str:
        return KIND_OF_FILL[self.fill]


class SvgGraph:
    """Nodes, clusters and edges of a Graphviz SVG document."""

    def __init__(self, data: bytes | str) -> None:
        root = ET.fromstring(data.encode() if isinstance(data, str) else data)
        self.nodes: dict[str, SvgNode] = {}
        self.clusters: dict[str, Box] = {}
        self.edges: list[tuple[str, str]] = []
        for g in root.iter(f"{SVG}g"):
            cls = g.get("class")
            if cls not in ("node", "cluster", "edge"):
                continue
            title = g.find(f"{SVG}title").text
            if cls == "edge":
                src, dst = title.split("->")
                self.edges.append((src, dst))
                continue
            shapes = [e for e in g.iter() if e.tag in (f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse")]
            texts = [t.text for t in g.iter(f"{SVG}text")]
            if cls == "cluster":
                self.clusters[texts[0]] = _box(shapes)
            else:
                fill = next(e.get("fill") for e in shapes if e.get("fill") not in (None, "none"))
                dashed = any(e.get("stroke-dasharray") for e in shapes)
                self.nodes[title] = SvgNode(title, texts, fill, shapes, dashed)

    def by_title(self, title: str) -> SvgNode:
        found = [n for n in self.nodes.values() if n.title == title]
        assert len(found) == 1, f"{len(found)} nodes titled {title!r}: {[n.texts for n in self.nodes.values()]}"
        return found[0]

    def of_kind(self, kind: str) -> list[SvgNode]:
        return [n for n in self.nodes.values() if n.kind == kind]

    def titles(self, kind: str) -> list[str]:
        return sorted(n.title for n in self.of_kind(kind))

    def edge_titles(self) -> set[tuple[str, str]]:
        return {(self.nodes[s].title, self.nodes[d].title) for s, d in self.edges}

    def in_cluster(self, node: SvgNode, label: str) -> bool:
        return node.box.inside(self.clusters[label])

    def clusters_of(self, node: SvgNode) -> set[str]:
        return {label for label, box in self.clusters.items() if node.box.inside(box)}


def _box(shapes: list[ET.Element]) -> Box:
    nums: list[float] = []
    for e in shapes:
        if e.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(e.get(k)) for k in ("cx", "cy", "rx", "ry"))
            nums += [cx - rx, cy - ry, cx + rx, cy + ry]
        else:
            nums += [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", e.get("points") or e.get("d"))]
    xs, ys = nums[0::2], nums[1::2]
    return Box(min(xs), min(ys), max(xs), max(ys))


def svg_of(g: graphviz.Digraph) -> SvgGraph:
    return SvgGraph(g.pipe(format="svg"))
