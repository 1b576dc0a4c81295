"""Bench: opening N sealed bids through the real ceremony code, against a bare decryption and custody of the same envelopes.

    .venv/bin/python bench/opening.py [--bids 1000] [--size 1M] [--keep] [--profile]

What it does, in-process, in a fresh temporary instance (SQLite file, blob directory) deleted afterwards:

1. builds the data through the real services with the platform clock frozen (schema by migrations,
   centres, two executing clerks and a supervisor who enrol personal keys, a works tender whose
   keyholders are appointed, then submitted, approved - which makes and splits the opening key - and
   published, so it is open for bids), and N bidder companies, each with a user;
2. seals one envelope per bidder (`bidding.crypto.envelope.seal`: a form with a price and one file of
   `--size` random bytes) and submits it with `bidding.submission.services.submit_bid` (real checks, real blob
   store, one commit per bid, as the API does);
3. moves the clock to the opening time; rebuilds the private key once from the keyholders' shares
   (outside any timing) for the baseline;
4. baselines, one thread each: the raw decryption (for every stored blob,
   `bidding.crypto.envelope.open_envelope_digest` with that key, the plaintext discarded: the baseline
   before custody, still printed), and the baseline the ratio uses: every envelope decrypted into a
   reused buffer (`open_envelope_bytes`, the plaintext hashed) and its files kept bare (`BareKeep`:
   the kept-file format's AES-256-GCM chunks, the SHA-256 of each file's plaintext and ciphertext, a
   temporary file moved under its name, one fsync barrier at the end: custody's inherent work, written
   without the platform's code); measured: `ceremony.start_ceremony`, the three `ceremony.release_share`,
   and `ceremony.complete_ceremony` (re-hashes and decrypts every envelope, decodes the records, keeps
   the files, writes the opening record); then both baselines again. Each baseline is the mean of its
   two runs, which bracket the ceremony in time;
5. checks the opening record (one entry per bid, every one `opened`, prices, plaintext digests equal
   to the baseline's, file sizes and digests equal to what was sealed) and the kept documents (one per
   file, ciphertext present at its size, the first three decrypted back to their SHA-256), and prints
   one line per figure and a final `ratio=X target<=1.5`.

Exit status: 0 whatever the ratio (it is a measurement), 1 if the ceremony's record is wrong, 2 if
the bench itself failed (setup, not enough disk space).
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET = 1.5
PASSWORD = "bench-password-123"
PASSPHRASES = {"bench_staff": "bench staff passphrase 1", "bench_staff2": "bench staff passphrase 2",
               "bench_supervisor": "bench supervisor passphrase 3"}
MAX_SIZE = 60 * 1024 * 1024  # the platform's MAX_CONTENT_LENGTH is 64 MiB per envelope
SPARE_BYTES = 512 * 1024 * 1024  # free space to leave on the disk beyond the envelopes


# ---- options -------------------------------------------------------------------------------------

def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)i?[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 262144, 256K, 1M)")
    number, unit = int(match.group(1)), match.group(2).upper()
    value = number * {"": 1, "K": 1024, "M": 1024 ** 2}[unit]
    if not 1 <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"the size must be from 1 byte to {MAX_SIZE // 1024 ** 2} MiB")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bids", type=int, default=1000, help="sealed bids, one per bidder company (default 1000)")
    p.add_argument("--size", type=parse_size, default=1024 * 1024,
                   help="size of the random file sealed in each envelope: bytes or 256K / 1M (default 1M)")
    p.add_argument("--tmp", type=Path, default=None,
                   help="folder in which to make the temporary instance (default: the system's temp folder)")
    p.add_argument("--profile", action="store_true",
                   help="run complete_ceremony under cProfile and print where its time goes (the ceremony "
                        "figure and the ratio are then inflated by the profiler)")
    p.add_argument("--breakdown", action="store_true",
                   help="time the parts of complete_ceremony (the blob re-hash, the decryption, the record "
                        "decoding, the record) by wrapping those functions with timers while it runs; the "
                        "overhead is a few microseconds per bid, so the figures stay valid")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance (path printed)")
    args = p.parse_args(argv)
    if not 1 <= args.bids <= 10_000:
        p.error("--bids must be from 1 to 10000")
    return args


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def line(label: str, value: str) -> None:
    print(f"{label:<34} {value}", flush=True)


def envelope_bytes(size: int, chunk: int = 65536) -> int:
    """About how large the envelope of one bid is: header, form record, file record, GCM tags."""
    plain = size + 200
    return 300 + plain + 16 * (plain // chunk + 1)


# ---- the instance and its data -------------------------------------------------------------------

def instance_env(tmp: Path) -> None:
    instance = tmp / "instance"
    instance.mkdir()
    for name in ("PLATFORM_ENV", "BLOB_DIR", "TIMEZONE", "SANDBOX_ENABLED", "TRUSTED_PROXIES",
                 "RECEIPT_KEY_PATH"):
        os.environ.pop(name, None)  # nothing from the caller's shell may point elsewhere
    os.environ.update({
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'trading.sqlite'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SCHEDULER_SECONDS": "0",
    })


def make_app():
    """The platform in-process on the bench instance, with cheap Argon2 (passwords and personal keys)."""
    from trading import create_app
    from trading.config import Config

    class BenchConfig(Config):
        PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
        PERSONAL_KEY_ITERATIONS = 1_000  # real PBKDF2, cheap (keys are made on the keyholders' side)

    return create_app(BenchConfig)


@dataclass
class Sealed:
    """What the bench knows of one bid it sealed, to check the opening record against."""
    organisation_id: int
    credit_code: str
    price: str
    file_sha256: str
    envelope_sha256: str = ""


@dataclass
class Setup:
    trade_id: int
    staff_ids: dict[str, int]  # username -> user id (the keyholders)
    bids: list[Sealed]
    envelope_total: int  # bytes of all envelopes stored


def build_trade(app) -> tuple[int, dict[str, int]]:
    """Centres, keyholders with personal keys, and a works tender open for bids (clock frozen)."""
    import flask_migrate
    import sqlalchemy as sa

    from bidding.keyholders import client as holder_side, services as bidding
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

    def person(username, role):
        return create_user(username, PASSWORD, username.replace("_", " ").title(), None,
                           [(role, works.id)], email=f"{username}@bench.invalid")

    tenderer = create_organisation("Bench City Works Investment Co.", OrgKind.TENDERER,
                                   make_uscc("91330100MB0000001"))
    decider = person("bench_decider", Role.DECISION_MAKER)
    staff = person("bench_staff", Role.CENTRE_STAFF)
    staff2 = person("bench_staff2", Role.CENTRE_STAFF)
    supervisor = person("bench_supervisor", Role.ADMIN_SUPERVISOR)
    db.session.commit()
    for user in (staff, staff2, supervisor):
        made = holder_side.enrol(PASSPHRASES[user.username], 1_000)  # the keyholder's machine
        bidding.enrol_personal_key(user, made.public_key, made.wrapped_key)
    db.session.commit()

    from bench.submission import open_works_tender

    trade, _key = open_works_tender("Bench: opening sealed bids", works=works, tenderer=tenderer, decider=decider,
                                    executing=[staff, staff2], supervisor=supervisor)
    return trade.id, {u.username: u.id for u in (staff, staff2, supervisor)}


def submit_bids(app, trade_id: int, n: int, size: int) -> tuple[list[Sealed], int]:
    """N bidder companies with a user each; one sealed envelope each through submit_bid."""
    from bidding.crypto import envelope
    from bidding.keyholders.services import opening_key
    from bidding.submission import services as bidding
    from bidding.crypto.envelope_check import content_digest
    from bidding.crypto.records import encode_bid
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user
    from trading.accounts.uscc import make_uscc
    from trading.clock import clock
    from trading.extensions import db
    from trading.trades.models import Trade

    trade = db.session.get(Trade, trade_id)
    public_key = envelope.load_public_key(opening_key(trade).public_key.hex())
    ref = trade.ref
    users = []
    for i in range(1, n + 1):
        org = create_organisation(f"Bench Bidder {i:05d} Construction Co.", OrgKind.BIDDER,
                                  make_uscc(f"91330100MA{i:07d}"))
        user = create_user(f"bench_bidder_{i:05d}", PASSWORD, f"Bench Bidder {i}", org,
                           [(Role.BIDDER, None)], email=f"bidder{i}@bench.invalid")
        users.append(user)
        if i % 200 == 0:
            db.session.commit()
    db.session.commit()
    say(f"  {n} bidder companies created; sealing and submitting ...")

    sealed, total, t0 = [], 0, time.monotonic()
    for i, user in enumerate(users):
        org = user.organisation
        price = f"{4_800_000 + i}.{i % 100:02d}"
        data = os.urandom(size)
        plaintext = encode_bid({"price": price, "duration_days": "360", "note": f"bench bid {i}"},
                               [("technical.bin", data)])
        buf = io.BytesIO()
        envelope.seal(plaintext, public_key=public_key, trade_ref=ref, bidder_id=org.credit_code,
                      version=1, out=buf)
        record = Sealed(org.id, org.credit_code, price, hashlib.sha256(data).hexdigest())
        del data, plaintext
        buf.seek(0)
        clock.advance(timedelta(milliseconds=10))  # received one after another, as uploads are
        bid = bidding.submit_bid(user, trade, buf, content_digest(buf.getvalue()))
        db.session.commit()
        record.envelope_sha256 = bid.sha256
        total += bid.size
        sealed.append(record)
        if (i + 1) % 100 == 0 or i + 1 == n:
            say(f"  {i + 1}/{n} bids submitted ({time.monotonic() - t0:.1f} s)")
    return sealed, total


def build_data(app, n: int, size: int) -> Setup:
    from trading.extensions import db

    with app.app_context():
        trade_id, staff_ids = build_trade(app)
        bids, total = submit_bids(app, trade_id, n, size)
        db.session.remove()
    return Setup(trade_id, staff_ids, bids, total)


# ---- the baseline --------------------------------------------------------------------------------

def rebuild_private_key(app, setup: Setup):
    """The opening key rebuilt once from the keyholders' sealed shares, outside any timing."""
    import sqlalchemy as sa

    from bidding.keyholders import client as holder_side, keys
    from bidding.keyholders.models import Keyholder, PersonalKey, SealedShare, Side
    from bidding.keyholders.services import opening_key, share_context
    from trading.extensions import db
    from trading.trades.models import Trade

    with app.app_context():
        trade = db.session.get(Trade, setup.trade_id)
        key = opening_key(trade)
        shares = {Side.EXECUTE: [], Side.SUPERVISE: []}
        for username, user_id in setup.staff_ids.items():
            holder = db.session.scalar(sa.select(Keyholder).where(Keyholder.trade_id == trade.id,
                                                                  Keyholder.user_id == user_id))
            sealed = db.session.scalar(sa.select(SealedShare).where(SealedShare.opening_key_id == key.id,
                                                                    SealedShare.keyholder_id == holder.id))
            personal = db.session.get(PersonalKey, sealed.personal_key_id)
            unlocked = holder_side.unwrap(personal.protected_key, PASSPHRASES[username])
            shares[holder.side].append(holder_side.open_share(sealed.sealed, unlocked, share_context(trade, holder)))
        private = keys.rebuild_opening_key(shares[Side.EXECUTE], shares[Side.SUPERVISE], key.public_key,
                                           execute_threshold=key.execute_threshold,
                                           supervise_threshold=key.supervise_threshold)
        db.session.remove()
    return private


