"""Offline verification of an audit-log export: `python -m monitor.verify EXPORT_DIR [--key KEY]`.

Needs only the standard library, `monitor.audit.merkle` and `cryptography` (importing `monitor` imports
no Flask), so a supervisor can run it on their own machine against a copy of the export.

What it checks (docs/audit-log.md):
  * every checkpoint's Ed25519 signature over its exact body bytes, with the pinned key (--key)
    or, with a warning, the key the export carries;
  * every consistency proof between consecutive checkpoints (RFC 9162 §2.1.4.2);
  * every leaf hash, recomputed from the exact bytes of each line of entries.jsonl, and the tree
    root at every checkpoint size, compared with the signed root;
  * that each countersignature is recorded by an entry naming the checkpoint's size and root.

The fast path hashes lines and tree levels without parsing any JSON. Only when a signed root does
not match does it parse entries, to say which entry is the first bad one and what happened to it
(edited, deleted, inserted, reordered): each entry carries its `index` and the leaf hash of the one
before it (`prev`), which point at a suspect; the suspect is then confirmed against the signed roots
by rebuilding the log as it must have been, so the verdict rests on the signatures, not on fields an
attacker could rewrite.

Exit status: 0 intact, 1 tampered (or not verifiable as signed), 2 unusable input.
One file on purpose: with merkle.py it is all a supervisor copies to verify offline.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from hashlib import sha256
from itertools import repeat
from pathlib import Path

from monitor.audit import merkle

FORMAT = "trading-audit-export/1"
ZERO_PREV = "0" * 64
#: bytes read at a time: small enough that a batch of lines and their hashes stay in the CPU's cache
CHUNK = 128 * 1024

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_digest = type(sha256()).digest  # the unbound C method: map() calls it without a Python frame


class Unusable(Exception):
    """The input cannot be verified at all (missing files, not an export, a bad --key)."""


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


# ---- the export's files -------------------------------------------------------------------------------

class Key:
    def __init__(self, raw: bytes, key_id: str, source: str) -> None:
        self.raw, self.key_id, self.source = raw, key_id, source

    def verifier(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.raw)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).digest()[:16].hex()


def _raw_key(text: str, where: str) -> bytes:
    """A raw 32-byte Ed25519 key from base64 text, the JSON of GET /api/v1/audit/key, or a PEM."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise Unusable(f"{where}: not valid JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("public_key"), str):
            raise Unusable(f"{where}: expected a JSON object with \"public_key\" (GET /api/v1/audit/key)")
        if data.get("alg", "Ed25519") != "Ed25519":
            raise Unusable(f"{where}: the key is {data.get('alg')!r}, not Ed25519")
        text = data["public_key"].strip()
    elif text.startswith("-----BEGIN"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise Unusable(f"{where}: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise Unusable(f"{where}: the PEM key is not Ed25519")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unusable(f"{where}: not base64") from None
    if len(raw) != 32:
        raise Unusable(f"{where}: an Ed25519 public key is 32 bytes, this is {len(raw)}")
    return raw


def pinned_key(value: str) -> Key:
    """--key: base64 text, or a file holding base64, the JSON of GET /api/v1/audit/key, or a PEM."""
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        raw = _raw_key(path.read_text(encoding="utf-8", errors="replace"), f"--key {value}")
        return Key(raw, key_id(raw), f"pinned with --key (file {value})")
    raw = _raw_key(value, "--key")
    return Key(raw, key_id(raw), "pinned with --key")


def _json_file(path: Path) -> object:
    if not path.is_file():
        raise Unusable(f"{path.name} is missing from the export")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unusable(f"{path.name} is not valid JSON ({exc})") from None


class Checkpoint:
    """One line of checkpoints.jsonl; `line` is 1-based, `signed` says the signature verified."""

    def __init__(self, *, line: int, id: object, size: int, root: bytes, at: str, body: bytes, signature: bytes,
                 consistency: list[bytes], countersignatures: list) -> None:
        self.line, self.id, self.size, self.root, self.at = line, id, size, root, at
        self.body, self.signature, self.consistency, self.countersignatures = body, signature, consistency, \
            countersignatures
        self.signed = False

    def name(self) -> str:
        return f"checkpoint {self.id} (line {self.line} of checkpoints.jsonl, size {self.size})"


# ---- findings and the report ------------------------------------------------------------------------

KINDS = ("edited", "deleted", "inserted", "reordered")


class Finding:
    """`what`: an entry kind (KINDS), or checkpoint, consistency, key, countersignature, manifest, coverage;
    `index`: the entry concerned, for entry findings."""

    def __init__(self, what: str, message: str, index: int | None = None) -> None:
        self.what, self.message, self.index = what, message, index

    def __repr__(self) -> str:
        return f"Finding({self.what!r}, {self.index!r}, {self.message!r})"


class Report:
    """What was checked (lines, in plain English) and what failed (findings)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.findings: list[Finding] = []
        self.unusable: str | None = None
        self.entries = self.bytes = 0

    @property
    def first_bad_entry(self) -> Finding | None:
        found = [f for f in self.findings if f.what in KINDS]
        return min(found, key=lambda f: f.index) if found else None

    @property
    def status(self) -> int:
        if self.unusable is not None:
            return 2
        return 1 if self.findings else 0

    def say(self, text: str) -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# ---- verification ---------------------------------------------------------------------------------------

def _load_checkpoints(path: Path, report: Report) -> list[Checkpoint]:
    if not path.is_file():
        raise Unusable("checkpoints.jsonl is missing from the export")
    out = []
    for n, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            body = row["body"].encode("utf-8")
            signed = json.loads(body)
            cp = Checkpoint(line=n, id=row.get("id"), size=int(signed["size"]), root=bytes.fromhex(signed["root"]),
                            at=str(signed.get("at")), body=body, signature=base64.b64decode(row["signature"]),
                            consistency=[bytes.fromhex(h) for h in row.get("consistency") or []],
                            countersignatures=list(row.get("countersignatures") or []))
            if cp.size < 0 or len(cp.root) != 32:
                raise ValueError("size or root out of range")
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            report.findings.append(Finding("checkpoint", f"line {n} of checkpoints.jsonl is not a readable checkpoint "
                                                         f"({type(exc).__name__}: {exc}); the file was altered"))
            continue
        # the unsigned copies beside the body must say what the body says
        if row.get("size") is not None and row.get("size") != cp.size or \
                row.get("root") is not None and row.get("root") != cp.root.hex():
            report.findings.append(Finding("checkpoint", f"{cp.name()}: its size or root beside the body differs "
                                                         "from the signed body; the file was altered"))
        out.append(cp)
    return out


def _check_signatures(cps: list[Checkpoint], key: Key, origin: str | None, report: Report) -> None:
    from cryptography.exceptions import InvalidSignature

    verifier = key.verifier()
    for cp in cps:
        try:
            verifier.verify(cp.signature, cp.body)
        except InvalidSignature:
            whose = "the pinned" if key.source.startswith("pinned") else "the export's"
            report.findings.append(Finding("checkpoint", f"{cp.name()}: the Ed25519 signature does not verify with "
                                                         f"{whose} key {key.key_id}"))
            continue
        signed = json.loads(cp.body)
        cp.signed = True
        if signed.get("key_id") != key.key_id:
            report.findings.append(Finding("checkpoint", f"{cp.name()}: signed, but its body names key "
                                                         f"{signed.get('key_id')}, not {key.key_id}"))
        if origin is not None and signed.get("origin") != origin:
            report.findings.append(Finding("checkpoint", f"{cp.name()}: signed for log {signed.get('origin')!r}, "
                                                         f"not {origin!r}"))


def _check_consistency(cps: list[Checkpoint], report: Report) -> int:
    """Each checkpoint extends the one before it: sizes never shrink, and each proof verifies."""
    checked, previous = 0, None
    for cp in cps:
        if previous is not None and previous.size > 0:
            if cp.size < previous.size:
                report.findings.append(Finding("consistency", f"{cp.name()}: smaller than the checkpoint before it "
                                                              f"(size {previous.size}): the log cannot shrink"))
            elif cp.size == previous.size:
                if cp.root != previous.root:
                    report.findings.append(Finding("consistency", f"{cp.name()}: same size as the checkpoint before "
                                                                  "it but a different root: the log was rewritten"))
            elif not merkle.verify_consistency(previous.size, cp.size, previous.root, cp.root, cp.consistency):
                report.findings.append(Finding("consistency", f"{cp.name()}: the consistency proof from size "
                                                              f"{previous.size} does not verify"))
            else:
                checked += 1
        if cp.size > 0:
            previous = cp
    return checked


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


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def pinned_checkpoint(value: str) -> tuple[int, bytes, dict | None]:
    """--checkpoint: SIZE:ROOT (hex), or a file with the JSON of GET /api/v1/audit/checkpoints/latest."""
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return int(data["size"]), bytes.fromhex(data["root"]), data
        except (ValueError, KeyError, TypeError) as exc:
            raise Unusable(f"--checkpoint {value}: not a checkpoint ({type(exc).__name__}: {exc})") from None
    size, _, root = value.partition(":")
    try:
        raw = bytes.fromhex(root)
        if len(raw) != 32 or int(size) < 1:
            raise ValueError
        return int(size), raw, None
    except ValueError:
        raise Unusable("--checkpoint: give SIZE:ROOT (64 hex digits) or a file from "
                       "GET /api/v1/audit/checkpoints/latest") from None


def verify(directory: str | Path, key: str | None = None, jobs: int = 1, checkpoint: str | None = None) -> Report:
    """Verify the export in `directory`; the report's lines say what was checked and what failed.

    `jobs` > 1 hashes a large log in that many processes (where the platform can fork); `checkpoint`
    pins a checkpoint seen before (SIZE:ROOT or a file), which the export must contain."""
    report = Report()
    try:
        _verify(Path(directory), key, report, jobs, checkpoint)
    except Unusable as exc:
        report.unusable = str(exc)
        report.say(f"UNUSABLE: {exc}")
    return report


def _verify(root: Path, key_arg: str | None, report: Report, jobs: int, checkpoint_arg: str | None = None) -> None:
    if not root.is_dir():
        raise Unusable(f"{root} is not a directory (unzip the export first)")
    manifest = _json_file(root / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Unusable(f"manifest.json does not describe a {FORMAT} export")
    origin = manifest.get("origin")
    report.say(f"Export {root} ({FORMAT}), log {origin!r}, exported {manifest.get('exported_at')}")

    pinned = pinned_key(key_arg) if key_arg is not None else None
    pinned_cp = pinned_checkpoint(checkpoint_arg) if checkpoint_arg is not None else None
    try:
        data = _json_file(root / "platform-key.json")
        exported = Key(_raw_key(json.dumps(data), "platform-key.json"), "", "carried by the export")
        exported.key_id = key_id(exported.raw)
        if isinstance(data, dict) and data.get("key_id") not in (None, exported.key_id):
            report.findings.append(Finding("key", f"platform-key.json: its key_id {data.get('key_id')} is not the "
                                                  f"key's ({exported.key_id}); the file was altered"))
    except Unusable as exc:
        if pinned is None:
            raise
        exported = None
        report.findings.append(Finding("key", f"{exc}; the export's key file was altered"))
    if pinned is not None:
        trusted = pinned
        report.say(f"Key: Ed25519 {trusted.key_id}, {trusted.source}")
        if exported is not None and exported.raw != pinned.raw:
            report.findings.append(Finding("key", f"platform-key.json holds key {exported.key_id}, not the pinned key "
                                                  f"{pinned.key_id}: the export's key was replaced"))
    else:
        trusted = exported
        report.say(f"Key: Ed25519 {trusted.key_id}, {trusted.source}")
        report.say("WARNING: no --key given, so the key inside the export is trusted; anyone able to rewrite the "
                   "export could re-sign it. Pin the platform's key: --key <public_key from GET /api/v1/audit/key>")

    cps = _load_checkpoints(root / "checkpoints.jsonl", report)
    _check_signatures(cps, trusted, origin if isinstance(origin, str) else None, report)
    signed = [cp for cp in cps if cp.signed]
    proofs = _check_consistency(signed, report)
    report.say(f"Checkpoints: {len(cps)} read, {len(signed)} with a valid signature, {proofs} consistency "
               "proofs verified")
    if not signed:
        report.findings.append(Finding("checkpoint", "no checkpoint carries a valid signature: nothing in the "
                                                     "export is vouched for by the platform"))

    entries_path = root / "entries.jsonl"
    if not entries_path.is_file():
        raise Unusable("entries.jsonl is missing from the export")
    anchors = {cp.size: cp.root for cp in signed}
    if pinned_cp is not None and pinned_cp[2] is not None and "signature" in pinned_cp[2]:
        from cryptography.exceptions import InvalidSignature

        try:
            trusted.verifier().verify(base64.b64decode(pinned_cp[2]["signature"]), pinned_cp[2]["body"].encode())
        except (InvalidSignature, KeyError, ValueError, TypeError, binascii.Error):
            raise Unusable("--checkpoint: its signature does not verify with the trusted key") from None
    tree = build_tree(entries_path, [*anchors, *([pinned_cp[0]] if pinned_cp else [])], jobs)
    count = report.entries = tree.count
    report.bytes = tree.nbytes
    report.say(f"Entries: {count} lines, {tree.nbytes} bytes; every leaf hash recomputed")

    expected = max((cp.size for cp in cps), default=0)  # what the last checkpoint claims, even unsigned
    mismatched = sorted(s for s in anchors if tree.root(s) != anchors[s])
    if isinstance(manifest.get("entries"), int) and manifest["entries"] != count and not mismatched \
            and count == expected:
        report.findings.append(Finding("manifest", f"manifest.json says {manifest['entries']} entries, the export "
                                                   f"has {count}: the manifest was altered"))
    if mismatched or count != expected:
        leaves, _nbytes = hash_entries(entries_path)
        finding = Localiser(entries_path, leaves, anchors, expected).locate()
        report.findings.append(finding)
        if mismatched:
            report.say(f"Roots: the tree does not give the signed root at {len(mismatched)} of {len(anchors)} "
                       f"checkpoint sizes (first: size {mismatched[0]})")
        else:
            report.say(f"Roots: the export has {count} entries, the last checkpoint covers {expected}")
    elif anchors:
        last = max(anchors)
        report.say(f"Roots: the tree gives the signed root at all {len(anchors)} checkpoint sizes "
                   f"(latest size {last}, root {anchors[last].hex()})")

    if pinned_cp is not None:
        size, pinned_root = pinned_cp[0], pinned_cp[1]
        if tree.root(size) == pinned_root:
            report.say(f"Pinned checkpoint: the export contains it (size {size}, root {pinned_root.hex()})")
        elif size > count:
            report.findings.append(Finding("coverage", f"the export does not reach the pinned checkpoint (size {size}, "
                                                       f"root {pinned_root.hex()}): it holds {count} entries, so "
                                                       "entries were cut off the end"))
        else:
            report.findings.append(Finding("coverage", f"the export does not contain the pinned checkpoint (size "
                                                       f"{size}, root {pinned_root.hex()}): its first {size} entries "
                                                       "are not the ones that were signed"))

    _check_countersignatures(cps, entries_path, count, report, bool(mismatched))

    if report.findings:
        first = report.first_bad_entry
        if first is not None:
            report.say(f"FIRST BAD ENTRY: {first.index} ({first.what}): {first.message}")
        for f in report.findings:
            if f is not first:
                report.say(f"PROBLEM ({f.what}): {f.message}")
        report.say(f"TAMPERED: {len(report.findings)} problem(s); the export does not match what the platform signed")
    else:
        last = signed[-1]
        report.say(f"OK: {count} entries intact, as signed at checkpoint {last.id} (size {last.size}, "
                   f"at {last.at})")


def _check_countersignatures(cps: list[Checkpoint], path: Path, n: int, report: Report, entries_bad: bool) -> None:
    wanted = {}
    for cp in cps:
        for cs in cp.countersignatures:
            index = cs.get("entry") if isinstance(cs, dict) else None
            if not isinstance(index, int) or not 0 <= index < n:
                report.findings.append(Finding("countersignature", f"{cp.name()}: a countersignature by "
                                                                   f"{cs.get('user') if isinstance(cs, dict) else cs!r} "
                                                                   "cites no entry of the log"))
                continue
            wanted.setdefault(index, []).append((cp, cs))
    if not wanted:
        report.say("Countersignatures: none")
        return
    found = lines_at(path, set(wanted))
    count = 0
    for index, pairs in sorted(wanted.items()):
        try:
            entry = json.loads(found[index])
        except (KeyError, ValueError):
            entry = None
        for cp, cs in pairs:
            count += 1
            ok = isinstance(entry, dict) and entry.get("action") == "audit.countersign" \
                and entry.get("object") == {"type": "checkpoint", "id": cp.id} \
                and isinstance(entry.get("after"), dict) and entry["after"].get("size") == cp.size \
                and entry["after"].get("root") == cp.root.hex() \
                and (cs.get("user_id") is None or (entry.get("actor") or {}).get("id") == cs.get("user_id"))
            if not ok and not entries_bad:
                report.findings.append(Finding("countersignature", f"{cp.name()}: entry {index}, cited for the "
                                                                   f"countersignature by {cs.get('user')}, does not "
                                                                   "record that supervisor countersigning this size "
                                                                   "and root"))
    report.say(f"Countersignatures: {count}, each checked against the entry that records it")


# ---- command line ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the export directory (flask --app wsgi audit export DIR, or the unzipped "
                                       "download from /monitor/audit)")
    parser.add_argument("--key", help="the platform's Ed25519 public key: base64, or a file holding base64, the "
                                      "JSON of GET /api/v1/audit/key, or a PEM (without it the export's own key is "
                                      "trusted, with a warning)")
    parser.add_argument("--checkpoint", help="a checkpoint seen before, which the export must contain: SIZE:ROOT, "
                                             "or a file with the JSON of GET /api/v1/audit/checkpoints/latest "
                                             "(catches an export cut short together with its last checkpoints)")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help=f"processes that hash a large log in parallel (default: the CPUs, here {default_jobs()})")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    report = verify(args.export, args.key, args.jobs, args.checkpoint)
    sys.stdout.write(report.text())
    sys.stdout.flush()
    return report.status


if __name__ == "__main__":
    sys.exit(main())
