"""Reading the Merkle tree: the head, stored subtree hashes, roots, inclusion and consistency proofs."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.audit import merkle
from monitor.audit.models import AuditEntry, AuditHead, AuditNode
from trading.extensions import db

# ---- reading the tree -------------------------------------------------------------------------

def head(session: Session | None = None) -> tuple[int, bytes]:
    """(size, root) of the committed log as this transaction sees it."""
    row = (session or db.session).execute(sa.select(AuditHead.size, AuditHead.frontier)
                                          .where(AuditHead.id == 1)).one()
    frontier = bytes(row.frontier or b"")
    return row.size, merkle.frontier_root([frontier[i:i + 32] for i in range(0, len(frontier), 32)])


def subtree_reader(session: Session | None = None) -> Callable[[int, int], bytes]:
    """`subtree(lo, hi)` answered from stored node hashes: O(log n) lookups per call."""
    session = session or db.session

    def stored(level: int, idx: int) -> bytes:
        if level == 0:
            value = session.scalar(sa.select(AuditEntry.leaf_hash).where(AuditEntry.seq == idx))
        else:
            value = session.scalar(sa.select(AuditNode.hash).where(AuditNode.level == level, AuditNode.idx == idx))
        if value is None:
            raise merkle.ProofError("the log is shorter than asked")
        return bytes(value)

    def subtree(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:  # a complete, aligned subtree: stored
            level = n.bit_length() - 1
            return stored(level, lo >> level)
        k = merkle.split(n)
        return merkle.node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree


def root_at(size: int, session: Session | None = None) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return subtree_reader(session)(0, size)


def inclusion(index: int, size: int) -> dict:
    subtree = subtree_reader()
    leaf = subtree(index, index + 1)
    return {"index": index, "size": size, "leaf_hash": leaf.hex(),
            "path": [h.hex() for h in merkle.inclusion_path(index, size, subtree)], "root": subtree(0, size).hex()}


def consistency(first: int, second: int) -> dict:
    subtree = subtree_reader()
    return {"first": first, "second": second, "first_root": subtree(0, first).hex(),
            "second_root": subtree(0, second).hex(),
            "proof": [h.hex() for h in merkle.consistency_proof(first, second, subtree)]}
