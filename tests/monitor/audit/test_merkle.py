"""monitor.audit.merkle against known answers from an independent implementation and against RFC 9162 written
out recursively here; the offline verifier's level-by-level hashing (and its multi-process split) against both."""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from monitor.audit import merkle
from monitor.verify import tree as verify

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())
LEAVES = [bytes.fromhex(h) for h in VECTORS["leaves_hex"]]
ROOTS = [bytes.fromhex(h) for h in VECTORS["roots_by_size"]]


# ---- RFC 9162 §2.1, transcribed literally (recursive, slow, obviously right) -------------------------

def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# ---- the known answers ------------------------------------------------------------------------------------

def test_the_recursive_definition_reproduces_the_published_roots():
    """The transcription above is right: it gives the independent implementation's roots."""
    assert [mth(LEAVES[:n]) for n in range(9)] == ROOTS


def test_leaf_and_node_hashes_match_the_vectors():
    hashes = [merkle.leaf_hash(x) for x in LEAVES]
    levels = verify.tree_levels(hashes)
    for level, expected in enumerate(VECTORS["node_hashes_by_level"]):
        assert [h.hex() for h in levels[level]] == expected


@pytest.mark.parametrize("size", range(9))
def test_roots_by_every_route(size):
    hashes = [merkle.leaf_hash(x) for x in LEAVES[:size]]
    assert merkle.root_from_leaf_hashes(hashes) == ROOTS[size]
    assert verify.roots_at([merkle.leaf_hash(x) for x in LEAVES], [size])[size] == ROOTS[size]
    frontier: list[bytes] = []
    made = {}
    for i, h in enumerate(hashes):
        for level, index, node in merkle.frontier_append(frontier, i, h):
            made[(level, index)] = node
    assert merkle.frontier_root(frontier) == ROOTS[size]
    for (level, index), node in made.items():  # every node the append stores is the published one
        assert node.hex() == VECTORS["node_hashes_by_level"][level][index]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['index']}of{c['size']}")
