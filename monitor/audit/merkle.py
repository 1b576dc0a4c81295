"""RFC 9162 Merkle tree hashes and proofs, standard library only (the offline verifier uses it too).

Leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1).
Proof generation takes `subtree(lo, hi)`, the hash of leaves [lo, hi), so that the server can
answer it from stored node hashes and a verifier from a list of leaves.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256

EMPTY_ROOT = sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request for one that cannot exist."""


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, level by level (the same tree as the recursive definition)."""
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])  # an odd node rises unchanged, as in the recursive split
        level = paired
    return level[0]


def frontier_append(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Append `leaf` as leaf number `size`; update `frontier` in place and return completed nodes.

    The frontier holds the roots of the perfect subtrees that make up a tree of `size` leaves,
    largest first (one per set bit of size). Each returned (level, index, hash) is a newly
    complete subtree covering leaves [index << level, (index + 1) << level), level >= 1.
    """
    made = []
    h, level = leaf, 0
    while size >> level & 1:
        h = node_hash(frontier.pop(), h)
        level += 1
        made.append((level, size >> level, h))
    frontier.append(h)
    return made


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose perfect subtrees are `frontier` (largest first)."""
    if not frontier:
        return EMPTY_ROOT
    h = frontier[-1]
    for left in reversed(frontier[:-1]):
        h = node_hash(left, h)
    return h


def inclusion_path(index: int, size: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 for leaf `index` in a tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError("leaf index outside the tree")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo = lo + k
    path.reverse()  # RFC order: from the leaf's sibling up to the root's child
    return path


def consistency_proof(first: int, second: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1: the tree of `first` leaves is a prefix of `second`."""
    if not 0 < first <= second:
        raise ProofError("consistency needs 0 < first <= second")
    proof: list[bytes] = []
    m, lo, hi, whole = first, 0, second, True
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            proof.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(subtree(lo, hi))
    proof.reverse()
    return proof


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2); ProofError when malformed."""
    if not 0 <= index < size:
        raise ProofError("leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, path) == root
    except ProofError:
        return False


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    proof = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is itself a node of the path
        proof.insert(0, first_root)
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def subtree_from_leaves(leaves: Sequence[bytes]) -> Callable[[int, int], bytes]:
    """A `subtree(lo, hi)` over an in-memory list of leaf hashes (tests and the offline verifier)."""

    def subtree(lo: int, hi: int) -> bytes:
        return root_from_leaf_hashes(leaves[lo:hi])

    return subtree
