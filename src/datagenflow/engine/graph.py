"""DAG helpers over block ids: order, ancestors, cycles."""

from __future__ import annotations

import itertools
from collections import defaultdict


class Graph:
    def __init__(self, ids: list[str], edges: list[tuple[str, str]]) -> None:
        self.ids = ids
        self.preds: dict[str, list[str]] = defaultdict(list)
        self.succs: dict[str, list[str]] = defaultdict(list)
        known = set(ids)
        for a, b in edges:
            if a in known and b in known and b not in self.succs[a]:
                self.succs[a].append(b)
                self.preds[b].append(a)

    def find_cycle(self) -> list[str] | None:
        """One cycle as a list of ids (first id repeated at the end), or None."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self.ids, white)
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            color[node] = grey
            stack.append(node)
            for nxt in self.succs[node]:
                if color[nxt] == grey:
                    return [*stack[stack.index(nxt) :], nxt]
                if color[nxt] == white:
                    found = visit(nxt)
                    if found:
                        return found
            stack.pop()
            color[node] = black
            return None

        for node in self.ids:
            if color[node] == white:
                found = visit(node)
                if found:
                    return found
        return None

    def topological(self) -> list[str]:
        """Ids in an order where every block follows its predecessors (stable by definition)."""
        indegree = {n: len(self.preds[n]) for n in self.ids}
        ready = [n for n in self.ids if indegree[n] == 0]
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for nxt in self.succs[node]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
        return order

    def ancestors(self) -> dict[str, list[str]]:
        """For each id, every upstream id in topological order (cycles ignored)."""
        order = self.topological()
        position = {n: i for i, n in enumerate(order)}
        result: dict[str, set[str]] = {}
        for node in order:
            acc: set[str] = set()
            for p in self.preds[node]:
                acc.add(p)
                acc |= result.get(p, set())
            result[node] = acc
        return {n: sorted(result.get(n, set()), key=lambda x: position.get(x, 0)) for n in self.ids}

    def is_chain(self) -> bool:
        order = self.topological()
        if len(order) != len(self.ids):
            return False
        return all(
            self.succs[a] == [b] and self.preds[b] == [a] for a, b in itertools.pairwise(order)
        )
