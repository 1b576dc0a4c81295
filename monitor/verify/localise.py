"""Names the first bad entry of a tampered export (edited, deleted, inserted, reordered), confirmed by the
signed roots rather than by fields an attacker could rewrite."""
from __future__ import annotations

import json
from pathlib import Path

from monitor.verify.report import Finding
from monitor.verify.tree import read_lines, root_from_levels, roots_at, tree_levels

ZERO_PREV = "0" * 64


def _entry_fields(line: bytes) -> tuple[int | None, str | None]:
    """(index, prev) of one entry line, or (None, None) when it is not an entry."""
    try:
        body = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    index, prev = body.get("index"), body.get("prev")
    return (index if isinstance(index, int) and not isinstance(index, bool) else None,
            prev if isinstance(prev, str) else None)


class Localiser:
    """Names the first bad entry: suspects from the index/prev fields, confirmed by the signed roots."""

    def __init__(self, path: Path, leaves: list[bytes], anchors: dict[int, bytes], expected: int) -> None:
        self.lines = [line for batch in read_lines(path) for line in batch]
        self.leaves = leaves
        self.anchors = anchors  # size -> signed root, from checkpoints whose signature verified
        self.expected = expected  # entries the signed log holds (the largest checkpoint size)
        self.fields = [_entry_fields(line) for line in self.lines]

    def prev_ok(self, k: int) -> bool:
        """Line k records the hash of line k-1 (or zeros at the start)."""
        want = self.leaves[k - 1].hex() if k > 0 else ZERO_PREV
        return self.fields[k][1] == want

    def first_anomaly(self, start: int) -> int | None:
        for k in range(start, len(self.lines)):
            index, prev = self.fields[k]
            if index != k or not self.prev_ok(k):
                return k
        return None

    def matches(self, leaves: list[bytes]) -> bool:
        """The rebuilt log gives the signed root at every checkpoint size."""
        return all(got == self.anchors[s] for s, got in roots_at(leaves, self.anchors).items())

    def _hex(self, k: int) -> bytes | None:
        prev = self.fields[k][1] if 0 <= k < len(self.lines) else None
        try:
            return bytes.fromhex(prev) if prev and len(prev) == 64 else None
        except ValueError:
            return None

    # each hypothesis: the log as it was before the change, or None when it cannot be rebuilt
    def undo_edit(self, k: int) -> list[bytes] | None:
        original = self._hex(k + 1)  # the next entry recorded the original hash of entry k
        return None if original is None else self.leaves[:k] + [original] + self.leaves[k + 1:]

    def undo_delete(self, k: int) -> list[bytes] | None:
        original = self._hex(k)  # the entry now at k followed the deleted one and recorded its hash
        return None if original is None else self.leaves[:k] + [original] + self.leaves[k:]

    def undo_insert(self, k: int) -> list[bytes]:
        return self.leaves[:k] + self.leaves[k + 1:]

    def undo_reorder(self) -> tuple[list[bytes], int] | None:
        order = [f[0] for f in self.fields]
        if sorted(i for i in order if i is not None) != list(range(len(order))):
            return None
        placed: list[bytes] = [b""] * len(order)
        for k, i in enumerate(order):
            placed[i] = self.leaves[k]
        first = next((k for k, i in enumerate(order) if i != k), None)
        return (placed, first) if first is not None else None

    def good_prefix(self) -> int:
        """The largest checkpoint size whose root the export's lines still give: those entries are authentic."""
        levels = tree_levels(self.leaves)
        good = 0
        for size, root in sorted(self.anchors.items()):
            if size <= len(self.leaves) and root_from_levels(levels, size) == root:
                good = size
        return good

    def locate(self) -> Finding:
        n, d = len(self.lines), len(self.lines) - self.expected
        start = self.good_prefix()
        a = self.first_anomaly(start)
        near = sorted({k for k in ((a - 1, a, a + 1) if a is not None else ()) if start <= k < n})
        if d == 0:
            undone = self.undo_reorder()
            if undone is not None and self.matches(undone[0]):
                k = undone[1]
                at = [f[0] for f in self.fields].index(k)
                return Finding("reordered", f"entry {k} was reordered: line {k} holds entry {self.fields[k][0]} and "
                                            f"entry {k} is at line {at}; put back in order, the tree matches every "
                                            "signed root", k)
            for k in near:
                rebuilt = self.undo_edit(k)
                if rebuilt is not None and self.matches(rebuilt):
                    return Finding("edited", f"entry {k} was edited: its bytes no longer hash to the value entry {k + 1} "
                                             "records as \"prev\"; with that value the tree matches every signed root", k)
            if a is None and n:
                k = n - 1
                return Finding("edited", f"entry {k} was edited: it is the last entry, so no later entry records its "
                                         f"hash, but every entry before it is intact and the signed root at size {n} "
                                         "does not match", k)
        elif d == -1:
            for k in near or ([n] if a is None else []):
                rebuilt = self.undo_delete(k) if k < n else None
                if rebuilt is not None and self.matches(rebuilt):
                    return Finding("deleted", f"entry {k} was deleted: line {k} holds entry {self.fields[k][0]}, whose "
                                              f"\"prev\" is the hash of the missing entry; with it put back, the tree "
                                              "matches every signed root", k)
            if a is None:
                return Finding("deleted", f"entry {n} was deleted: the signed log has {self.expected} entries and the "
                                          f"export stops after entry {n - 1}", n)
        elif d == 1:
            for k in near or [n - 1]:
                if self.matches(self.undo_insert(k)):
                    return Finding("inserted", f"entry {k} was inserted: line {k} is not in the signed log; without "
                                               "it, the tree matches every signed root", k)
        # more than one change, or one that the fields do not point at: name the first suspect
        k = a if a is not None else start
        kind = "deleted" if d < 0 else "inserted" if d > 0 else "edited"
        return Finding(kind, f"entry {k} is the first that does not match the signed log ({kind}: the export has "
                             f"{n} entries, the signed log {self.expected}; entries before {start} are intact); the "
                             "changes could not be undone one by one, so more than one entry may have been touched", k)
