"""Bench: the audit log's appends inside real transactions, and the offline verification of a large export.

    .venv/bin/python bench/audit.py [--transactions 500] [--batch 100] [--entries 1000000] [--keep]

What it does, in-process, in a fresh temporary instance (SQLite file from the migrations) deleted afterwards:

(a) appends: draft trades are changed and each transaction committed, so every transaction is real
    state changes plus the entries the capture appends in that same transaction (leaf hash, node
    hashes, head row). Two kinds of change: "edit", through `trading.trades.services.update_trade`
    (permission, rule checks, signal; one flush and one append per edit), and "row", the title set on
    the ORM object with the transaction's changes flushed by its commit (one append for all of them):
    the lightest real change, so the figure is mostly the log's own cost. Each kind runs with one
    change per transaction and with `--batch` changes per transaction, under SQLite's
    `PRAGMA synchronous=FULL` (what the platform runs with: every commit waits for the disk) and
    `NORMAL` (WAL's usual production setting: commits do not wait, a power cut may lose the last
    ones, never corrupt). Baseline: the same transactions with the capture switched off
    (`session.info["audit_off"] = True`), run before and after the measured run.
(b) verification: a real trade's life (created, edited, submitted, approved, published, documents
    downloaded by bidders, the downloader list read, closed at the deadline by the tick) gives the
    entries' shapes; the log is filled up to `--entries` by appending copies of those entries through
    `monitor.audit.append` in large transactions, with a checkpoint signed every 100,000 entries, and
    exported with `monitor.audit.export.export`. Then: the baseline, one SHA-256 pass over entries.jsonl
    (read from the page cache in 1 MiB blocks), the measured run, `python -m monitor.verify DIR --key K`
    as a subprocess (wall clock, start-up included), and the baseline again; the ratio is verify time over
    the baseline mean. A second, informative baseline hashes each entry separately (SHA-256 per line).

Prints one line per figure and a final `appends_per_s ... ratio_verify=...` line.
Exit status: 0 whatever the figures (a measurement), 1 if the verifier did not say OK, 2 if the bench failed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_APPENDS = 2000
TARGET_RATIO = 3.0
PASSWORD = "bench-password-123"
CHECKPOINT_EVERY = 100_000
APPEND_BATCH = 20_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transactions", type=int, default=500,
                   help="committed transactions of one state change each, per run (default 500)")
    p.add_argument("--batch", type=int, default=100, help="state changes per transaction in the batched runs "
                                                          "(default 100)")
    p.add_argument("--entries", type=int, default=1_000_000, help="entries in the exported log (default 1000000)")
    p.add_argument("--jobs", type=int, default=None, help="--jobs for monitor.verify (default: its own, the CPUs)")
    p.add_argument("--tmp", type=Path, default=None, help="folder for the temporary instance (default: system temp)")
    p.add_argument("--skip-appends", action="store_true", help="only part (b)")
    p.add_argument("--skip-verify", action="store_true", help="only part (a)")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance (path printed)")
    args = p.parse_args(argv)
    if not 10 <= args.transactions <= 100_000:
        p.error("--transactions must be from 10 to 100000")
    if not 1 <= args.batch <= 10_000:
        p.error("--batch must be from 1 to 10000")
    if not 1000 <= args.entries <= 20_000_000:
        p.error("--entries must be from 1000 to 20000000")
    return args


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def line(label: str, value: str) -> None:
    print(f"{label:<38} {value}", flush=True)


# ---- the instance ----------------------------------------------------------------------------------

def instance_env(tmp: Path) -> None:
    instance = tmp / "instance"
    instance.mkdir()
    for name in ("PLATFORM_ENV", "BLOB_DIR", "TIMEZONE", "SANDBOX_ENABLED", "TRUSTED_PROXIES",
                 "RECEIPT_KEY_PATH"):
        os.environ.pop(name, None)
    os.environ.update({
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'trading.sqlite'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SCHEDULER_SECONDS": "0",
    })


def make_app():
    from trading import create_app
    from trading.config import Config

    class BenchConfig(Config):
        PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
        PERSONAL_KEY_ITERATIONS = 1_000  # real PBKDF2, cheap (keys are made on the keyholders' side)

    return create_app(BenchConfig)


def build_people():
    """Schema by migrations, the centres, a tenderer, a decider, a clerk, a supervisor, five bidders."""
    import flask_migrate
    import sqlalchemy as sa

    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.extensions import db

    flask_migrate.upgrade()
    ensure_centres()
    db.session.commit()
    works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
    tenderer = create_organisation("Bench City Works Investment Co.", OrgKind.TENDERER,
                                   make_uscc("91330100MB0000001"))
    people = {"tenderer_org": tenderer, "works": works}
    for username, role in (("bench_decider", Role.DECISION_MAKER), ("bench_staff", Role.CENTRE_STAFF),
                           ("bench_supervisor", Role.ADMIN_SUPERVISOR)):
        people[username] = create_user(username, PASSWORD, username.title(), None, [(role, works.id)],
                                       email=f"{username}@bench.invalid")
    for n in range(5):
        org = create_organisation(f"Bench Bidder {n} Construction Co.", OrgKind.BIDDER,
                                  make_uscc(f"91330100MC{n:07d}"))
        people[f"bidder{n}"] = create_user(f"bench_bidder{n}", PASSWORD, f"Bidder {n}", org, [(Role.BIDDER, None)],
                                           email=f"bidder{n}@bench.invalid")
    db.session.commit()
    return people


def draft(people, title: str, start: datetime):
    from trading.trades import services as trades

    deadline = start + timedelta(days=25)
    return trades.create_trade(people["bench_staff"], {
        "centre_id": people["works"].id, "method": "works_open_tender", "tenderer_id": people["tenderer_org"].id,
        "title": title, "description": "audit bench", "estimated_price": Decimal("5000000.00"),
        "bid_security": Decimal("100000.00"), "issue_at": start, "docs_until": start + timedelta(days=10),
        "bid_deadline": deadline, "opening_at": deadline})


# ---- (a) appends in real transactions ----------------------------------------------------------------

def edit_rounds(people, trades_: list, n_tx: int, per_tx: int, capture: bool, tag: str,
                kind: str = "edit") -> tuple[float, int]:
    """n_tx transactions of per_tx title changes each, committed; (seconds, entries appended).

    kind "edit": through `trades.update_trade` (permission, rule checks, signal; one flush, so one append,
    per edit); "row": the attribute set on the ORM object, all of a transaction's changes flushed by its
    commit (so one append of per_tx entries): the lightest real change, which shows what the log costs."""
    from monitor.audit import log as audit
    from trading.extensions import db
    from trading.trades import services as trades

    staff = people["bench_staff"]
    size0, _root = audit.head()
    db.session.commit()
    t0 = time.perf_counter()
    k = 0
    with audit.acting_as(staff):
        for _i in range(n_tx):
            db.session.info["audit_off"] = not capture
            for _ in range(per_tx):
                trade = trades_[k % len(trades_)]
                if kind == "edit":
                    trades.update_trade(staff, trade, {"title": f"Audited works {tag} {k}"})
                else:
                    trade.title = f"Audited works {tag} {k}"
                k += 1
            db.session.commit()
    elapsed = time.perf_counter() - t0
    db.session.info.pop("audit_off", None)
    size1, _root = audit.head()
    db.session.commit()
    return elapsed, size1 - size0


SYNC_MODES = ("FULL", "NORMAL")
_sync = {"mode": "FULL"}


def set_synchronous(app, mode: str) -> None:
    """PRAGMA synchronous for every new connection of the app's engine (the platform leaves SQLite's
    default, FULL: each commit waits for the disk); the pool is emptied so that it takes effect."""
    import sqlalchemy as sa

    from trading.extensions import db

    with app.app_context():
        if not app.extensions.get("bench_sync_hook"):
            @sa.event.listens_for(db.engine, "connect")
            def _on_connect(dbapi_conn, _record):
                dbapi_conn.execute(f"PRAGMA synchronous={_sync['mode']}")

            app.extensions["bench_sync_hook"] = True
        _sync["mode"] = mode
        db.session.remove()
        db.engine.dispose()


def bench_appends(app, people, n_tx: int, batch: int) -> dict:
    from trading.clock import now
    from trading.extensions import db

    with app.app_context():
        db.session.add_all([people[k] for k in people])  # re-attach
        trades_ = [draft(people, f"Audited works {n}", now() + timedelta(days=1)) for n in range(max(20, batch))]
        db.session.commit()
        ids = [t.id for t in trades_]
        db.session.remove()
    out = {}
    for mode in SYNC_MODES:
        set_synchronous(app, mode)
        with app.app_context():
            from trading.trades.models import Trade

            db.session.add_all([people[k] for k in people])
            trades_ = [db.session.get(Trade, i) for i in ids]
            for kind in ("edit", "row"):
                for label, tx, per in (("single", n_tx, 1), ("batched", max(5, n_tx * 2 // batch), batch)):
                    say(f"  {mode} {kind} {label}: {tx} transactions of {per} change(s), without / with / without "
                        "the log ...")
                    edit_rounds(people, trades_, 10, per, True, "warm", kind)  # warm caches and statements
                    off1, _ = edit_rounds(people, trades_, tx, per, False, f"off1-{mode}-{label}", kind)
                    on, entries = edit_rounds(people, trades_, tx, per, True, f"on-{mode}-{label}", kind)
                    off2, _ = edit_rounds(people, trades_, tx, per, False, f"off2-{mode}-{label}", kind)
                    out[(mode, kind, label)] = {"tx": tx, "per": per, "on": on, "off": (off1, off2),
                                                "entries": entries}
            for obj in people.values():
                db.session.expunge(obj)
            db.session.remove()
    set_synchronous(app, "FULL")
    return out


# ---- (b) a large log, exported and verified -----------------------------------------------------------

def life_of_a_trade(people) -> list[dict]:
    """A real trade through the services (the capture logs it); returns the entries it produced."""
    from monitor.audit import log as audit

    with audit.acting_as(people["bench_staff"]):
        return _life(people)


def _life(people) -> list[dict]:
    import io

    import sqlalchemy as sa

    from monitor.audit import log as audit
    from monitor.audit.models import AuditEntry
    from trading.clock import clock, now
    from trading.extensions import db
    from trading.notices import services as notices
    from trading.trades import services as trades

    first = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    start = now()
    trade = draft(people, "Template tender", start)
    db.session.commit()
    trades.update_trade(people["bench_staff"], trade, {"description": "audit bench, second edit"})
    doc = notices.upload_document(people["bench_staff"], trade, "tender.pdf", "application/pdf",
                                  io.BytesIO(b"%PDF-1.4 bench tender documents"))
    db.session.commit()
    for name, who in (("submit", "bench_staff"), ("approve", "bench_decider"), ("publish", "bench_staff")):
        with audit.acting_as(people[who]):
            trades.move(trade, name, people[who])
            db.session.commit()
    for n in range(5):
        clock.advance(timedelta(minutes=3))
        with audit.acting_as(people[f"bidder{n}"]):
            notices.record_download(trade, doc, people[f"bidder{n}"])
            db.session.commit()
    notices.downloaders(people["bench_staff"], trade)
    db.session.commit()
    clock.freeze(trade.bid_deadline + timedelta(seconds=1))
    trades.advance_due()
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq >= first).order_by(AuditEntry.seq)).all()
    return [{"body": {k: v for k, v in json.loads(r.body).items() if k not in ("index", "prev")}, "at": r.at,
             "action": r.action, "trade_id": r.trade_id, "centre_id": r.centre_id, "actor_id": r.actor_id,
             "audience": r.audience} for r in rows]


def fill_log(app, people, target: int) -> tuple[int, float, float]:
    """Append copies of a real trade's entries until the log holds `target`; (size, mean bytes, seconds)."""
    from monitor.audit import log as audit
    from trading.clock import clock
    from trading.extensions import db

    t0 = time.perf_counter()
    with app.app_context():
        db.session.add_all([people[k] for k in people])
        templates = life_of_a_trade(people)
        size, _root = audit.head()
        trade_base = max(t["trade_id"] or 0 for t in templates)
        n = 0
        next_checkpoint = (size // CHECKPOINT_EVERY + 1) * CHECKPOINT_EVERY
        while size < target:
            count = min(APPEND_BATCH, target - size, next_checkpoint - size)
            pending = []
            for _ in range(count):
                t = templates[n % len(templates)]
                cycle = n // len(templates)
                trade = None if t["trade_id"] is None else t["trade_id"] + cycle
                at = t["at"] + timedelta(seconds=cycle)
                body = dict(t["body"], trade=trade, at=audit.iso(at))
                pending.append(dict(t, body=body, at=at, trade_id=trade))
                n += 1
            audit.append(db.session, pending)
            size += count
            if size >= next_checkpoint or size >= target:
                clock.advance(timedelta(minutes=5))
                audit.sign_checkpoint("schedule")
                next_checkpoint += CHECKPOINT_EVERY
            db.session.commit()
            if size % 200_000 < APPEND_BATCH:
                say(f"  {size} entries ...")
        mean = statistics.fmean(len(json.dumps(t["body"], ensure_ascii=False).encode()) for t in templates)
        db.session.remove()
    return size, mean, time.perf_counter() - t0


def export_log(app, directory: Path) -> tuple[dict, str]:
    from monitor.audit import export
    from monitor.audit import log as audit
    from trading.extensions import db

    with app.app_context():
        manifest = export.export(directory)
        key = audit.public_key_info()["public_key"]
        db.session.remove()
    return manifest, key


def raw_sha256(path: Path) -> float:
    t0 = time.perf_counter()
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    h.digest()
    return time.perf_counter() - t0


def per_line_sha256(path: Path) -> float:
    """SHA-256 of each line on its own (the leaf hashes without their prefix and without the tree)."""
    digest = type(hashlib.sha256()).digest
    t0 = time.perf_counter()
    carry = b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            list(map(digest, map(hashlib.sha256, lines)))
    return time.perf_counter() - t0


def run_verify(directory: Path, key: str, jobs: int | None) -> tuple[float, int, str]:
    cmd = [sys.executable, "-m", "monitor.verify", str(directory), "--key", key]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - t0, done.returncode, done.stdout + done.stderr


# ---- main ------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_begin = time.monotonic()
    parent = args.tmp or Path(tempfile.gettempdir())
    need = args.entries * 1500 + 256 * 1024 * 1024  # database rows, node hashes, indexes, the export
    free = shutil.disk_usage(parent).free
    if free < need:
        say(f"not enough free space in {parent}: {free / 2**30:.1f} GiB free, about {need / 2**30:.1f} GiB needed")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="prtp-bench-audit-", dir=parent))
    say(f"instance {tmp}")

    from trading.clock import clock

    status = 0
    try:
        instance_env(tmp)
        app = make_app()
        clock.freeze(datetime.now(timezone.utc).replace(microsecond=0))
        with app.app_context():
            from trading.extensions import db

            people = build_people()
            for obj in people.values():
                db.session.expunge(obj)
            db.session.remove()
        print(f"# audit log bench; SQLite (WAL) at {tmp}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
        appends = None
        if not args.skip_appends:
            say(f"(a) appends: {args.transactions} transactions of 1 edit, and batches of {args.batch} ...")
            appends = bench_appends(app, people, args.transactions, args.batch)
            line("(a) sync kind per-tx", "appends/s with log | changes/s without (runs) | ratio | log ms/append")
            for (mode, kind, label), r in appends.items():
                base = statistics.fmean(r["off"])
                changes = r["tx"] * r["per"]
                assert r["entries"] == changes, (mode, kind, label, r["entries"], changes)
                line(f"{mode.lower()} {kind} {r['per']}/tx x {r['tx']}",
                     f"{r['entries'] / r['on']:.0f} | {changes / base:.0f} ({changes / r['off'][0]:.0f}, "
                     f"{changes / r['off'][1]:.0f}) | {base / r['on']:.3f} | "
                     f"{(r['on'] - base) / r['entries'] * 1000:.3f}")
        verify_ratio = None
        if not args.skip_verify:
            say(f"(b) filling the log to {args.entries} entries ...")
            size, mean, t_fill = fill_log(app, people, args.entries)
            out = tmp / "export"
            t0 = time.perf_counter()
            manifest, key = export_log(app, out)
            t_export = time.perf_counter() - t0
            entries = out / "entries.jsonl"
            nbytes = entries.stat().st_size
            say(f"  filled in {t_fill:.1f} s, exported in {t_export:.1f} s; verifying ...")
            raw1 = raw_sha256(entries)
            line1 = per_line_sha256(entries)
            took, code, text = run_verify(out, key, args.jobs)
            raw2 = raw_sha256(entries)
            line2 = per_line_sha256(entries)
            baseline, per_line = statistics.fmean([raw1, raw2]), statistics.fmean([line1, line2])
            verify_ratio = took / baseline
            ok = code == 0 and "\nOK: " in "\n" + text
            line("entries", f"{manifest['entries']}  ({manifest['checkpoints']} checkpoints, mean entry "
                            f"{nbytes / manifest['entries']:.0f} bytes, template mean {mean:.0f})")
            line("entries.jsonl MB", f"{nbytes / 1e6:.1f}")
            line("fill + export s", f"{t_fill:.1f} + {t_export:.1f}")
            line("baseline raw SHA-256 s", f"{baseline:.3f}  (runs: {raw1:.3f}, {raw2:.3f}; "
                                           f"{nbytes / baseline / 1e6:.0f} MB/s)")
            line("per-entry SHA-256 s", f"{per_line:.3f}  (runs: {line1:.3f}, {line2:.3f})")
            line("monitor.verify s", f"{took:.3f}  (exit {code}, {'OK' if ok else 'NOT OK'}; --jobs "
                                     f"{args.jobs or 'default'})")
            line("ratio verify/raw SHA-256", f"{verify_ratio:.2f}")
            line("ratio verify/per-entry SHA-256", f"{took / per_line:.2f}")
            if not ok:
                say(text[-3000:])
                status = 1
        line("bench wall time s", f"{time.monotonic() - t_begin:.1f}")
        summary = []
        if appends is not None:
            rate = {f"{m.lower()}_{k}_{lb}": r["entries"] / r["on"] for (m, k, lb), r in appends.items()}
            summary.append("appends_per_s " + " ".join(f"{k}={v:.0f}" for k, v in rate.items())
                           + f" target>={TARGET_APPENDS}")
        if verify_ratio is not None:
            summary.append(f"ratio_verify={verify_ratio:.2f} target<={TARGET_RATIO}")
        print(" ".join(summary), flush=True)
        if args.keep:
            say(f"kept {tmp}")
        return status
    except Exception as exc:
        traceback.print_exc()
        say(f"bench failed: {type(exc).__name__}: {exc}")
        return 2
    finally:
        clock.unfreeze()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
