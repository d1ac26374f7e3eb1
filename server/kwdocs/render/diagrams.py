"""Mermaid diagrams for pages, where a reader would rather look than read: a class diagram of a
file's classes (their bases, the workspace classes their attributes are annotated with, the
classes their methods create) and an import graph of a folder's files. Both render on GitHub.

Bounded: at most ``MAX_NODES`` nodes, chosen in a fixed order (the file's own first); what is
left out is counted, for the page to say in words. Node ids are generated (``c0``, ``f3``);
names appear only in quoted labels, reduced to characters no Mermaid version reads as syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_NODES = 40
# Characters a label keeps: word characters, dots, brackets, commas, blanks, slashes, dashes.
_UNSAFE = re.compile(r"[^\w.\[\], /-]")


_BLANKS = re.compile(r" +")
_BLANK_BEFORE = re.compile(r" ([,\]])")
_BLANK_AFTER = re.compile(r"\[ ")


def label(text: str) -> str:
    """A node's label as Mermaid reads it literally (inside double quotes): each other
    character a blank, so that words stay apart (``namedtuple("A", ["x"])`` reads
    ``namedtuple A, [x]``)."""
    if _UNSAFE.search(text):
        text = _BLANKS.sub(" ", _UNSAFE.sub(" ", text))
        text = _BLANK_AFTER.sub("[", _BLANK_BEFORE.sub(r"\1", text))
    cleaned = text.strip()
    return cleaned[:80] or "?"


@dataclass
class Diagram:
    """A diagram's Mermaid source and what it left out."""

    kind: str
    """``classDiagram`` or ``flowchart LR``."""
    nodes: dict[str, str] = field(default_factory=dict)
    """Key of each drawn node → its id."""
    lines: list[str] = field(default_factory=list)
    edges: set[tuple[str, str, str]] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    """Keys of the nodes not drawn (past MAX_NODES): a node asked for again, at each of its
    edges, is still one node."""
    prefix: str = "n"

    @property
    def left_out(self) -> int:
        return len(self.refused)

    def node(self, key: str, text: str) -> str | None:
        """The id of a node, declared on first use; None past the bound."""
        found = self.nodes.get(key)
        if found is not None:
            return found
        if len(self.nodes) >= MAX_NODES:
            self.refused.add(key)
            return None
        ident = f"{self.prefix}{len(self.nodes)}"
        self.nodes[key] = ident
        if self.kind == "classDiagram":
            self.lines.append(f'    class {ident}["{label(text)}"]')
        else:
            self.lines.append(f'    {ident}["{label(text)}"]')
        return ident

    def edge(self, source: str | None, arrow: str, target: str | None, text: str = "") -> None:
        if source is None or target is None or (source, arrow, target) in self.edges:
            return
        self.edges.add((source, arrow, target))
        suffix = f" : {label(text)}" if text and self.kind == "classDiagram" else ""
        if text and self.kind != "classDiagram":
            arrow = f'{arrow}|"{label(text)}"|'
        self.lines.append(f"    {source} {arrow} {target}{suffix}")

    def mermaid(self) -> str:
        """The fenced Mermaid block."""
        head = [self.kind] if self.kind != "classDiagram" else [self.kind, "    direction LR"]
        return "\n".join(["```mermaid", *head, *self.lines, "```"])


class ClassNode(NamedTuple):
    """A class the diagram may draw: its key (path and line, or the written name of a class
    outside the workspace), its label and, for a class of another file, that file (the label
    names as much of its path as tells it from the other nodes')."""

    key: str
    text: str
    path: str = ""


def _texts(nodes: Iterable[ClassNode]) -> dict[str, str]:
    """Each node's label text: a class of another file with its file's name, more of its path
    where two nodes would read the same."""
    nodes = {n.key: n for n in nodes}
    texts: dict[str, str] = {}
    clashing: dict[str, list[ClassNode]] = {}
    for node in nodes.values():
        if node.path:
            clashing.setdefault(node.text, []).append(node)
        else:
            texts[node.key] = node.text
    for same in clashing.values():
        parts = {n.key: n.path.split("/") for n in same}
        size = 1
        while True:
            tails = {k: "/".join(p[-size:]) for k, p in parts.items()}
            if len(set(tails.values())) == len(tails) or size >= max(map(len, parts.values())):
                break
            size += 1
        for node in same:
            texts[node.key] = f"{node.text} ({tails[node.key]})"
    return texts


class ClassEdge(NamedTuple):
    """``source`` inherits from, holds or creates ``target``."""

    source: ClassNode
    target: ClassNode
    relation: str
    """``inherits``, ``creates`` or an attribute's name."""


def class_diagram(own: Iterable[ClassNode], edges: Iterable[ClassEdge]) -> Diagram | None:
    """The file's classes (``own``, in file order) and their relations; None without any
    relation to draw."""
    edges = list(edges)
    if not edges:
        return None
    diagram = Diagram("classDiagram", prefix="c")
    own = list(own)
    related = {e.source.key for e in edges} | {e.target.key for e in edges}
    texts = _texts([*own, *(n for e in edges for n in (e.source, e.target))])
    # The file's related classes first, then the other ends: the bound cuts the farthest.
    for node in own:
        if node.key in related:
            diagram.node(node.key, texts[node.key])
    for edge in edges:
        for node in (edge.source, edge.target):
            if node.key not in diagram.nodes:
                diagram.node(node.key, texts[node.key])
    for edge in edges:
        source = diagram.nodes.get(edge.source.key)
        target = diagram.nodes.get(edge.target.key)
        if edge.relation == "inherits":
            diagram.edge(target, "<|--", source)
        elif edge.relation == "creates":
            diagram.edge(source, "..>", target, "creates")
        else:
            diagram.edge(source, "-->", target, edge.relation)
    return diagram if diagram.edges else None


def import_graph(
    nodes: Iterable[tuple[str, str]], imports: Iterable[tuple[str, str]]
) -> Diagram | None:
    """Files and folders (key, label), in the order given, an arrow from each to what it
    imports among them; None without an import to draw."""
    imports = sorted(set(imports))
    if not imports:
        return None
    diagram = Diagram("flowchart LR", prefix="f")
    involved = {a for a, _ in imports} | {b for _, b in imports}
    for key, text in nodes:
        if key in involved:
            diagram.node(key, text)
    for source, target in imports:
        diagram.edge(diagram.nodes.get(source), "-->", diagram.nodes.get(target))
    return diagram if diagram.edges else None
