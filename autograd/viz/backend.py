"""Rendering through the Graphviz engine bundled in the pygraphviz wheel.

The ``graphviz`` package only writes DOT source and shells out to a system
``dot`` executable to lay it out; pip cannot install that executable.  The
pygraphviz wheel links Graphviz's libraries (layout engines and the SVG, PNG
and PDF renderers) into the Python process, so everything here works with
nothing but pip-installed packages and no ``dot`` on PATH.

``Digraph`` is a ``graphviz.Digraph`` whose ``pipe``/``render`` and Jupyter
display hooks go through that bundled engine, so ``draw(...)`` shows inline in
a notebook and ``g.render("graph", format="png")`` works torchviz-style.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import Any

import graphviz

FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}


def layout(source: str, fmt: str, engine: str = "dot") -> bytes:
    """Lay out DOT ``source`` with the in-process Graphviz and render it as ``fmt``."""
    import pygraphviz

    graph = pygraphviz.AGraph(string=source)
    # pygraphviz prints "graph has N nodes...layout may take a long time" for N > 1000:
    # large graphs are drawn on purpose here, so that note is dropped.
    with contextlib.redirect_stderr(io.StringIO()):
        return graph.draw(format=fmt, prog=engine)


class Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` rendered by pygraphviz's bundled Graphviz instead of the ``dot`` executable."""

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: Any = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The rendered graph as bytes (or text when ``encoding`` is given), as ``graphviz.Digraph.pipe``."""
        fmt = format or self.format
        for part in (renderer, formatter):
            if part:
                fmt += ":" + part
        data = layout(self.source, fmt, engine or self.engine)
        return data.decode(encoding) if encoding is not None else data

    def _repr_image_svg_xml(self) -> str:
        return self.pipe(format="svg", encoding="utf-8")

    def _repr_image_png(self) -> bytes:
        return self.pipe(format="png")

    def _repr_image_jpeg(self) -> bytes:
        return self.pipe(format="jpeg")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, Any]:
        """Jupyter display: SVG by default, as ``graphviz``'s, through the bundled engine."""
        methods = {"image/svg+xml": self._repr_image_svg_xml, "image/png": self._repr_image_png,
                   "image/jpeg": self._repr_image_jpeg}
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        return {mime: fn() for mime, fn in methods.items() if mime in wanted}

    def render(
        self,
        filename: Any = None,
        directory: Any = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: Any = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: Any = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the DOT source and write the rendered file next to it, as ``graphviz.Digraph.render``.

        Returns the rendered file's path: ``<filename>.<format>``, or ``outfile``.
        """
        if outfile is not None:
            outfile = os.fspath(outfile)
            if format is None:
                format = os.path.splitext(outfile)[1].lstrip(".").lower() or None
            if directory is None:
                outfile = os.path.join(self.directory, outfile)
            if filename is None:
                filename = os.path.splitext(os.path.basename(outfile))[0] + ".gv"
        fmt = format or self.format
        source_path = self.save(filename, directory=directory)
        rendered = outfile if outfile is not None else f"{source_path}.{fmt}"
        if raise_if_result_exists and os.path.exists(rendered):
            raise graphviz.FileExistsError(f"output file exists: {rendered!r}")
        data = self.pipe(format=fmt, renderer=renderer, formatter=formatter, engine=engine)
        with open(rendered, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(source_path)
        if view or quiet_view:
            self._view(rendered, format=fmt, quiet=quiet_view)
        return rendered