def test_inclusion_vectors(case):
    index, size, expected = case["index"], case["size"], [bytes.fromhex(h) for h in case["path"]]
    hashes = [merkle.leaf_hash(x) for x in LEAVES[:size]]
    assert merkle.inclusion_path(index, size, merkle.subtree_from_leaves(hashes)) == expected
    assert path(index, LEAVES[:size]) == expected
    leaf, root = hashes[index], ROOTS[size]
    assert merkle.root_from_inclusion(index, size, leaf, expected) == root
    assert merkle.verify_inclusion(index, size, leaf, expected, root)
    # each corruption the independent suite tries is refused
    wrong = [(index + 1, size, leaf, expected), (index ^ 2, size, leaf, expected), (index, size * 2, leaf, expected),
             (index, size, merkle.leaf_hash(b"WrongLeaf"), expected), (index, size, leaf, expected + [root]),
             (index, size, leaf, [root] + expected), (index, size, leaf, expected + [b""])]
    if index > 0:
        wrong.append((index - 1, size, leaf, expected))
    if size > 1:
        wrong.append((index, size // 2, leaf, expected))
    if expected:
        wrong.append((index, size, leaf, expected[:-1]))
    for i in range(len(expected)):
        flipped = list(expected)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        wrong.append((index, size, leaf, flipped))
    for args in wrong:
        assert not merkle.verify_inclusion(*args, root), args[:2]


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['first']}to{c['second']}")
def test_consistency_vectors(case):
    m, n, expected = case["first"], case["second"], [bytes.fromhex(h) for h in case["proof"]]
    hashes = [merkle.leaf_hash(x) for x in LEAVES[:n]]
    assert merkle.consistency_proof(m, n, merkle.subtree_from_leaves(hashes)) == expected
    assert proof(m, LEAVES[:n]) == expected
    assert merkle.verify_consistency(m, n, ROOTS[m], ROOTS[n], expected)
    if not expected:
        return
    wrong = [(m + 1, n, ROOTS[m], ROOTS[n], expected), (m, n * 2, ROOTS[m], ROOTS[n], expected),
             (m, n, ROOTS[n], ROOTS[m], expected), (m, n, merkle.EMPTY_ROOT, ROOTS[n], expected),
             (m, n, ROOTS[m], ROOTS[n], []), (m, n, ROOTS[m], ROOTS[n], expected[:-1]),
             (m, n, ROOTS[m], ROOTS[n], expected + [ROOTS[m]]), (m, n, ROOTS[m], ROOTS[n], [expected[0]] + expected)]
    if m > 1:
        wrong.append((m - 1, n, ROOTS[m], ROOTS[n], expected))
    for i in range(len(expected)):
        flipped = list(expected)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        wrong.append((m, n, ROOTS[m], ROOTS[n], flipped))
    for args in wrong:
        assert not merkle.verify_consistency(*args), args[:2]


# ---- every size up to 40 against the recursive definition ---------------------------------------------------

def test_proofs_of_every_pair_of_sizes_match_the_recursive_definition():
    rng = random.Random(9162)
    data = [rng.randbytes(rng.randrange(0, 40)) for _ in range(40)]
    hashes = [merkle.leaf_hash(x) for x in data]
    subtree = merkle.subtree_from_leaves(hashes)
    levels = verify.tree_levels(hashes)
    for n in range(1, len(data) + 1):
        root = mth(data[:n])
        assert merkle.root_from_leaf_hashes(hashes[:n]) == root == verify.root_from_levels(levels, n)
        for i in range(n):
            p = merkle.inclusion_path(i, n, subtree)
            assert p == path(i, data[:n])
            assert merkle.verify_inclusion(i, n, hashes[i], p, root)
        for m in range(1, n + 1):
            c = merkle.consistency_proof(m, n, subtree)
            assert c == proof(m, data[:n])
            assert merkle.verify_consistency(m, n, mth(data[:m]), root, c)


def test_proof_requests_that_cannot_exist_are_refused():
    subtree = merkle.subtree_from_leaves([merkle.leaf_hash(x) for x in LEAVES])
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_path(8, 8, subtree)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(0, 8, subtree)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(5, 4, subtree)


# ---- the verifier's fast path, in one process and split among several ----------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 255, 256, 257, 1000, 4099])
def test_split_hashing_gives_the_same_tree(tmp_path, count):
    """The file cut among processes at line boundaries (nodes straddling a cut rebuilt by the parent)
    gives the root the plain level-by-level hashing and the recursive definition give, at every size asked."""
    rng = random.Random(count)
    lines = [rng.randbytes(rng.randrange(1, 60)).hex().encode() for _ in range(count)]
    entries = tmp_path / "entries.jsonl"
    entries.write_bytes(b"\n".join(lines) + b"\n")
    sizes = sorted({1, count, count // 2 or 1, count // 3 or 1, *(rng.randrange(1, count + 1) for _ in range(5))})
    single = verify.build_tree(entries, sizes, jobs=1)
    assert single.count == count and single.nbytes == entries.stat().st_size
    for jobs in (2, 3, 7):
        split = verify.build_tree(entries, sizes, jobs=jobs, min_bytes=0)
        assert (split.count, split.nbytes) == (single.count, single.nbytes)
        for size in sizes:
            assert split.root(size) == single.root(size), (jobs, size)
    expected = {s: merkle.root_from_leaf_hashes([merkle.leaf_hash(x) for x in lines[:s]]) for s in sizes}
    assert {s: single.root(s) for s in sizes} == expected
    if count <= 257:
        assert single.root(count) == mth(lines)


@pytest.mark.parametrize("trailing_newline", [True, False])
def test_lines_at_finds_lines_across_blocks(tmp_path, monkeypatch, trailing_newline):
    monkeypatch.setattr(verify, "CHUNK", 64)  # blocks of 512 bytes: many lines cross them
    rng = random.Random(7)
    lines = [rng.randbytes(rng.randrange(0, 90)).hex().encode() for _ in range(300)]
    path = tmp_path / "entries.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if trailing_newline else b""))
    wanted = {0, 1, 17, 150, 298, 299}
    assert verify.lines_at(path, wanted) == {i: lines[i] for i in wanted}
    assert verify.lines_at(path, {300}) == {}
    leaves, nbytes = verify.hash_lines(path)
    assert leaves == [merkle.leaf_hash(x) for x in lines] and nbytes == path.stat().st_size
