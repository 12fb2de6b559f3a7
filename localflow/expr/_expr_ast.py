"""The syntax tree of an expr-lang expression (the shapes mirror expr's `ast` package)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Node:
    __slots__ = ()


@dataclass(frozen=True, eq=False)
class Lit(Node):
    value: Any


@dataclass(frozen=True, eq=False)
class Ident(Node):
    name: str


@dataclass(frozen=True, eq=False)
class Pointer(Node):
    """`#`, `#index`, `#acc` inside a predicate (name "" is the current item)."""

    name: str


@dataclass(frozen=True, eq=False)
class Member(Node):
    obj: Node
    prop: Node
    optional: bool = False
    method: bool = False


@dataclass(frozen=True, eq=False)
class Chain(Node):
    """The extent of an optional chain: a nil met by `?.` makes the whole chain nil."""

    node: Node


@dataclass(frozen=True, eq=False)
class Slice(Node):
    obj: Node
    start: Node | None
    stop: Node | None


@dataclass(frozen=True, eq=False)
class Call(Node):
    callee: Node
    args: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Builtin(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Predicate(Node):
    body: Node


@dataclass(frozen=True, eq=False)
class Unary(Node):
    op: str
    node: Node


@dataclass(frozen=True, eq=False)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Cond(Node):
    cond: Node
    yes: Node
    no: Node


@dataclass(frozen=True, eq=False)
class Array(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Map(Node):
    pairs: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, eq=False)
class Seq(Node):
    nodes: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Let(Node):
    name: str
    value: Node
    body: Node


@dataclass(frozen=True, eq=False)
class Block(Node):
    """`{ ... }` holding a sequence: only valid as a predicate argument."""

    body: Node


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Member):
        return (node.obj, node.prop)
    if isinstance(node, (Chain, Unary)):
        return (node.node,)
    if isinstance(node, (Predicate, Block)):
        return (node.body,)
    if isinstance(node, Slice):
        return tuple(n for n in (node.obj, node.start, node.stop) if n is not None)
    if isinstance(node, Call):
        return (node.callee, *node.args)
    if isinstance(node, Builtin):
        return node.args
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Cond):
        return (node.cond, node.yes, node.no)
    if isinstance(node, Array):
        return node.items
    if isinstance(node, Map):
        return tuple(x for pair in node.pairs for x in pair)
    if isinstance(node, Seq):
        return node.nodes
    if isinstance(node, Let):
        return (node.value, node.body)
    return ()


def walk(node: Node):
    """Every node, children after their parent."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def member_path(node: Node) -> str | None:
    """`a.b['c']` as "a.b.c" when the chain is identifiers and constant string keys."""
    parts: list[str] = []
    cur = node
    while isinstance(cur, Member):
        if cur.optional or not isinstance(cur.prop, Lit):
            return None
        if not isinstance(cur.prop.value, str):
            return None
        parts.append(cur.prop.value)
        cur = cur.obj
    if not isinstance(cur, Ident):
        return None
    parts.append(cur.name)
    return ".".join(reversed(parts))
