"""Load test: concurrent sealed-bid uploads to the platform under gunicorn, against a bare baseline.

    .venv/bin/python bench/submission.py [--bidders 200] [--size 256K] [--workers N] [--threads N]
    .venv/bin/python bench/submission.py --server flask     # the server `make run` starts

What it does, all on 127.0.0.1 and in a fresh temporary instance that is deleted afterwards:

1. builds the data in-process through the real services (schema by migrations, centres, keyholders
   who enrol personal keys, a works tender that is appointed, submitted, approved - which makes its
   opening key - and published, so it is open for bids in real time), and N bidder companies, each
   with a user and a bearer token;
2. starts the platform (`wsgi:app`) and the bare upload app (`bench/bare_upload.py`) under the same
   gunicorn configuration: the shipped one (gunicorn.conf.py, what `gunicorn wsgi:app` reads) unless
   `--workers` / `--threads` override it (`--server flask`: both under werkzeug's threaded server, the
   platform as `make run` serves it, `flask --app wsgi run`), fetches the trade's opening key over
   HTTP and seals one envelope per bidder;
3. warms each server with one unmeasured burst of the same N uploads (the platform's to a second tender;
   `--cold`: no warm-up), then sends the N uploads all at once to the bare app, then to the platform,
   then to the bare app again (the baseline is the mean of the two bare runs, which brackets the
   platform run in time);
4. checks every upload against the database (a 201 without a stored bid, or no 201, is a lost
   submission) and every receipt against the platform key from GET /api/v1/receipt-key and against
   the envelope actually sent (SHA-256 and size);
5. prints one line per figure and a final `lost=N invalid=N ratio_throughput=X`; exits 1 if any
   submission was lost or any receipt invalid, 2 if the bench itself could not run.

Speed figures are ratios to the baseline measured in the same run, because the machine is noisy.
Only the standard library and the project are used (no httpx).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "bench-password-123"
PASSPHRASES = {"bench_staff": "bench staff passphrase 1", "bench_staff2": "bench staff passphrase 2",
               "bench_supervisor": "bench supervisor passphrase 3"}
MAX_TOTAL_BYTES = 1024 ** 3  # envelopes are held in memory: refuse more than 1 GiB in all


# ---- options -------------------------------------------------------------------------------------

def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)i?[bB]?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 262144, 256K, 1M)")
    number, unit = int(match.group(1)), match.group(2).upper()
    value = number * {"": 1, "K": 1024, "M": 1024 ** 2}[unit]
    if value < 1:
        raise argparse.ArgumentTypeError("the size must be at least 1 byte")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bidders", type=int, default=200, help="concurrent uploads, one per bidder (default 200)")
    p.add_argument("--size", type=parse_size, default=256 * 1024,
                   help="size of the file sealed in each envelope: bytes or 256K / 1M (default 256K)")
    p.add_argument("--server", choices=("gunicorn", "flask"), default="gunicorn",
                   help="gunicorn with gunicorn.conf.py (the production command, default) or `flask run` "
                        "(the server of `make run`; the bare app then runs under the same werkzeug server)")
    p.add_argument("--workers", type=int, default=0, help="override gunicorn's workers (default: gunicorn.conf.py's)")
    p.add_argument("--threads", type=int, default=0,
                   help="override gunicorn's threads per worker (default: gunicorn.conf.py's)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds one upload may take before it counts as failed (default 60)")
    p.add_argument("--warm-receipt-key", action="store_true",
                   help="fetch GET /api/v1/receipt-key before the load, so the platform's receipt key "
                        "already exists when the first bid arrives (default: the load creates it)")
    p.add_argument("--floor", action="store_true",
                   help="also load bench/floor_upload.py (Flask alone, then Flask with one SQL read and one "
                        "write) between the bare runs: what the fixed stack itself reaches on this machine")
    p.add_argument("--cold", action="store_true",
                   help="no warm-up burst. By default each server first takes one burst of the same N uploads "
                        "(the platform's to a second tender), unmeasured: a serving process has long made its "
                        "threads and compiled its statements when a deadline's burst comes")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance and logs (path printed)")
    args = p.parse_args(argv)
    if not 1 <= args.bidders <= 1000:
        p.error("--bidders must be from 1 to 1000")
    if args.bidders * args.size > MAX_TOTAL_BYTES:
        p.error("bidders x size is over 1 GiB; the envelopes are held in memory")
    if not 0 <= args.workers <= 16 or not 0 <= args.threads <= 2000:
        p.error("--workers 1..16, --threads 1..2000")
    if args.server == "flask" and (args.workers or args.threads):
        p.error("--workers and --threads are gunicorn's; `flask run` is one process with a thread per request")
    return args


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---- the instance and its data -------------------------------------------------------------------

def instance_env(tmp: Path) -> dict[str, str]:
    instance = tmp / "instance"
    instance.mkdir()
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'trading.sqlite'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SCHEDULER_SECONDS": "0",
    }
    for name in ("PLATFORM_ENV", "BLOB_DIR", "TIMEZONE", "SANDBOX_ENABLED", "TRUSTED_PROXIES",
                 "RECEIPT_KEY_PATH", "WEB_CONCURRENCY", "BIND", *[n for n in os.environ if n.startswith("LIVE_")]):
        os.environ.pop(name, None)  # nothing from the caller's shell may point elsewhere
    os.environ.update(env)
    return env


def make_app():
    """The platform in-process on the bench instance, with cheap Argon2 for the setup only (the
    gunicorn workers use the defaults; serving bids hashes no password)."""
    from trading import create_app
    from trading.config import Config

    class BenchSetupConfig(Config):
        PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}
        PERSONAL_KEY_ITERATIONS = 1_000  # real PBKDF2, cheap (keys are made on the keyholders' side)

    return create_app(BenchSetupConfig)


@dataclass
class Bidder:
    organisation_id: int
    credit_code: str
    token: str


@dataclass
class Tender:
    trade_id: int
    trade_ref: str
    fingerprint: str


@dataclass
class Setup:
    measured: Tender  # the tender the measured burst goes to
    warm_up: Tender  # a second tender open to the same bidders: the warm-up burst's
    bidders: list[Bidder]


def build_data(app, n_bidders: int) -> Setup:
    import flask_migrate
    import sqlalchemy as sa

    from bidding.keyholders import client as holder_side, services as bidding
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user, issue_token
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.extensions import db

    with app.app_context():
        flask_migrate.upgrade()
        ensure_centres()
        db.session.commit()
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))

        def person(username, role, org=None, centre=works):
            return create_user(username, PASSWORD, username.replace("_", " ").title(), org,
                               [(role, centre.id if centre else None)], email=f"{username}@bench.invalid")

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

        # Real time, nothing frozen. Publishing issues the documents "now" when issue_at has passed
        # (guard issue_now_or_later), and the auto move open_bidding follows at once.
        def open_tender(title: str) -> Tender:
            trade, key = open_works_tender(title, works=works, tenderer=tenderer, decider=decider,
                                           executing=[staff, staff2], supervisor=supervisor)
            return Tender(trade.id, trade.ref, key.fingerprint)

        measured = open_tender("Bench: concurrent sealed-bid uploads")
        warm_up = open_tender("Bench: the warm-up burst")

        bidders = []
        for i in range(1, n_bidders + 1):
            org = create_organisation(f"Bench Bidder {i:04d} Construction Co.", OrgKind.BIDDER,
                                      make_uscc(f"91330100MA{i:07d}"))
            user = create_user(f"bench_bidder_{i:04d}", PASSWORD, f"Bench Bidder {i}", org,
                               [(Role.BIDDER, None)], email=f"bidder{i}@bench.invalid")
            token, _row = issue_token(user)
            bidders.append(Bidder(org.id, org.credit_code, token))
        db.session.commit()
        setup = Setup(measured, warm_up, bidders)
        db.session.remove()
        db.engine.dispose()  # no connection of ours stays open while gunicorn serves
    return setup


def open_works_tender(title: str, *, works, tenderer, decider, executing: list, supervisor):
    """A works open tender made, appointed, approved (which makes its opening key) and published through
    the real services, so that it is open for bids now on the platform's clock: (trade, opening key).
    The works rule set wants at least 20 days from issue to deadline (Law 24): the deadline is 25 days
    out, and the opening at the deadline. bench/opening.py makes its tender with it too."""
    import sqlalchemy as sa

    from bidding.keyholders import services as bidding
    from bidding.keyholders.models import OpeningKey
    from trading.clock import now
    from trading.extensions import db
    from trading.trades import services as trades
    from trading.trades.flows import TradeState

    start = now()
    deadline = start + timedelta(days=25)
    trade = trades.create_trade(executing[0], {
        "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id,
        "title": title, "description": "bench data",
        "estimated_price": Decimal("5000000.00"), "bid_security": Decimal("100000.00"),
        "issue_at": start, "docs_until": start + timedelta(days=10), "bid_deadline": deadline,
        "opening_at": deadline,
    })
    db.session.commit()
    bidding.publish_sealed_tender(trade, clerk=executing[0], decider=decider, executing=executing,
                                  supervising=[supervisor])
    db.session.commit()
    if trade.state is not TradeState.BIDDING:
        raise RuntimeError(f"the trade is {trade.state.value}, not bidding, after publish")
    key = db.session.scalar(sa.select(OpeningKey).where(OpeningKey.trade_id == trade.id))
    if key is None:
        raise RuntimeError("approval made no opening key")
    return trade, key


def opening_key(port: int, tender: Tender):
    """The tender's opening key as the platform publishes it, checked against the fingerprint approval made."""
    from bidding.crypto import envelope

    _status, body = get(port, f"/api/v1/trades/{tender.trade_id}/opening-key")
    published = json.loads(body)
    public_key = envelope.load_public_key(published["public_key"])
    if envelope.fingerprint_hex(public_key) != published["fingerprint"] or \
            published["fingerprint"] != tender.fingerprint or published.get("trade_ref") != tender.trade_ref:
        raise RuntimeError("the published opening key does not match the trade's fingerprint")
    return public_key


