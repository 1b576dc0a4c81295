"""Load test: 1,000 Server-Sent-Events clients on the live stream, delay from an entry's commit to
its receipt by every client, against one client in the same run.

    .venv/bin/python bench/live.py [--server gunicorn|flask] [--clients 1000] [--events 40] [--workers N]

What it does, all on 127.0.0.1 and in a fresh temporary instance that is deleted afterwards:

1. builds the data in-process through the real services (schema by migrations, centres, a WORKS
   supervisor and clerk with bearer tokens, a tenderer and a draft trade);
2. starts the platform with the shipped settings and nothing else: `gunicorn -b HOST:PORT wsgi:app`,
   which reads the repository's gunicorn.conf.py (the documented production command), or with
   `--server flask` the server `make run` starts (`flask --app wsgi run`); `--workers`, `--threads`,
   `--switch-interval` override a setting for experiments, and the figures then say so;
3. baseline: one client on `/live/platform` (as the supervisor); the clerk renames the draft
   over the HTTP API `--baseline-events` times, one every 0.05 s; each rename is one audit entry
   (`trades.update`) the supervisor may see;
4. load: `--clients` clients on the same stream, all connected and past their first frame before
   the first event, then `--events` renames, one every `--gap` seconds;
5. for every (client, event): the delay from the entry's time (stamped when it is written, before
   its commit, so the figure includes the commit) to the moment the client's socket delivered the
   whole frame; p50/p99/max over all of them, the same for the baseline, their ratio, and the
   deliveries that never came (every client must receive every event, exactly once, in order).

The clients are non-blocking sockets in one thread of this process (selectors), speaking HTTP/1.0
so that the body is the plain SSE stream. Exit status 0 when every event reached every client and
p99 <= 250 ms, 1 otherwise, 2 if the bench itself could not run.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sse import Watchers  # noqa: E402

HOST = "127.0.0.1"
PASSWORD = "bench-password-123"
TARGET_P99_MS = 250.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=1000, help="SSE clients in the load phase (default 1000)")
    p.add_argument("--events", type=int, default=40, help="events per phase (default 40)")
    p.add_argument("--gap", type=float, default=0.25, help="seconds between events (default 0.25)")
    p.add_argument("--baseline-events", type=int, default=200,
                   help="events for the one-client baseline, one every 0.05 s (default 200: its p99 needs samples)")
    p.add_argument("--server", choices=("gunicorn", "flask"), default="gunicorn",
                   help="gunicorn with gunicorn.conf.py (the production command, default) or `flask run` "
                        "(the server of `make run`)")
    p.add_argument("--workers", type=int, default=0,
                   help="override gunicorn's workers (default: gunicorn.conf.py's; with more than one, a "
                        "worker learns of another's commit by checking the head every --poll seconds)")
    p.add_argument("--threads", type=int, default=0,
                   help="override gunicorn's threads per worker (default: gunicorn.conf.py's)")
    p.add_argument("--poll", type=float, default=0.05, help="LIVE_POLL_SECONDS with --workers > 1 (default 0.05)")
    p.add_argument("--switch-interval", type=float, default=None,
                   help="LIVE_SWITCH_INTERVAL: set Python's thread switch interval in seconds "
                        "(default: not set, Python's 0.005)")
    p.add_argument("--connect-timeout", type=float, default=120.0,
                   help="seconds for all clients to connect (default 120)")
    p.add_argument("--per-event", action="store_true", help="also print the delays of each event (p50, max)")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance and the gunicorn log")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 5000:
        p.error("--clients must be from 1 to 5000")
    if not 1 <= args.events <= 1000 or not 1 <= args.baseline_events <= 1000:
        p.error("--events and --baseline-events must be from 1 to 1000")
    if not 0.01 <= args.gap <= 10:
        p.error("--gap must be from 0.01 to 10 seconds")
    if not 0 <= args.workers <= 16:
        p.error("--workers must be from 1 to 16")
    if args.server == "flask" and (args.workers or args.threads):
        p.error("--workers and --threads are gunicorn's")
    if args.clients > 1000 and not args.threads:
        p.error("more than LIVE_MAX_STREAMS (1000) clients: give --threads")
    return args


def server_line(args) -> str:
    if args.server == "flask":
        return "flask --app wsgi run (make run's server)"
    extra = "".join(f" {flag} {value}" for flag, value in (("-w", args.workers), ("--threads", args.threads))
                    if value)
    return f"gunicorn wsgi:app with gunicorn.conf.py{extra or ', nothing overridden'}"


def switch_interval(args) -> str:
    if args.switch_interval is None:
        from monitor.live.streams import DEFAULTS

        return f"{DEFAULTS['LIVE_SWITCH_INTERVAL'] or 0.005} s, the shipped default"
    return f"{args.switch_interval or 0.005} s, set by --switch-interval"


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---- the instance and its data -------------------------------------------------------------------

def instance_env(tmp: Path, args) -> dict[str, str]:
    instance = tmp / "instance"
    instance.mkdir()
    env = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'trading.sqlite'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SCHEDULER_SECONDS": "0",
    }
    if args.threads:
        env["LIVE_MAX_STREAMS"] = str(args.threads - 64)
    if args.workers > 1:
        env["LIVE_POLL_SECONDS"] = str(args.poll)
    if args.switch_interval is not None:
        env["LIVE_SWITCH_INTERVAL"] = str(args.switch_interval)
    else:
        os.environ.pop("LIVE_SWITCH_INTERVAL", None)  # measure what `make run` and gunicorn get
    for name in ("PLATFORM_ENV", "BLOB_DIR", "TIMEZONE", "SANDBOX_ENABLED", "TRUSTED_PROXIES", "WEB_CONCURRENCY",
                 "BIND", *[n for n in os.environ if n.startswith("LIVE_")]):
        os.environ.pop(name, None)  # the shipped defaults, not the caller's shell
    os.environ.update(env)
    return env


@dataclass
class Setup:
    trade_id: int
    supervisor_token: str
    staff_token: str


def build_data() -> Setup:
    import flask_migrate
    import sqlalchemy as sa

    from trading import create_app
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user, issue_token
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.clock import now
    from trading.config import Config
    from trading.extensions import db
    from trading.trades import services as trades

    class BenchSetupConfig(Config):
        PASSWORD_HASH_PARAMS = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}

    app = create_app(BenchSetupConfig)
    with app.app_context():
        flask_migrate.upgrade()
        ensure_centres()
        db.session.commit()
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        tenderer = create_organisation("Bench Live Works Investment Co.", OrgKind.TENDERER,
                                       make_uscc("91330100MC0000001"))
        staff = create_user("bench_live_staff", PASSWORD, "Bench Clerk", None, [(Role.CENTRE_STAFF, works.id)],
                            email="staff@bench.invalid")
        supervisor = create_user("bench_live_supervisor", PASSWORD, "Bench Supervisor", None,
                                 [(Role.ADMIN_SUPERVISOR, works.id)], email="sup@bench.invalid")
        db.session.commit()
        start = now() + timedelta(days=1)
        trade = trades.create_trade(staff, {
            "centre_id": works.id, "method": "works_open_tender", "tenderer_id": tenderer.id,
            "title": "Bench: live stream", "description": "load test data",
            "estimated_price": Decimal("5000000.00"), "issue_at": start, "docs_until": start + timedelta(days=10),
            "bid_deadline": start + timedelta(days=25), "opening_at": start + timedelta(days=25)})
        staff_token, _row = issue_token(staff)
        supervisor_token, _row = issue_token(supervisor)
        db.session.commit()
        setup = Setup(trade.id, supervisor_token, staff_token)
        db.session.remove()
        db.engine.dispose()
    return setup


# ---- gunicorn ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(args, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    """The shipped server: gunicorn reading gunicorn.conf.py from the repository (cwd), or `flask run`."""
    port = free_port()
    if args.server == "flask":
        flask = ROOT / ".venv" / "bin" / "flask"
        cmd = [str(flask if flask.exists() else shutil.which("flask") or "flask"), "--app", "wsgi", "run",
               "--host", HOST, "--port", str(port)]
    else:
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        if not gunicorn.exists():
            gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
        cmd = [str(gunicorn), "-b", f"{HOST}:{port}"]
        if args.workers:
            cmd += ["-w", str(args.workers)]
        if args.threads:
            cmd += ["--threads", str(args.threads), "--worker-connections", str(args.threads + 64)]
        cmd.append("wsgi:app")
    fh = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    fh.close()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n" + log.read_text(errors="replace")[-2000:])
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/v1/centres")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind share the group
    except (ProcessLookupError, PermissionError):
        pass


# ---- the clients ---------------------------------------------------------------------------------

# ---- a phase -------------------------------------------------------------------------------------

def visible_indexes(port: int, token: str, after: int = -1) -> list[int]:
    """Indexes of the entries the supervisor may see after `after` (the audit entries API)."""
    out = []
    while True:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.request("GET", f"/api/v1/audit/entries?after={after}&limit=1000",
                     headers={"Authorization": f"Bearer {token}"})
        rows = json.loads(conn.getresponse().read())
        conn.close()
        if not rows:
            return out
        out += [r["index"] for r in rows]
        after = rows[-1]["index"]


def rename(port: int, setup: Setup, title: str) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("PATCH", f"/api/v1/trades/{setup.trade_id}", body=json.dumps({"title": title}),
                 headers={"Authorization": f"Bearer {setup.staff_token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"PATCH answered {response.status}: {body[:300]!r}")


@dataclass
class Phase:
    name: str
    clients: int
    delays_ms: list[float]
    missing: int
    extra: int
    connect_s: float
    by_event: dict[int, list[float]] = field(default_factory=dict)

    def q(self, q: float) -> float:
        values = sorted(self.delays_ms)
        return values[max(0, math.ceil(q * len(values)) - 1)] if values else float("nan")


def run_phase(name: str, port: int, setup: Setup, n: int, args, events: int, gap: float) -> Phase:
    after = (visible_indexes(port, setup.supervisor_token) or [-1])[-1]
    t0 = time.monotonic()
    clients = Watchers(port, f"/live/platform?after={after}", n, token=setup.supervisor_token, name="sse-clients")
    try:
        end = t0 + args.connect_timeout
        while clients.ready() < n:
            if time.monotonic() > end:
                raise RuntimeError(f"{name}: only {clients.ready()} of {n} clients connected in "
                                   f"{args.connect_timeout:.0f} s (statuses: "
                                   f"{sorted({c.status for c in clients.watchers})})")
            time.sleep(0.05)
        connect_s = time.monotonic() - t0
        say(f"{name}: {n} clients connected in {connect_s:.1f} s; {events} events, one every {gap} s")
        time.sleep(0.5)
        for i in range(events):
            rename(port, setup, f"Bench: live stream, rename {name} {i}")
            time.sleep(gap)
        expected = visible_indexes(port, setup.supervisor_token, after)
        end = time.monotonic() + 10
        while time.monotonic() < end and not all(c.frames and c.frames[-1][0] >= expected[-1]
                                                  for c in clients.watchers):
            time.sleep(0.05)
    finally:
        clients.close()
    delays, missing, extra = [], 0, 0
    by_event: dict[int, list[float]] = {}
    for c in clients.watchers:
        for i, e, r in c.received:
            by_event.setdefault(i, []).append((r - e) * 1000)
        indexes = [i for i, _e, _r in c.received]
        missing += len(set(expected) - set(indexes))
        extra += len(indexes) - len(set(indexes)) + sum(1 for a, b in zip(indexes, indexes[1:]) if b <= a)
        extra += len(set(indexes) - set(expected))
        delays += [(r - e) * 1000 for _i, e, r in c.received]
    return Phase(name, n, delays, missing, extra, connect_s, by_event)


def scan_log(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    return [f"{needle}: {text.count(needle)}" for needle in
            ("Traceback", "database is locked", "OperationalError", "WORKER TIMEOUT", "live: ")
            if needle in text]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    proc = None
    wall = time.monotonic()
    try:
        env = instance_env(tmp, args)
        say(f"setting up in {tmp} ...")
        setup = build_data()
        log = tmp / "gunicorn.log"
        proc, port = start_server(args, env, log)
        say(f"{server_line(args)} on {HOST}:{port}")
        base = run_phase("baseline", port, setup, 1, args, args.baseline_events, 0.05)
        load = run_phase("load", port, setup, args.clients, args, args.events, args.gap)
        problems = scan_log(log)
    except Exception:
        traceback.print_exc()
        if proc is not None:
            stop(proc)
        say(f"the bench could not run; instance kept in {tmp}")
        return 2
    finally:
        if proc is not None:
            stop(proc)
    ratio = load.q(0.99) / base.q(0.99) if base.q(0.99) > 0 else float("inf")
    rows = [
        ("clients", f"{load.clients}  ({server_line(args)}; switch interval {switch_interval(args)})"),
        ("events", f"{args.events} with {args.clients} clients, one every {args.gap} s; "
                   f"{args.baseline_events} with one, one every 0.05 s"),
        ("deliveries", f"{len(load.delays_ms)} load + {len(base.delays_ms)} baseline"),
        ("missing deliveries", f"{load.missing + base.missing}"),
        ("repeated or out of order", f"{load.extra + base.extra}"),
        ("connect all clients s", f"{load.connect_s:.1f}"),
        ("load p50 delay ms", f"{load.q(0.50):.1f}"),
        ("load p99 delay ms", f"{load.q(0.99):.1f}"),
        ("load max delay ms", f"{max(load.delays_ms, default=float('nan')):.1f}"),
        ("baseline p50 delay ms", f"{base.q(0.50):.1f}  (1 client)"),
        ("baseline p99 delay ms", f"{base.q(0.99):.1f}"),
        ("ratio p50 load/baseline", f"{load.q(0.50) / base.q(0.50):.2f}" if base.q(0.50) > 0 else "inf"),
        ("ratio p99 load/baseline", f"{ratio:.2f}"),
        ("server log", ", ".join(problems) or "clean"),
        ("bench wall time s", f"{time.monotonic() - wall:.1f}"),
    ]
    for name, value in rows:
        print(f"{name:<34} {value}")
    if args.per_event:
        for phase in (base, load):
            for index, values in sorted(phase.by_event.items()):
                values.sort()
                print(f"  {phase.name} event {index}: first {values[0]:.1f} p50 {values[len(values) // 2]:.1f} "
                      f"max {values[-1]:.1f} ms")
    ok = load.missing + base.missing == 0 and load.extra + base.extra == 0 and load.q(0.99) <= TARGET_P99_MS
    print(f"missing={load.missing + base.missing} p99_ms={load.q(0.99):.1f} ratio_p99={ratio:.2f} "
          f"target_p99_ms<={TARGET_P99_MS:.0f}")
    if args.keep:
        say(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
