"""The Merkle tree over an export's entries.jsonl, recomputed fast: leaf hashes straight from the line bytes,
level by level in C, optionally in several processes (RFC 9162 hashing, as monitor.audit.merkle)."""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from hashlib import sha256
from itertools import repeat
from pathlib import Path

from monitor.audit import merkle

#: bytes read at a time: small enough that a batch of lines and their hashes stay in the CPU's cache
CHUNK = 128 * 1024

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_digest = type(sha256()).digest  # the unbound C method: map() calls it without a Python frame


# ---- hashing, fast ----------------------------------------------------------------------------------

def pair_hashes(lefts: Sequence[bytes], rights: Sequence[bytes]) -> list[bytes]:
    """SHA-256(0x01 || left || right) for each pair, iterated in C (one 65-byte join per node)."""
    return list(map(_digest, map(sha256, map(b"".join, zip(repeat(_NODE_PREFIX), lefts, rights)))))


def next_level(level: Sequence[bytes]) -> list[bytes]:
    """The complete nodes one level up from a level that starts at an even index."""
    lefts, rights = level[0::2], level[1::2]
    if len(lefts) > len(rights):
        lefts = lefts[:-1]
    return pair_hashes(lefts, rights)


def tree_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """levels[k][i] = hash of the complete subtree of leaves [i * 2^k, (i + 1) * 2^k)."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        levels.append(next_level(levels[-1]))
    return levels


def decomposition(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees (level, index) whose concatenation is the tree of `size` leaves, largest first."""
    parts, lo = [], 0
    for k in range(size.bit_length() - 1, -1, -1):
        if size >> k & 1:
            parts.append((k, lo >> k))
            lo += 1 << k
    return parts


def fold(parts: Sequence[bytes]) -> bytes:
    """RFC 9162's root from the perfect subtrees, largest first (the right edge folds first)."""
    if not parts:
        return merkle.EMPTY_ROOT
    h = parts[-1]
    for left in reversed(parts[:-1]):
        h = merkle.node_hash(left, h)
    return h


def root_from_levels(levels: list[list[bytes]], size: int) -> bytes:
    return fold([levels[k][i] for k, i in decomposition(size)])


def roots_at(leaves: list[bytes], sizes: Iterable[int]) -> dict[int, bytes | None]:
    """Roots at each size (None where the leaves are too few)."""
    levels = tree_levels(leaves)
    return {s: root_from_levels(levels, s) if s <= len(leaves) else None for s in sizes}


def read_lines(path: Path, start: int = 0, stop: int | None = None) -> Iterable[list[bytes]]:
    """The lines (without their newline) of bytes [start, stop) of the file, in batches; a last line
    without a newline counts."""
    carry = b""
    with path.open("rb") as fh:
        fh.seek(start)
        left = None if stop is None else stop - start
        while left is None or left > 0:
            chunk = fh.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                break
            if left is not None:
                left -= len(chunk)
            pieces = (carry + chunk if carry else chunk).split(b"\n")
            carry = pieces.pop()
            yield pieces
    if carry:
        yield [carry]


def hash_lines(path: Path, start: int = 0, stop: int | None = None) -> tuple[list[bytes], int]:
    """Leaf hashes of the lines in bytes [start, stop) of the file (a last line without a newline counts),
    and the bytes read. Each block read gets its 0x00 prefixes in one pass (every newline becomes newline
    + 0x00), so splitting it yields the exact leaf inputs without copying each line again."""
    leaves: list[bytes] = []
    total = 0
    carry = b""
    with path.open("rb") as fh:
        fh.seek(start)
        left = None if stop is None else stop - start
        while left is None or left > 0:
            chunk = fh.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                break
            total += len(chunk)
            if left is not None:
                left -= len(chunk)
            pieces = (_LEAF_PREFIX + carry + chunk).replace(b"\n", b"\n\x00").split(b"\n")
            carry = pieces.pop()[1:]  # the unfinished line, without its prefix
            leaves.extend(map(_digest, map(sha256, pieces)))
    if carry:
        leaves.append(sha256(_LEAF_PREFIX + carry).digest())
    return leaves, total


