"""Replays a sale from an audit log export, offline: the winner (paddle) and the price, recomputed from the
accepted bids alone, and compared with the deal the platform recorded.

    python -m bidding.auctions.replay EXPORT [--trade ID]

EXPORT is what `flask --app wsgi audit export DIR` writes (a directory with entries.jsonl), the zip the
supervisors' audit page hands out, or an entries.jsonl file itself (format `trading-audit-export/1`,
docs/audit-log.md: one canonical JSON entry per line). Nothing else is needed: no database, no platform
code beyond this file (bidding sits below monitor, so the export is read as a file, not through it).

The rules replayed (RULES.md, O39 Art 19; the live round of bidding/auctions/live):
- the live round's accepted bids (`auction_live_bids` rows with a `seq`): the highest amount wins, a tie to
  the earliest accepted (each accepted bid beats the one before, so this is the last one);
- without an accepted live bid, the accepted listing quotes (`auction_listing_quotes` with a `seq`): the
  highest quote wins, a tie to the earliest;
- refused bids and quotes (a `refusal` code, no `seq`) count for nothing.
The reserve is not replayed (its opening is the deal's business): a deal recorded as no deal below the
reserve still names the best offer as its price, and that is compared.

Rows are rebuilt from their entries (`<table>.insert` holds the row, `.update` the changed columns), so a
row changed after its insert is read as it ended. Before replaying, the entries' hash chain is checked
(each entry's `prev` is the SHA-256 leaf hash of the line before it, RFC 9162 with the 0x00 prefix, and its
`index` its line number): an export with an edited, missing or reordered line is refused rather than
replayed. The full verification (tree, signed checkpoints) is `python -m monitor.verify`.

Exit status: 0 when every replayed trade's winner and price equal its recorded deal (or no deal is
recorded yet), 1 on a mismatch, 2 when the export cannot be read, its chain is broken, or the trade asked
for has no offers in it.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

QUOTES = "auction_listing_quotes"
LIVE_BIDS = "auction_live_bids"
DEALS = "auction_deals"
TABLES = (QUOTES, LIVE_BIDS, DEALS)
ZERO_HASH = "0" * 64


class ExportError(Exception):
    """The export cannot be replayed (unreadable, not the format, or its chain is broken)."""


@dataclass(frozen=True)
class Offer:
    basis: str  # "live_bid" | "listing_quote"
    seq: int
    paddle: int
    amount: Decimal
    at: str
    index: int  # the audit entry that recorded it


@dataclass
class Trade:
    trade_id: int
    rows: dict[str, dict[object, dict]] = field(default_factory=lambda: {t: {} for t in TABLES})
    #: the audit entry index at which each row was inserted (the order the platform took them in)
    inserted: dict[tuple[str, object], int] = field(default_factory=dict)

    def accepted(self, table: str) -> list[dict]:
        return [r for r in self.rows[table].values() if r.get("seq") is not None]

    def refused(self, table: str) -> list[dict]:
        return [r for r in self.rows[table].values() if r.get("seq") is None]

    @property
    def deal(self) -> dict | None:
        return next(iter(self.rows[DEALS].values()), None)


@dataclass(frozen=True)
class Result:
    trade_id: int
    winner: Offer | None
    live_bids: int
    quotes: int
    refused: int
    deal: dict | None
    problems: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return not self.problems


# ---- reading ------------------------------------------------------------------------------------------

def entry_lines(path: str | Path) -> Iterator[bytes]:
    """The exact bytes of each entry (without the newline), from a directory, a zip or entries.jsonl."""
    path = Path(path)
    if path.is_dir():
        path = path / "entries.jsonl"
        if not path.is_file():
            raise ExportError(f"{path.parent}: no entries.jsonl (is this an audit export?)")
    if not path.is_file():
        raise ExportError(f"{path}: no such file or directory")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n == "entries.jsonl" or n.endswith("/entries.jsonl")]
            if not names:
                raise ExportError(f"{path}: the zip holds no entries.jsonl")
            with zf.open(min(names, key=len)) as fh:
                yield from _lines(io.BufferedReader(fh))
        return
    with path.open("rb") as fh:
        yield from _lines(fh)


def _lines(fh) -> Iterator[bytes]:
    for raw in fh:
        if not raw.endswith(b"\n"):
            raise ExportError("the last entry has no newline: the export is cut short")
        yield raw[:-1]


def entries(lines: Iterable[bytes]) -> Iterator[dict]:
    """Each entry parsed, after checking it continues the hash chain of the ones before it."""
    prev = ZERO_HASH
    for i, line in enumerate(lines):
        try:
            entry = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise ExportError(f"entry {i} is not JSON") from None
        if not isinstance(entry, dict) or entry.get("index") != i:
            raise ExportError(f"entry {i}: its index is {entry.get('index') if isinstance(entry, dict) else None}")
        if entry.get("prev") != prev:
            raise ExportError(f"entry {i}: its prev is not the hash of entry {i - 1}: the chain is broken "
                              "(an entry edited, removed or moved); run python -m monitor.verify to locate it")
        prev = hashlib.sha256(b"\x00" + line).hexdigest()
        yield entry


def collect(entries_: Iterable[dict], trade_id: int | None = None) -> dict[int, Trade]:
    """The rows of the sale tables, rebuilt per trade from their insert, update and delete entries."""
    trades: dict[int, Trade] = {}
    for entry in entries_:
        action = entry.get("action") or ""
        table, _dot, op = action.rpartition(".")
        if table not in TABLES or entry.get("trade") is None:
            continue
        tid = entry["trade"]
        if trade_id is not None and tid != trade_id:
            continue
        trade = trades.setdefault(tid, Trade(tid))
        key = json.dumps(entry["object"]["id"])
        rows = trade.rows[table]
        if op == "insert":
            rows[key] = dict(entry.get("after") or {})
            trade.inserted[(table, key)] = entry["index"]
        elif op == "update":
            rows.setdefault(key, {}).update(entry.get("after") or {})
        elif op == "delete":
            rows.pop(key, None)
    return trades


# ---- the rules ----------------------------------------------------------------------------------------

def money(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ExportError(f"not an amount: {value!r}") from None


def _offer(trade: Trade, table: str, basis: str, row_key: str, row: dict) -> Offer:
    return Offer(basis, int(row["seq"]), int(row["paddle"]), money(row["amount"]), row.get("received_at") or "",
                 trade.inserted.get((table, row_key), -1))


def winner(trade: Trade) -> Offer | None:
    """The best offer: the highest accepted live bid, else the highest accepted listing quote; a tie goes to
    the earliest (the lower seq, which the platform gives in the order it accepted them)."""
    for table, basis in ((LIVE_BIDS, "live_bid"), (QUOTES, "listing_quote")):
        offers = [_offer(trade, table, basis, k, r) for k, r in trade.rows[table].items() if r.get("seq") is not None]
        if offers:
            return max(offers, key=lambda o: (o.amount, -o.seq))
    return None


def compare(winner_: Offer | None, deal: dict | None) -> tuple[str, ...]:
    """What differs between the replayed best offer and the recorded deal (nothing: no deal recorded)."""
    if deal is None:
        return ()
    problems = []
    paddle, price = deal.get("paddle"), deal.get("price")
    if winner_ is None:
        if paddle is not None or price is not None:
            problems.append(f"the deal names paddle {paddle} at {price}, but the log has no accepted offer")
        return tuple(problems)
    if price is None:
        problems.append(f"the deal records no price, the log's best offer is {winner_.amount}")
    elif money(price) != winner_.amount:
        problems.append(f"price: deal {money(price)}, replay {winner_.amount}")
    if paddle is None:
        problems.append(f"the deal records no paddle, the log's best offer is paddle {winner_.paddle}")
    elif int(paddle) != winner_.paddle:
        problems.append(f"winner: deal paddle {paddle}, replay paddle {winner_.paddle}")
    if deal.get("basis") not in (None, winner_.basis):
        problems.append(f"basis: deal {deal['basis']}, replay {winner_.basis}")
    return tuple(problems)


def replay(lines: Iterable[bytes], trade_id: int | None = None) -> list[Result]:
    """Replay every sale in the log (or the one asked for), in trade order."""
    out = []
    for tid, trade in sorted(collect(entries(lines), trade_id).items()):
        if not trade.accepted(QUOTES) and not trade.accepted(LIVE_BIDS) and trade.deal is None \
                and not trade.refused(QUOTES) and not trade.refused(LIVE_BIDS):
            continue
        best = winner(trade)
        out.append(Result(tid, best, len(trade.accepted(LIVE_BIDS)), len(trade.accepted(QUOTES)),
                          len(trade.refused(LIVE_BIDS)) + len(trade.refused(QUOTES)), trade.deal,
                          compare(best, trade.deal)))
    return out


# ---- the command line ---------------------------------------------------------------------------------

def describe(result: Result) -> list[str]:
    lines = [f"trade {result.trade_id}: {result.live_bids} accepted live bids, {result.quotes} accepted listing "
             f"quotes, {result.refused} refused"]
    w = result.winner
    if w is None:
        lines.append("  replay: no accepted offer")
    else:
        what = "live bid" if w.basis == "live_bid" else "listing quote"
        lines.append(f"  replay: paddle {w.paddle} at {w.amount:,.2f} ({what} #{w.seq}, received {w.at}, "
                     f"audit entry {w.index})")
    deal = result.deal
    if deal is None:
        lines.append("  recorded deal: none in this export (nothing to compare)")
    else:
        lines.append(f"  recorded deal: {deal.get('outcome')}"
                     + (f" ({deal['reason']})" if deal.get("reason") else "")
                     + f", paddle {deal.get('paddle')}, price {deal.get('price')}, basis {deal.get('basis')}")
        lines.append("  MISMATCH: " + "; ".join(result.problems) if result.problems
                     else "  same winner and price")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidding.auctions.replay",
                                description="Recompute the winner and price of land and property sales from "
                                            "an audit log export and compare them with the recorded deal.")
    p.add_argument("export", help="the export's directory, its zip, or its entries.jsonl")
    p.add_argument("--trade", type=int, help="replay this trade only (default: every sale in the log)")
    args = p.parse_args(argv)
    try:
        results = replay(entry_lines(args.export), args.trade)
    except ExportError as exc:
        print(f"cannot replay: {exc}", file=sys.stderr)
        return 2
    if not results:
        print("no listing quotes, live bids or deals" + (f" of trade {args.trade}" if args.trade else "")
              + " in this export", file=sys.stderr)
        return 2
    for result in results:
        print("\n".join(describe(result)))
    bad = [r.trade_id for r in results if not r.matches]
    print(f"{len(results)} sale(s) replayed, {len(bad)} mismatch(es)" + (f": trades {bad}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
