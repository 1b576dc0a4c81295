"""A seeded generator of synthetic tenders for the collusion screens: clean ones (independent prices,
metadata, addresses, devices, accounts and submission times) and ones with a planted ring (a designated
winner, cover bids in a pattern or clustered above it, and some of: a shared address, device, document
author, creation stamp, identical file, deposit account, submissions together)."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bidding.collusion.screens import BidFacts, DocumentFacts

DEADLINE = datetime(2026, 3, 27, 1, 30, tzinfo=timezone.utc)
TOOLS = ("Microsoft Word 2016", "Microsoft Word for Microsoft 365", "WPS Office", "LibreOffice 7.6",
         "Adobe Acrobat Pro DC", "Microsoft Excel 2019")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力"
#: the tender's own form every bidder attaches unchanged (ignored by the screens)
TEMPLATE_SHA = "ab" * 32


@dataclass
class Tender:
    seed: int
    bids: list[BidFacts]
    ring: frozenset[int]  # the planted ring's organisations (empty: a clean tender)
    planted: tuple[str, ...] = ()  # which signs the ring left


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _address(rng: random.Random) -> str:
    return f"{rng.choice((36, 58, 59, 60, 101, 112, 113, 114, 115, 117, 120, 183, 202, 218, 220, 222))}." \
           f"{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _sha(rng: random.Random) -> str:
    return "%064x" % rng.getrandbits(256)


def _time(rng: random.Random) -> datetime:
    """Clean submissions: spread over the last five days, a third in the last two hours' rush."""
    if rng.random() < 0.33:
        return DEADLINE - timedelta(seconds=rng.uniform(30, 7200))
    return DEADLINE - timedelta(seconds=rng.uniform(7200, 5 * 86400))


def _documents(rng: random.Random) -> tuple[DocumentFacts, ...]:
    author = _person(rng) if rng.random() < 0.8 else rng.choice(("Administrator", "微软用户", "User"))
    created = (DEADLINE - timedelta(seconds=rng.uniform(86400, 20 * 86400))).replace(microsecond=0)
    return tuple(DocumentFacts(name, author, author if rng.random() < 0.7 else _person(rng), rng.choice(TOOLS),
                               (created + timedelta(minutes=rng.randrange(600) * k)).isoformat())
                 for k, name in enumerate(("技术标.pdf", "商务标.docx")))


def _clean_bid(rng: random.Random, org: int, estimate: float) -> dict:
    return dict(organisation_id=org, label=f"bidder {org}",
                price=_money(estimate * (1 + rng.gauss(-0.05, 0.045))),
                received_at=_time(rng), files=(("投标函格式.docx", TEMPLATE_SHA), ("技术标.pdf", _sha(rng))),
                documents=_documents(rng), address=_address(rng), device_id=str(uuid.UUID(int=rng.getrandbits(128))),
                user_agent=rng.choice(("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
                                       "Mozilla/5.0 (Macintosh) Safari/605.1", "python-bidding-seal/1")),
                deposit_account=f"6222{rng.randrange(10**15):015d}")


def clean_tender(seed: int) -> Tender:
    rng = random.Random(seed)
    n = rng.randint(4, 9)
    estimate = rng.uniform(1e6, 9e7)
    return Tender(seed, [BidFacts(**_clean_bid(rng, org, estimate)) for org in range(1, n + 1)], frozenset())


SIGNS = ("address", "device", "author", "creation", "file", "account", "burst", "sequence")


def ring_tender(seed: int) -> Tender:
    """A tender where 2-4 companies collude: one wins at an inflated price, the others cover above it.
    Each sign is left with its own probability; prices follow a pattern in some rings, in others only
    cluster (then the price screens or nothing catches them)."""
    rng = random.Random(10_000 + seed)
    n = rng.randint(4, 9)
    size = rng.randint(2, min(4, n))
    estimate = rng.uniform(1e6, 9e7)
    rows = [_clean_bid(rng, org, estimate) for org in range(1, n + 1)]
    ring = rng.sample(range(1, n + 1), size)
    signs = {s for s, p in (("address", 0.45), ("device", 0.35), ("author", 0.35), ("creation", 0.2),
                            ("file", 0.2), ("account", 0.15), ("burst", 0.25), ("sequence", 0.35)) if rng.random() < p}
    winner = estimate * (1 + rng.gauss(-0.02, 0.02))
    step = rng.uniform(0.005, 0.03)
    covers = [r for r in ring[1:]]
    rows[ring[0] - 1]["price"] = _money(winner)
    if "sequence" in signs and len(ring) >= 3:
        base = _money(winner)
        diff = _money(winner * step)
        for k, org in enumerate(covers, start=1):
            rows[org - 1]["price"] = base + diff * k
    else:
        signs.discard("sequence")
        for org in covers:
            rows[org - 1]["price"] = _money(winner * (1 + step + rng.uniform(0, 0.01)))
    shared_address, shared_device = _address(rng), str(uuid.UUID(int=rng.getrandbits(128)))
    shared_docs = _documents(rng)
    shared_file, shared_account = _sha(rng), f"6222{rng.randrange(10**15):015d}"
    burst_at = _time(rng)
    for k, org in enumerate(ring):
        row = rows[org - 1]
        if "address" in signs:
            row["address"] = shared_address
        if "device" in signs:
            row["device_id"] = shared_device
        if "author" in signs:
            author = shared_docs[0].author if shared_docs[0].author not in ("Administrator", "微软用户", "User") \
                else "郑工"
            row["documents"] = tuple(DocumentFacts(d.name, author, d.last_modified_by, d.creator_tool, d.created)
                                     for d in row["documents"])
        if "creation" in signs:
            row["documents"] = row["documents"][:1] + (shared_docs[1],)
        if "file" in signs:
            row["files"] = row["files"] + (("业绩证明.pdf", shared_file),)
        if "account" in signs:
            row["deposit_account"] = shared_account
        if "burst" in signs:
            row["received_at"] = burst_at + timedelta(seconds=rng.uniform(0, 40) + 20 * k)
    if "burst" in signs and len(ring) < 3:
        signs.discard("burst")  # two bids together are no burst: the sign is not there to find
    return Tender(seed, [BidFacts(**row) for row in rows], frozenset(ring), tuple(sorted(signs)))