def lines_at(path: Path, indexes: set[int]) -> dict[int, bytes]:
    """The lines with these 0-based numbers: newlines are counted block by block in C, and only a
    block holding a wanted line is split."""
    found: dict[int, bytes] = {}
    if not indexes:
        return found
    last, seen = max(indexes), 0
    for batch in _blocks(path):
        count = batch.count(b"\n")
        if any(seen <= i < seen + count for i in indexes):
            for i, line in enumerate(batch.split(b"\n")[:count], seen):
                if i in indexes:
                    found[i] = line
        seen += count
        if seen > last:
            break
    return found


def _blocks(path: Path) -> Iterable[bytes]:
    """The file in blocks that each end with a newline (the last one may not)."""
    carry = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK * 8):
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                yield block[:cut]
    if carry:
        yield carry + b"\n"


def hash_entries(path: Path) -> tuple[list[bytes], int]:
    """Leaf hashes of every line of entries.jsonl, and the number of bytes read."""
    return hash_lines(path)


class Tree:
    """The recomputed tree: its size, the bytes hashed, and node(level, index) for complete subtrees."""

    def __init__(self, count: int, nbytes: int, nodes: dict[tuple[int, int], bytes] | None = None,
                 levels: list[list[bytes]] | None = None) -> None:
        self.count, self.nbytes = count, nbytes
        self.nodes, self.levels = nodes or {}, levels

    def node(self, level: int, index: int) -> bytes:
        if self.levels is not None:
            return self.levels[level][index]
        found = self.nodes.get((level, index))
        if found is None:  # a node straddling two workers' ranges: its children are their edge nodes
            if level == 0:
                raise KeyError((level, index))
            found = merkle.node_hash(self.node(level - 1, 2 * index), self.node(level - 1, 2 * index + 1))
            self.nodes[(level, index)] = found
        return found

    def root(self, size: int) -> bytes | None:
        if size > self.count:
            return None
        return fold([self.node(k, i) for k, i in decomposition(size)])


def build_tree(path: Path, sizes: Iterable[int], jobs: int = 1, min_bytes: int | None = None) -> Tree:
    """Hash every line and the tree over them; with jobs > 1 (and fork), a file of at least `min_bytes`
    is split among that many processes, and the tree can answer the root at each of `sizes`."""
    sizes = sorted(set(sizes))
    total = path.stat().st_size
    if jobs > 1 and hasattr(os, "fork") and total >= (PARALLEL_BYTES if min_bytes is None else min_bytes):
        return _parallel_tree(path, total, jobs, sizes)
    leaves, nbytes = hash_lines(path)
    return Tree(len(leaves), nbytes, nodes=_range_nodes(leaves, 0, {p for s in sizes for p in decomposition(s)}))


# ---- the same, in several processes --------------------------------------------------------------------

#: below this many bytes one process is faster than starting others
PARALLEL_BYTES = 32 * 1024 * 1024