def seal_envelopes(public_key, tender: Tender, bidders: list[Bidder], size: int) -> list[bytes]:
    import io

    from bidding.crypto import envelope
    from bidding.crypto.records import encode_bid

    out = []
    for i, bidder in enumerate(bidders):
        plaintext = encode_bid({"price": f"{4_800_000 + i}.00", "duration_days": "360", "note": f"bench {i}"},
                               [("technical.bin", os.urandom(size))])
        buf = io.BytesIO()
        envelope.seal(plaintext, public_key=public_key, trade_ref=tender.trade_ref,
                      bidder_id=bidder.credit_code, version=1, out=buf)
        out.append(buf.getvalue())
    return out


# ---- gunicorn ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path


def start_gunicorn(name: str, target: str, env: dict[str, str], args, log: Path) -> Server:
    """The server for `target` ("module:app"): gunicorn reading gunicorn.conf.py from the repository
    (cwd), as shipped, or with `args.server == "flask"` werkzeug's threaded server, which `flask run`
    (make run) serves with: `flask --app wsgi run` for the platform, `run_simple` for the bare app
    (flask run takes only Flask apps; it calls the same function with the same settings)."""
    port = free_port()
    if getattr(args, "server", "gunicorn") == "flask":
        if target == "wsgi:app":
            flask = ROOT / ".venv" / "bin" / "flask"
            cmd = [str(flask if flask.exists() else shutil.which("flask") or "flask"), "--app", "wsgi", "run",
                   "--host", HOST, "--port", str(port)]
        else:
            module, _sep, attr = target.partition(":")
            cmd = [sys.executable, "-c", "import importlib, sys; from werkzeug.serving import run_simple; "
                   f"run_simple({HOST!r}, {port}, getattr(importlib.import_module({module!r}), {attr!r}), "
                   "threaded=True)"]
    else:
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        if not gunicorn.exists():  # a worktree without its own .venv: the interpreter's, then PATH's
            gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.exists():
            gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
        cmd = [str(gunicorn), "-b", f"{HOST}:{port}"]  # the rest from gunicorn.conf.py (cwd), as shipped
        if args.workers:
            cmd += ["-w", str(args.workers)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        cmd.append(target)
    fh = log.open("wb")
    # a session of its own, so that stopping it reaches the master and its workers and nothing else
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    fh.close()
    return Server(name, port, proc, log)


def wait_ready(server: Server, path: str, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} gunicorn exited ({server.proc.returncode}); see {server.log}:\n"
                               + server.log.read_text(errors="replace")[-2000:])
        try:
            status, _body = get(server.port, path, timeout=2)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {path} within {seconds:.0f} s (last: {last})")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        try:
            os.killpg(server.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(server.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.proc.wait(timeout=5)
    # workers left behind by a master that died first share its process group
    try:
        os.killpg(server.proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# ---- the load ------------------------------------------------------------------------------------

@dataclass
class Result:
    index: int
    status: int | None  # None: no HTTP answer (the error says why)
    body: bytes = b""
    error: str = ""
    latency: float = 0.0  # seconds, from connect to the last byte of the answer
    done_at: float = 0.0


@dataclass
class Run:
    name: str
    results: list[Result]
    wall: float  # seconds from the common start to the last answer
    sizes: list[int] = field(default_factory=list)
    busy: float = float("nan")  # the machine's CPUs busy during the run, all processes (bench included): 0 to 1

    @property
    def ok(self) -> list[Result]:
        return [r for r in self.results if r.status == 201]

    def latency_ms(self, q: float) -> float:
        values = sorted(r.latency for r in self.results)
        return 1000 * values[max(0, math.ceil(q * len(values)) - 1)]

    @property
    def uploads_per_s(self) -> float:
        return len(self.ok) / self.wall

    @property
    def mb_per_s(self) -> float:
        return sum(self.sizes[r.index] for r in self.ok) / self.wall / 1e6


def upload(port: int, path: str, data: bytes, token: str | None, timeout: float, go: threading.Event,
           index: int) -> Result:
    go.wait()
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data)),
               "Accept": "application/json",
               # RFC 9530, as every sealer sends it (the bare app ignores it)
               "Content-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout, blocksize=65536)
    try:
        conn.request("POST", path, body=data, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        t1 = time.perf_counter()
        return Result(index, resp.status, body, latency=t1 - t0, done_at=t1)
    except Exception as exc:  # a reset, a timeout: the upload has no HTTP answer
        t1 = time.perf_counter()
        return Result(index, None, error=f"{type(exc).__name__}: {exc}", latency=t1 - t0, done_at=t1)
    finally:
        conn.close()


def run_load(name: str, port: int, path: str, envelopes: list[bytes], tokens: list[str | None],
             timeout: float) -> Run:
    go = threading.Event()
    with ThreadPoolExecutor(max_workers=len(envelopes), thread_name_prefix=f"load-{name}") as pool:
        futures = [pool.submit(upload, port, path, data, token, timeout, go, i)
                   for i, (data, token) in enumerate(zip(envelopes, tokens))]
        time.sleep(0.5)  # every thread is parked on the event: they start together
        before = cpu_ticks()
        start = time.perf_counter()
        go.set()
        results = [f.result(timeout=timeout + 30) for f in futures]
        after = cpu_ticks()
    wall = max(r.done_at for r in results) - start
    busy = (after[0] - before[0]) / (after[1] - before[1]) if after[1] > before[1] else float("nan")
    return Run(name, results, wall, [len(e) for e in envelopes], busy)


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat (Linux; zeros elsewhere)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


# ---- checks --------------------------------------------------------------------------------------

def describe_failure(r: Result) -> str:
    if r.status is None:
        return f"no answer ({r.error})"
    try:
        body = json.loads(r.body)
        return f"HTTP {r.status} {body.get('code', '')}: {body.get('message', '')}".strip()
    except ValueError:
        return f"HTTP {r.status} {r.body[:200]!r}"


def check_bare(run: Run, envelopes: list[bytes]) -> list[str]:
    problems = []
    for r in run.results:
        if r.status != 201:
            problems.append(describe_failure(r))
            continue
        body = json.loads(r.body)
        if body.get("sha256") != hashlib.sha256(envelopes[r.index]).hexdigest():
            problems.append("bare app hashed different bytes")
    return problems


@dataclass
class Verdict:
    not_201: Counter
    stored_missing: list[str]
    phantom: list[str]
    invalid: list[str]


def check_platform(app, run: Run, tender: Tender, bidders: list[Bidder], envelopes: list[bytes],
                   platform_key) -> Verdict:
    import sqlalchemy as sa

    from bidding.crypto import receipt
    from bidding.submission.models import Bid
    from trading.extensions import db

    with app.app_context():
        rows = db.session.scalars(sa.select(Bid).where(Bid.trade_id == tender.trade_id)).all()
        by_org: dict[int, list] = {}
        for row in rows:
            by_org.setdefault(row.organisation_id, []).append(
                (row.version, row.state.value, row.sha256, row.size, row.receipt))
        db.session.remove()
        db.engine.dispose()

    not_201: Counter = Counter()
    stored_missing, phantom, invalid = [], [], []
    for r in run.results:
        bidder = bidders[r.index]
        data = envelopes[r.index]
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
        stored = by_org.get(bidder.organisation_id, [])
        if r.status != 201:
            not_201[describe_failure(r)] += 1
            if stored:
                phantom.append(f"bidder {bidder.credit_code}: no 201 but {len(stored)} bid row(s) stored")
            continue
        match = [s for s in stored if s[0] == 1 and s[1] == "submitted" and s[2] == digest and s[3] == size]
        if not match:
            stored_missing.append(f"bidder {bidder.credit_code}: 201 but no matching bid row ({stored!r:.200})")
        try:
            signed = json.loads(r.body)["receipt"]
        except (ValueError, KeyError, TypeError):
            invalid.append(f"bidder {bidder.credit_code}: the 201 answer has no receipt")
            continue
        problem = receipt.receipt_problem(signed, platform_key)
        if problem is None:
            expected = {"trade": tender.trade_ref, "bidder": bidder.credit_code, "version": 1,
                        "sha256": digest, "size": size}
            wrong = [k for k, v in expected.items() if signed.get(k) != v]
            if wrong:
                problem = f"receipt fields differ from the envelope sent: {', '.join(wrong)}"
            elif match and json.loads(match[0][4]) != signed:
                problem = "the receipt answered differs from the one stored"
        if problem is not None:
            invalid.append(f"bidder {bidder.credit_code}: {problem}")
    return Verdict(not_201, stored_missing, phantom, invalid)


LOG_PATTERNS = ("database is locked", "OperationalError", "FileExistsError", "Traceback", "WORKER TIMEOUT",
                "Exception on ")


def scan_log(log: Path) -> tuple[Counter, list[str]]:
    text = log.read_text(errors="replace") if log.exists() else ""
    counts = Counter({p: text.count(p) for p in LOG_PATTERNS if p in text})
    # the last line of each traceback names the exception
    finals, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or lines[j].startswith("Traceback")):
                j += 1
            if j < len(lines):
                finals.append(lines[j][:300])
    return counts, finals


# ---- report --------------------------------------------------------------------------------------

def line(label: str, value: str) -> None:
    print(f"{label:<34} {value}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="prtp-bench-"))
    servers: list[Server] = []
    try:
        env = instance_env(tmp)
        say(f"instance {tmp}; building data for {args.bidders} bidders ...")
        app = make_app()
        setup = build_data(app, args.bidders)
        say(f"trade {setup.measured.trade_ref} (id {setup.measured.trade_id}) is open for bids; "
            f"setup took {time.monotonic() - t_start:.1f} s")

        bare_dir = tmp / "bare-uploads"
        bare_dir.mkdir()
        platform = start_gunicorn("platform", "wsgi:app", env, args, tmp / "gunicorn-platform.log")
        servers.append(platform)
        bare = start_gunicorn("bare", "bench.bare_upload:app", {"BARE_UPLOAD_DIR": str(bare_dir)}, args,
                              tmp / "gunicorn-bare.log")
        servers.append(bare)
        key_path = f"/api/v1/trades/{setup.measured.trade_id}/opening-key"
        floor = None
        if args.floor:
            (tmp / "floor-tokens.txt").write_text("\n".join(b.token for b in setup.bidders))
            floor = start_gunicorn("floor", "bench.floor_upload:app",
                                   {"FLOOR_DIR": str(tmp / "floor"), "FLOOR_TOKENS_FILE": str(tmp / "floor-tokens.txt")},
                                   args, tmp / "gunicorn-floor.log")
            servers.append(floor)
        wait_ready(platform, key_path)
        wait_ready(bare, "/")
        if floor is not None:
            wait_ready(floor, "/")

        from bidding.crypto import receipt

        envelopes = seal_envelopes(opening_key(platform.port, setup.measured), setup.measured, setup.bidders, args.size)
        mean_size = statistics.fmean(len(e) for e in envelopes)
        say(f"sealed {len(envelopes)} envelopes of {mean_size / 1024:.1f} KiB")
        if args.warm_receipt_key:
            get(platform.port, "/api/v1/receipt-key")

        tokens = [b.token for b in setup.bidders]
        bid_path = f"/api/v1/trades/{setup.measured.trade_id}/bids"
        warm_runs: list[Run] = []
        if not args.cold:  # what a serving process has long done when a burst comes: unmeasured
            warm = seal_envelopes(opening_key(platform.port, setup.warm_up), setup.warm_up, setup.bidders, args.size)
            say("warm-up burst: bare, platform" + (", floor" if floor is not None else "") + " ...")
            run_load("warm-bare", bare.port, "/upload", envelopes, tokens, args.timeout)
            warm_runs.append(run_load("warm-platform", platform.port, f"/api/v1/trades/{setup.warm_up.trade_id}/bids",
                                      warm, tokens, args.timeout))
            if floor is not None:
                for path in (f"/plain/trades/{setup.warm_up.trade_id}/bids", f"/trades/{setup.warm_up.trade_id}/bids"):
                    run_load("warm-floor", floor.port, path, envelopes, tokens, args.timeout)
        say("load: bare ...")
        bare1 = run_load("bare1", bare.port, "/upload", envelopes, tokens, args.timeout)
        say(f"  {bare1.wall:.2f} s; platform ...")
        plat = run_load("platform", platform.port, bid_path, envelopes, tokens, args.timeout)
        floors = []
        if floor is not None:
            for what, path in (("Flask alone", f"/plain/trades/{setup.measured.trade_id}/bids"),
                               ("Flask + 1 SQL read + 1 SQL write", f"/trades/{setup.measured.trade_id}/bids")):
                say(f"  {plat.wall if not floors else floors[-1][1].wall:.2f} s; floor: {what} ...")
                floors.append((what, run_load("floor", floor.port, path, envelopes, tokens, args.timeout)))
        say(f"  {(floors[-1][1] if floors else plat).wall:.2f} s; bare again ...")
        bare2 = run_load("bare2", bare.port, "/upload", envelopes, tokens, args.timeout)
        say(f"  {bare2.wall:.2f} s; checking ...")

        status, body = get(platform.port, "/api/v1/receipt-key")
        if status != 200:
            raise RuntimeError(f"GET /api/v1/receipt-key answered {status}: {body[:300]!r}")
        platform_key = receipt.load_platform_key(json.loads(body)["public_key"])
        for s in servers:
            stop(s)
        verdict = check_platform(app, plat, setup.measured, setup.bidders, envelopes, platform_key)
        warm_verdicts = [check_platform(app, run, setup.warm_up, setup.bidders, warm, platform_key) for run in warm_runs]
        bare_problems = check_bare(bare1, envelopes) + check_bare(bare2, envelopes) \
            + [p for _what, run in floors for p in check_bare(run, envelopes)]
        log_counts, log_finals = scan_log(platform.log)

        for v in warm_verdicts:  # the warm-up's uploads are bids as well: checked the same way, counted the same
            verdict = Verdict(verdict.not_201 + v.not_201, verdict.stored_missing + v.stored_missing,
                              verdict.phantom + v.phantom, verdict.invalid + v.invalid)
        lost = sum(verdict.not_201.values()) + len(verdict.stored_missing)
        invalid = len(verdict.invalid)
        bare_tput = statistics.fmean([bare1.uploads_per_s, bare2.uploads_per_s])
        bare_mbs = statistics.fmean([bare1.mb_per_s, bare2.mb_per_s])
        bare_p50 = statistics.fmean([bare1.latency_ms(0.50), bare2.latency_ms(0.50)])
        bare_p99 = statistics.fmean([bare1.latency_ms(0.99), bare2.latency_ms(0.99)])
        ratio_tput = plat.uploads_per_s / bare_tput if bare_tput else float("nan")
        ratio_p99 = plat.latency_ms(0.99) / bare_p99 if bare_p99 else float("nan")

        overrides = "".join(f" {flag} {value}" for flag, value in (("-w", args.workers), ("--threads", args.threads))
                            if value)
        served = ("flask run (make run's server; the bare app under werkzeug's run_simple, threaded)"
                  if args.server == "flask" else
                  f"gunicorn with gunicorn.conf.py{overrides or ' (shipped settings)'}")
        print(f"# {args.bidders} concurrent uploads of {mean_size / 1024:.1f} KiB envelopes; {served} on {HOST}; "
              f"{os.cpu_count()} CPUs; " + ("cold servers" if args.cold else
                                            f"each server warmed by a burst of {args.bidders} first (unmeasured; "
                                            f"lost and invalid count its uploads too)"))
        line("lost submissions", f"{lost}  (no 201: {sum(verdict.not_201.values())}, "
             f"201 without stored bid: {len(verdict.stored_missing)})")
        for what, n in verdict.not_201.most_common():
            line("  not 201", f"{n} x {what}")
        for what in verdict.stored_missing[:10]:
            line("  201 but not stored", what)
        if verdict.phantom:
            line("  stored despite no 201", f"{len(verdict.phantom)} (e.g. {verdict.phantom[0]})")
        line("invalid receipts", str(invalid))
        for what in Counter(p.split(": ", 1)[1] for p in verdict.invalid).most_common(5):
            line("  invalid", f"{what[1]} x {what[0]}")
        if bare_problems:
            line("bare baseline failures", f"{len(bare_problems)} ({Counter(bare_problems).most_common(3)})")
        for pattern, n in sorted(log_counts.items()):
            line("platform log", f"{n} x {pattern!r}")
        for final, n in Counter(log_finals).most_common(5):
            line("  exception", f"{n} x {final}")
        line("platform p50 latency ms", f"{plat.latency_ms(0.50):.0f}")
        line("platform p99 latency ms", f"{plat.latency_ms(0.99):.0f}")
        line("bare p50 latency ms", f"{bare_p50:.0f}  (runs: {bare1.latency_ms(0.5):.0f}, "
             f"{bare2.latency_ms(0.5):.0f})")
        line("bare p99 latency ms", f"{bare_p99:.0f}  (runs: {bare1.latency_ms(0.99):.0f}, "
             f"{bare2.latency_ms(0.99):.0f})")
        line("platform throughput uploads/s", f"{plat.uploads_per_s:.1f}  ({plat.mb_per_s:.1f} MB/s, "
             f"{len(plat.ok)} ok in {plat.wall:.2f} s)")
        line("bare throughput uploads/s", f"{bare_tput:.1f}  ({bare_mbs:.1f} MB/s; runs: "
             f"{bare1.uploads_per_s:.1f}, {bare2.uploads_per_s:.1f})")
        line("ratio throughput platform/bare", f"{ratio_tput:.3f}")
        line("CPUs busy during the runs", f"platform {plat.busy:.0%}, bare {bare1.busy:.0%} and {bare2.busy:.0%} "
             "(every process on the machine, this bench's clients included)")
        line("ratio p99 latency platform/bare", f"{ratio_p99:.2f}")
        for what, run in floors:
            line(f"floor: {what}", f"{run.uploads_per_s:.1f} uploads/s, ratio to bare "
                 f"{run.uploads_per_s / bare_tput if bare_tput else float('nan'):.3f}")
        line("bench wall time s", f"{time.monotonic() - t_start:.1f}")
        print(f"lost={lost} invalid={invalid} ratio_throughput={ratio_tput:.3f}", flush=True)
        if args.keep:
            say(f"kept {tmp} (logs: {platform.log}, {bare.log})")
        return 1 if lost or invalid else 0
    except Exception as exc:
        traceback.print_exc()
        say(f"bench failed: {type(exc).__name__}: {exc}")
        for s in servers:
            if s.log.exists():
                say(f"--- tail of {s.log} ---\n" + s.log.read_text(errors="replace")[-3000:])
        raise SystemExit(2) from exc
    finally:
        for s in servers:
            stop(s)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