def blob_paths(app, setup: Setup) -> list[Path]:
    from trading.blobs import blob_store

    with app.app_context():
        store = blob_store()
        return [store.path(b.envelope_sha256) for b in setup.bids]


def raw_decrypt(paths: list[Path], private_key) -> tuple[float, float, dict[str, str]]:
    """Every envelope opened with open_envelope_digest, plaintext discarded; (seconds, CPU seconds,
    envelope SHA-256 -> plaintext SHA-256). The baseline before custody, still printed beside."""
    from bidding.crypto.envelope import open_envelope_digest

    digests = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for path in paths:
        with path.open("rb") as fh:
            opened = open_envelope_digest(fh, private_key)
        digests[path.parent.name + path.name] = opened.plaintext_sha256.hex()
    return time.perf_counter() - t0, time.process_time() - c0, digests


class BareKeep:
    """Custody's inherent work done bare, in the calling thread, for the baseline: each file encrypted
    under a fresh key in the kept-file format (1 MiB AES-256-GCM chunks, MAGIC, framing, last chunk
    marked), the SHA-256 of its plaintext (the record binds it) and of its ciphertext (the blob store's
    name for it), written to a temporary file and moved under that name, then one barrier: every file
    and folder fsynced. The same system calls as the platform's custody (bidding/crypto/custody.py:
    writeback started at once, pages dropped once clean, the fsyncs issued together), written without
    the platform's code, threads or database, so the ratio measures what the platform adds."""

    CHUNK, TAG = 1024 * 1024, 16

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.out = bytearray(8 + 4 + self.CHUNK + self.TAG)
        self.out[:8] = b"PRCUST01"
        self.recent: list[Path] = []
        self.placed: list[Path] = []

    def keep(self, name: str, data: memoryview) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = AESGCM.generate_key(bit_length=256)
        aead, ctx = AESGCM(key), f"PRCUST|bench|bare|1|{name}".encode()
        plain, cipher = hashlib.sha256(), hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".incoming-")
        view, count = memoryview(self.out), max(1, -(-len(data) // self.CHUNK))
        for i in range(count):
            piece = data[i * self.CHUNK:(i + 1) * self.CHUNK]
            n = len(piece) + self.TAG
            self.out[8:12] = n.to_bytes(4, "big")
            aead.encrypt_into(i.to_bytes(11, "big") + (b"\x01" if i == count - 1 else b"\x00"), piece, ctx,
                              view[12:12 + n])
            frame = view[0 if i == 0 else 8:12 + n]
            plain.update(piece)
            cipher.update(frame)
            while frame:
                frame = frame[os.write(fd, frame):]
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # start writeback now
        os.close(fd)
        digest = cipher.hexdigest()
        final = self.folder / digest[:2] / digest[2:]
        final.parent.mkdir(exist_ok=True)
        os.replace(tmp, final)
        self.placed.append(final)
        self.recent.append(final)
        if len(self.recent) > 8:  # written back by now: drop its pages, the next writes reuse them
            old = os.open(self.recent.pop(0), os.O_RDONLY)
            os.posix_fadvise(old, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(old)
        return plain.hexdigest()

    def barrier(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        def sync(path: Path, flags: int = os.O_RDONLY) -> None:
            fd = os.open(path, flags)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(sync, self.placed))
            folders = {p.parent for p in self.placed} | {self.folder}
            list(pool.map(lambda f: sync(f, os.O_RDONLY | os.O_DIRECTORY), folders))


def file_views(plain: memoryview) -> list[tuple[str, memoryview]]:
    """The attached files of a bid's record stream (bidding/crypto/records.py), as views."""
    files, pos = [], 0
    while pos < len(plain):
        name_len = int.from_bytes(plain[pos + 1:pos + 3], "big")
        start = pos + 11 + name_len
        size = int.from_bytes(plain[start - 8:start], "big")
        if plain[pos] == 0x02:
            files.append((bytes(plain[pos + 3:pos + 3 + name_len]).decode(), plain[start:start + size]))
        pos = start + size
    return files


def bare_open_and_keep(paths: list[Path], private_key, folder: Path
                       ) -> tuple[float, float, dict[str, tuple[str, list[str]]]]:
    """The baseline: every envelope read into a reused buffer and decrypted with
    `envelope.open_envelope_bytes` (plaintext hashed chunk by chunk, as the record needs), its files kept
    bare (BareKeep), then the barrier; one thread, no receipt check, no database. (seconds, envelope
    SHA-256 -> (plaintext SHA-256, [each file's SHA-256])). The kept files are deleted afterwards, untimed."""
    from bidding.crypto.envelope import open_envelope_bytes

    folder.mkdir()
    keeper, digests, stored, plain_buf = BareKeep(folder), {}, bytearray(), bytearray()
    t0, c0 = time.perf_counter(), time.process_time()
    for path in paths:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if len(stored) < size:
                stored, plain_buf = bytearray(size), bytearray(size)
            view = memoryview(stored)[:size]
            got = 0
            while got < size:
                got += fh.readinto(view[got:])
        digest = hashlib.sha256()
        _header, plain = open_envelope_bytes(view, private_key, into=plain_buf, digest=digest)
        files = [keeper.keep(name, data) for name, data in file_views(plain)]
        digests[path.parent.name + path.name] = (digest.hexdigest(), files)
        del view, plain
    keeper.barrier()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    shutil.rmtree(folder)
    return seconds, cpu, digests


# ---- the ceremony --------------------------------------------------------------------------------

@dataclass
class CeremonyTimes:
    start: float
    releases: list[float]
    complete: float
    commit: float
    complete_cpu: float  # CPU seconds of the process (all its threads) during complete_ceremony
    profile: pstats.Stats | None
    parts: dict[str, list] | None  # --breakdown: name -> [calls, seconds]


class Breakdown:
    """Wrap named functions with timers for the duration of a `with` block, then put them back."""

    def __init__(self, targets: list[tuple[object, str, str]]) -> None:
        self.targets = targets  # (module or object, attribute, label)
        self.parts: dict[str, list] = {label: [0, 0.0, 0.0] for _obj, _attr, label in targets}
        self.saved: list[tuple[object, str, object]] = []
        self.lock = threading.Lock()

    def __enter__(self) -> Breakdown:
        for obj, attr, label in self.targets:
            original = getattr(obj, attr)
            tally = self.parts[label]

            def timed(*a, _f=original, _t=tally, **kw):
                t0, c0 = time.perf_counter(), time.process_time()
                try:
                    return _f(*a, **kw)
                finally:
                    with self.lock:  # helper threads run some of them
                        _t[0] += 1
                        _t[1] += time.perf_counter() - t0
                        _t[2] += time.process_time() - c0  # the process's CPU: meaningful for the outer parts

            self.saved.append((obj, attr, original))
            setattr(obj, attr, timed)
        return self

    def __exit__(self, *exc) -> None:
        for obj, attr, original in reversed(self.saved):
            setattr(obj, attr, original)


def run_ceremony(app, setup: Setup, profile: bool, breakdown: bool) -> CeremonyTimes:
    """start_ceremony, the three release_share, complete_ceremony; each as its own request would
    (fresh session, commit at the end)."""
    from bidding.ceremony import services as ceremony
    from bidding.keyholders import client as holder_side
    from trading.accounts.models import User
    from trading.extensions import db
    from trading.trades.models import Trade

    cpu = [0.0]

    def step(username: str, call):
        with app.app_context():
            trade = db.session.get(Trade, setup.trade_id)
            actor = db.session.get(User, setup.staff_ids[username])
            t0, c0 = time.perf_counter(), time.process_time()
            call(actor, trade)
            t1, c1 = time.perf_counter(), time.process_time()
            db.session.commit()
            t2 = time.perf_counter()
            db.session.remove()
        cpu[0] = c1 - c0
        return t1 - t0, t2 - t1

    def opened_share(username: str) -> bytes:
        """The keyholder's machine, not timed: fetch the sealed share and wrapped key, open it there."""
        with app.app_context():
            material = ceremony.sealed_share_for(db.session.get(User, setup.staff_ids[username]),
                                                 db.session.get(Trade, setup.trade_id))
            db.session.remove()
        return holder_side.release(bytes.fromhex(material["wrapped_key"]), PASSPHRASES[username],
                                   bytes.fromhex(material["sealed_share"]), material["context"].encode())

    t_start = sum(step("bench_staff", ceremony.start_ceremony))
    opened = {name: opened_share(name) for name in PASSPHRASES}
    releases = [sum(step(name, lambda actor, trade, name=name: ceremony.release_share(actor, trade, opened[name])))
                for name in PASSPHRASES]
    profiler = cProfile.Profile() if profile else None
    # looked up at call time: _open_bids, _record, canonical_json and move as ceremony/opening.py's globals,
    # decrypt, verdict and SharedHasher.result through ceremony.opener, open_envelope_bytes and decode_bid_to
    # through the modules bidding/ceremony/opener.py imports
    from bidding.ceremony import opener
    from bidding.ceremony import opening

    timers = Breakdown([
        (opening, "_open_bids", "_open_bids"),
        (opener, "decrypt", " decrypt"),
        (opener.envelope, "open_envelope_bytes", "  open_envelope_bytes"),
        (opener, "verdict", " verdict"),
        (opener.records, "decode_bid_to", "  decode_bid_to"),
        (opener, "collect", " collect"),
        (opener.SharedHasher, "result", "  SharedHasher.result (verdict + collect)"),
        (opener.custody, "make_durable", " make_durable"),
        (opener.custody.Keeper, "keep", "  Keeper.keep (summed over threads)"),
        (opening, "_record", "_record"),
        (opening, "canonical_json", "canonical_json"),
        (opening, "move", "move"),
    ]) if breakdown else None

    def complete(actor, trade):
        if timers is not None:
            timers.__enter__()
        if profiler is not None:
            profiler.enable()
        try:
            return ceremony.complete_ceremony(actor, trade)
        finally:
            if profiler is not None:
                profiler.disable()
            if timers is not None:
                timers.__exit__()

    t_complete, t_commit = step("bench_staff", complete)
    stats = pstats.Stats(profiler, stream=sys.stderr) if profiler else None
    return CeremonyTimes(t_start, releases, t_complete, t_commit, cpu[0], stats, timers.parts if timers else None)


def check_record(app, setup: Setup, size: int, digests: dict[str, str],
                 bare: dict[str, tuple[str, list[str]]]) -> list[str]:
    """What is wrong with the stored opening (nothing, when the list is empty)."""
    import sqlalchemy as sa

    from bidding.ceremony.services import ceremony_of, opening_record
    from bidding.ceremony.models import CeremonyOutcome, EntryStatus, OpeningEntry
    from trading.extensions import db
    from trading.trades.flows import TradeState
    from trading.trades.models import Trade

    problems: list[str] = []
    expected = {b.organisation_id: b for b in setup.bids}
    with app.app_context():
        trade = db.session.get(Trade, setup.trade_id)
        cer = ceremony_of(trade)
        if cer is None or cer.finished_at is None:
            return ["the ceremony did not finish"]
        if cer.outcome is not CeremonyOutcome.OPENED:
            problems.append(f"outcome {cer.outcome}, not opened ({cer.reason})")
        if trade.state is not TradeState.OPENED:
            problems.append(f"the trade is {trade.state.value} after the opening")
        entries = db.session.scalars(sa.select(OpeningEntry).where(OpeningEntry.ceremony_id == cer.id)).all()
        if len(entries) != len(setup.bids):
            problems.append(f"{len(entries)} opening entries for {len(setup.bids)} bids")
        wrong_status = [e for e in entries if e.status is not EntryStatus.OPENED]
        if wrong_status:
            e = wrong_status[0]
            problems.append(f"{len(wrong_status)} entries not opened (e.g. {e.status.value}: {e.reason})")
        seen = set()
        for e in entries:
            want = expected.get(e.organisation_id)
            if want is None:
                problems.append(f"an entry for organisation {e.organisation_id}, which did not bid")
                continue
            seen.add(e.organisation_id)
            if e.status is not EntryStatus.OPENED:
                continue
            if e.price != Decimal(want.price):
                problems.append(f"{want.credit_code}: price {e.price}, sealed {want.price}")
            if e.plaintext_sha256 != digests.get(want.envelope_sha256):
                problems.append(f"{want.credit_code}: plaintext SHA-256 differs from the raw decryption's")
            files = e.files or []
            # the record names each file, its size and its SHA-256 (the baseline's bare custody hashed the same bytes)
            file_shas = bare.get(want.envelope_sha256, ("", []))[1]
            if len(files) != 1 or files[0].get("size") != size or [f.get("sha256") for f in files] != file_shas:
                problems.append(f"{want.credit_code}: files {json.dumps(files)[:200]} differ from the sealed file")
        if len(seen) != len(expected):
            problems.append(f"{len(expected) - len(seen)} bidders have no entry")
        problems.extend(check_kept(trade, entries))
        stored = opening_record(trade)
        if stored is None:
            problems.append("no opening record stored")
        else:
            record, digest = stored
            if hashlib.sha256(cer.record.encode("utf-8")).hexdigest() != digest:
                problems.append("the record's stored SHA-256 does not match the record")
            statuses = [b["status"] for b in record["bids"]]
            if len(statuses) != len(setup.bids) or set(statuses) != {"opened"}:
                problems.append(f"the record lists {len(statuses)} bids with statuses {sorted(set(statuses))}")
            if record.get("valid_bids") != len(setup.bids):
                problems.append(f"the record counts {record.get('valid_bids')} valid bids")
        db.session.remove()
    return problems[:20]


def check_kept(trade, entries) -> list[str]:
    """Every opened bid's file is kept: one KeptDocument per file the record lists, with its SHA-256,
    its ciphertext in the blob directory at its size; the first three decrypt back to that SHA-256."""
    import sqlalchemy as sa

    from bidding.crypto import custody
    from bidding.custody.models import KeptDocument
    from bidding.custody.services import custody_kek
    from bidding.submission.models import Bid
    from trading.blobs import blob_store
    from trading.extensions import db

    problems: list[str] = []
    rows = db.session.scalars(sa.select(KeptDocument).where(KeptDocument.trade_id == trade.id)
                              .order_by(KeptDocument.id)).all()
    listed = {(e.bid_id, f["name"], f["sha256"]) for e in entries for f in (e.files or [])}
    if {(r.bid_id, r.name, r.sha256) for r in rows} != listed or len(rows) != len(listed):
        problems.append(f"{len(rows)} kept documents for {len(listed)} files in the record, or other hashes")
    store, kek = blob_store(), custody_kek()
    for i, row in enumerate(rows):
        path = store.path(row.blob_sha256)
        if not path.exists() or path.stat().st_size != row.blob_size:
            problems.append(f"kept document {row.id}: its ciphertext is missing or not {row.blob_size} bytes")
        elif i < 3:
            bid = db.session.get(Bid, row.bid_id)
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for piece in custody.read_kept(fh, kek, row.sealed, custody.context(
                        trade.ref, bid.organisation.credit_code, bid.version, row.name)):
                    digest.update(piece)
            if digest.hexdigest() != row.sha256:
                problems.append(f"kept document {row.id} does not decrypt to its SHA-256")
    return problems


# ---- main ----------------------------------------------------------------------------------------

def print_profile(stats: pstats.Stats) -> None:
    say("--- cProfile of complete_ceremony: by own time ---")
    stats.sort_stats("tottime").print_stats(20)
    say("--- who calls SHA-256 update, file reads and lazy loads ---")
    stats.print_callers(r"method 'update' of '_hashlib|method 'read' of '_io.BufferedReader'|_emit_lazyload")
    say("--- by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(35)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_begin = time.monotonic()
    parent = args.tmp or Path(tempfile.gettempdir())
    # the envelopes, the ceremony's kept files and the baseline's (deleted after each run)
    need = 3 * args.bids * envelope_bytes(args.size) + 64 * 1024 * 1024
    free = shutil.disk_usage(parent).free
    if free < need + SPARE_BYTES:
        say(f"not enough free space in {parent}: {free / 2**30:.1f} GiB free, the envelopes need about "
            f"{need / 2**30:.1f} GiB plus {SPARE_BYTES / 2**30:.1f} GiB to spare (--tmp elsewhere, or fewer "
            "--bids / a smaller --size)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="prtp-bench-opening-", dir=parent))
    say(f"instance {tmp}; {free / 2**30:.1f} GiB free there, about {need / 2**30:.2f} GiB needed")

    from trading.clock import clock

    try:
        instance_env(tmp)
        app = make_app()
        clock.freeze(datetime.now(timezone.utc).replace(microsecond=0))
        say(f"building data: {args.bids} bids of {args.size / 1024:.0f} KiB ...")
        setup = build_data(app, args.bids, args.size)
        t_setup = time.monotonic() - t_begin
        say(f"setup took {t_setup:.1f} s; {setup.envelope_total / 2**20:.1f} MiB of envelopes stored")

        # past the deadline, at the opening time (the opening is at the deadline in a works tender)
        with app.app_context():
            from trading.extensions import db
            from trading.trades.models import Trade

            trade = db.session.get(Trade, setup.trade_id)
            clock.freeze(trade.opening_at + timedelta(seconds=1))
            db.session.remove()

        private = rebuild_private_key(app, setup)
        paths = blob_paths(app, setup)
        say("baselines: raw decryption, then decryption and bare custody ...")
        raw1, raw_cpu1, digests = raw_decrypt(paths, private)
        base1, base_cpu1, bare1 = bare_open_and_keep(paths, private, tmp / "bare-keep")
        say(f"  {raw1:.2f} s, {base1:.2f} s; ceremony ...")
        times = run_ceremony(app, setup, args.profile, args.breakdown)
        say(f"  complete_ceremony {times.complete:.2f} s; baselines again ...")
        base2, base_cpu2, bare2 = bare_open_and_keep(paths, private, tmp / "bare-keep")
        raw2, raw_cpu2, digests2 = raw_decrypt(paths, private)
        say(f"  {base2:.2f} s, {raw2:.2f} s; checking the record ...")
        del private
        problems = check_record(app, setup, args.size, digests, bare1)
        if digests2 != digests:
            problems.append("the two raw decryptions gave different plaintexts")
        if {k: v[0] for k, v in bare1.items()} != digests or bare2 != bare1:
            problems.append("the bare custody runs decrypted or hashed other plaintexts than the raw decryption")

        baseline = statistics.fmean([base1, base2])
        raw = statistics.fmean([raw1, raw2])
        ratio = times.complete / baseline if baseline else float("nan")
        total = setup.envelope_total
        mb = total / 1e6
        print(f"# {args.bids} sealed bids of {args.size / 1024:.0f} KiB (file) opened in-process; SQLite; "
              f"{os.cpu_count()} CPUs" + ("; UNDER cProfile (ceremony figures inflated)" if args.profile else ""))
        line("bids", str(args.bids))
        line("envelopes MiB total", f"{total / 2**20:.1f}  (mean envelope {total / args.bids / 1024:.1f} KiB)")
        line("baseline decrypt + bare keep s", f"{baseline:.2f}  (runs: {base1:.2f}, {base2:.2f}; CPU "
             f"{base_cpu1:.2f}, {base_cpu2:.2f})")
        line("raw decryption alone s", f"{raw:.2f}  (runs: {raw1:.2f}, {raw2:.2f}; CPU {raw_cpu1:.2f}, {raw_cpu2:.2f})")
        line("ceremony complete_ceremony s", f"{times.complete:.2f}  (+ commit {times.commit:.2f}; CPU "
             f"{times.complete_cpu:.2f}, all threads)")
        line("ceremony start + releases s", f"{times.start:.3f} + " + " + ".join(f"{r:.3f}" for r in times.releases))
        line("baseline MB/s", f"{mb / baseline:.1f}")
        line("ceremony MB/s", f"{mb / times.complete:.1f}")
        line("ratio ceremony/baseline", f"{ratio:.3f}")
        line("ratio ceremony/raw decryption", f"{times.complete / raw:.3f}  (the baseline before custody; no target)")
        line("load average (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in os.getloadavg()))
        if times.parts is not None:
            parts = times.parts
            share = lambda sec: f"{sec:.3f} s  ({100 * sec / times.complete:.0f}% of complete_ceremony)"
            for label, (calls, seconds, cpu) in parts.items():
                line(f"  {label}", share(seconds) + f"  {calls} call(s)"
                     + ("" if label.startswith(" ") else f"  CPU {cpu:.2f} s"))
            outer = sum(v[1] for k, v in parts.items() if not k.startswith(" "))
            outer_cpu = sum(v[2] for k, v in parts.items() if not k.startswith(" "))
            line("  rest of complete_ceremony", share(times.complete - outer)
                 + f"  CPU {times.complete_cpu - outer_cpu:.2f} s"
                 + "  (key rebuild, Bid query, OpeningEntry and kept_documents rows, flush)")
        line("record", "ok" if not problems else f"WRONG ({len(problems)} problem(s))")
        for problem in problems:
            line("  problem", problem)
        line("setup s", f"{t_setup:.1f}")
        line("bench wall time s", f"{time.monotonic() - t_begin:.1f}")
        print(f"ratio={ratio:.3f} target<={TARGET}", flush=True)
        if times.profile is not None:
            print_profile(times.profile)
        if args.keep:
            say(f"kept {tmp}")
        return 1 if problems else 0
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