def _split_points(path: Path, total: int, jobs: int) -> list[int]:
    """Byte offsets just after a newline that cut the file into `jobs` parts of about equal size."""
    points = [0]
    with path.open("rb") as fh:
        for w in range(1, jobs):
            at = max(points[-1], w * total // jobs)
            fh.seek(at)
            while True:
                block = fh.read(1 << 16)
                if not block:
                    at = total
                    break
                cut = block.find(b"\n")
                if cut >= 0:
                    at += cut + 1
                    break
                at += len(block)
            points.append(at)
    points.append(total)
    return points


def _edge_nodes(leaves: list[bytes], start: int, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The complete nodes inside leaves [start, start + len): the first and last of each level (from
    which the nodes straddling a neighbouring range are made) and the `wanted` ones."""
    out: dict[tuple[int, int], bytes] = {}
    level, first, k = leaves, start, 0
    while level:
        out[(k, first)] = level[0]
        out[(k, first + len(level) - 1)] = level[-1]
        for (wk, wi) in wanted:
            if wk == k and first <= wi < first + len(level):
                out[(wk, wi)] = level[wi - first]
        if first & 1:  # a left edge at an odd index has its sibling in the range before
            level, first = level[1:], first + 1
        level, first, k = next_level(level), first >> 1, k + 1
    return out


#: the tree is hashed in blocks of 2^BLOCK leaves (32 KiB of hashes), each while it is in the CPU's cache
BLOCK = 10


def _range_nodes(leaves: list[bytes], start: int, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """What `_edge_nodes` gives, computed block by block: each aligned block of 2^BLOCK leaves is hashed
    up to its root at once, then the tree above the blocks; the partial blocks at the ends on their own.
    Only edge nodes, wanted nodes and the nodes above the blocks are kept."""
    size = 1 << BLOCK
    end = start + len(leaves)
    lo, hi = -(-start // size) * size, end // size * size  # the full blocks: [lo, hi)
    if lo >= hi:
        return _edge_nodes(leaves, start, wanted)
    out = _edge_nodes(leaves[:lo - start], start, wanted)
    out.update(_edge_nodes(leaves[hi - start:], hi, wanted))
    inside: dict[int, list[tuple[int, int]]] = {}
    for k, i in wanted:
        if k < BLOCK and lo <= i << k < hi:
            inside.setdefault((i << k) >> BLOCK, []).append((k, i))
    roots = []
    first_block, last_block = lo >> BLOCK, (hi >> BLOCK) - 1
    for b in range(first_block, last_block + 1):
        at = (b << BLOCK) - start
        level = leaves[at:at + size]
        marks = inside.get(b)
        edge = b == first_block or b == last_block
        for k in range(BLOCK):
            if edge or marks:
                base = (b << BLOCK) >> k
                if b == first_block:
                    out[(k, base)] = level[0]
                if b == last_block:
                    out[(k, base + len(level) - 1)] = level[-1]
                for wk, wi in marks or ():
                    if wk == k:
                        out[(k, wi)] = level[wi - base]
            level = next_level(level)
        roots.append(level[0])
    upper = {(k - BLOCK, i) for k, i in wanted if k >= BLOCK}
    out.update({(k + BLOCK, i): h for (k, i), h in _edge_nodes(roots, first_block, upper).items()})
    return out


def _child(path: Path, lo: int, hi: int, to_parent: int, from_parent: int, wanted: set[tuple[int, int]]) -> None:
    import pickle

    leaves, nbytes = hash_lines(path, lo, hi)
    with os.fdopen(to_parent, "wb") as out:
        pickle.dump((len(leaves), nbytes), out)
        out.flush()
        with os.fdopen(from_parent, "rb") as inp:
            start = pickle.load(inp)
        pickle.dump(_range_nodes(leaves, start, wanted), out)


def _parallel_tree(path: Path, total: int, jobs: int, sizes: list[int]) -> Tree:
    """Each process hashes a part of the file and the complete nodes inside it; the parent joins them."""
    import pickle

    points = _split_points(path, total, jobs)
    wanted = {part for s in sizes for part in decomposition(s)}
    children = []
    for lo, hi in zip(points, points[1:]):
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            status = 0
            try:
                os.close(up_r)
                os.close(down_w)
                _child(path, lo, hi, up_w, down_r, wanted)
            except BaseException:
                status = 1
            os._exit(status)
        os.close(up_w)
        os.close(down_r)
        children.append((pid, os.fdopen(up_r, "rb"), os.fdopen(down_w, "wb")))
    try:
        counts = [pickle.load(up) for _pid, up, _down in children]
        start = 0
        for (_pid, _up, down), (count, _nbytes) in zip(children, counts):
            pickle.dump(start, down)
            down.close()
            start += count
        nodes: dict[tuple[int, int], bytes] = {}
        for _pid, up, _down in children:
            nodes.update(pickle.load(up))
    except (EOFError, pickle.UnpicklingError) as exc:
        raise RuntimeError("a verifying process failed; run again with --jobs 1") from exc
    finally:
        for pid, up, down in children:
            up.close()
            if not down.closed:
                down.close()
            os.waitpid(pid, 0)
    return Tree(start, sum(n for _c, n in counts), nodes=nodes)
