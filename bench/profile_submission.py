"""Where one upload's time goes: sequential sealed-bid uploads to the platform under gunicorn
(the shipped gunicorn.conf.py), timed one by one, optionally under cProfile.

    .venv/bin/python bench/profile_submission.py [--uploads 60] [--size 256K] [--profile] [--bare]
    .venv/bin/python bench/profile_submission.py --concurrent --uploads 200 --parts

Builds the same instance and data as bench/submission.py, then sends the uploads one after another
(no concurrency: the time of one is the platform's cost of one, fsyncs included). `--profile` runs
each request (from gunicorn's pre_request to its post_request hook, so the body reading is in it)
under cProfile in the worker and prints the top functions by cumulative and by own time. `--bare`
times the bare app (bench/bare_upload.py) the same way, for comparison. `--parts` (best with
`--concurrent`) prints the thread CPU per call of each part of an upload inside the worker.
"""
from __future__ import annotations

import argparse
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import submission as bench  # noqa: E402

GATE_HOOKS = '''
import json, os, threading, time
exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())

def post_fork(server, worker):
    from trading import sqlite_writes
    Gate = sqlite_writes._Gate
    waits, holds, taken = [], [], threading.local()
    acquire, release = Gate.acquire, Gate.release

    def timed_acquire(self, timeout):
        t0 = time.perf_counter()
        ok = acquire(self, timeout)
        t1 = time.perf_counter()
        waits.append(t1 - t0)
        taken.at = t1
        if threading.current_thread().name != "bid-writer":
            import traceback
            with open({out!r} + f".others.{{os.getpid()}}", "a") as fh:
                print("".join(traceback.format_stack(limit=45)), "----", file=fh)
        return ok

    def timed_release(self):
        holds.append(time.perf_counter() - taken.at)
        release(self)
        with open({out!r} + f".{{os.getpid()}}", "w") as fh:
            json.dump({{"waits": waits, "holds": holds}}, fh)

    Gate.acquire, Gate.release = timed_acquire, timed_release

    from bidding.submission import writer
    groups = []
    commit = writer._Writer._commit

    import cProfile
    prof = cProfile.Profile()

    def timed_commit(self, group):
        t0, c0 = time.perf_counter(), time.thread_time()
        if os.environ.get("PROFILE_WRITER"):
            prof.enable()
        try:
            commit(self, group)
        finally:
            prof.disable()
        groups.append((len(group), time.perf_counter() - t0, time.thread_time() - c0))
        with open({out!r} + f".groups.{{os.getpid()}}", "w") as fh:
            json.dump(groups, fh)
        prof.dump_stats({out!r} + f".writer.{{os.getpid()}}")

    writer._Writer._commit = timed_commit
'''

PARTS_HOOKS = '''
import json, os, sys, threading, time
exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())

def post_fork(server, worker):
    # each part's thread CPU (time.thread_time) per call, under the load; nested parts are inside
    # their parent's figure. Patched where the callers look them up (module globals, classes).
    import importlib
    parts, lock = {{}}, threading.Lock()

    def wrap(owner, name, label, by_caller=False):
        inner = getattr(owner, name, None)
        if inner is None:  # code of another version: not measured
            return

        def timed(*args, **kwargs):
            c0 = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = time.thread_time() - c0
                key = label if threading.current_thread().name != "bid-writer" else "9 (writer) " + label[2:]
                if by_caller:  # the function that called it (through the scoped session's proxy)
                    frame = sys._getframe(1)
                    while frame is not None and ("sqlalchemy" in frame.f_code.co_filename
                                                 or frame.f_code.co_name == "timed"):
                        frame = frame.f_back
                    key += " from " + (frame.f_code.co_name if frame is not None else "?")
                with lock:
                    n, total = parts.get(key, (0, 0.0))
                    parts[key] = (n + 1, total + spent)
        setattr(owner, name, timed)

    def dump():  # off the measured threads: a file written per call would weigh on every part
        last = None
        while True:
            time.sleep(0.1)
            with lock:
                if os.path.exists({out!r} + ".reset"):  # the load starts: what came before was set-up
                    parts.clear()
                    os.remove({out!r} + ".reset")
                now = json.dumps(parts)
            if now != last:
                with open({out!r} + f".parts.{{os.getpid()}}", "w") as fh:
                    fh.write(now)
                last = now

    threading.Thread(target=dump, daemon=True).start()
    from gunicorn.workers import gthread
    wrap(gthread.ThreadWorker, "handle", "1 request in gunicorn's thread (ThreadWorker.handle)")
    import flask
    wrap(flask.Flask, "wsgi_app", "1a Flask.wsgi_app (context, hooks, view, response, teardown)")
    wrap(flask.Flask, "preprocess_request", "1b before_request hooks (the bearer token in them)")
    wrap(flask.Flask, "dispatch_request", "1c the view")
    wrap(flask.Flask, "finalize_request", "1d after_request hooks, response")
    wrap(flask.Flask, "do_teardown_appcontext", "1e app context teardown (session removed)")
    wrap(gthread.ThreadWorker, "handle_request", "1f gunicorn: handle_request (the WSGI call and the answer)")
    import sqlalchemy.orm
    wrap(sqlalchemy.orm.Session, "execute", "7 Session.execute", by_caller=True)
    wrap(sqlalchemy.orm.Session, "commit", "8 Session.commit")
    wrap(sqlalchemy.orm.Session, "connection", "8a Session.connection")
    api = importlib.import_module("trading.api")
    for name in ("caller_for_token", "user_for_token"):
        wrap(api, name, "2 bearer token: " + name)
    services = importlib.import_module("bidding.submission.services")
    wrap(services, "submit_bid", "3 services.submit_bid (with the blob store, without the writer's CPU)")
    blobs = importlib.import_module("trading.blobs")
    wrap(blobs.BlobStore, "put", "4 blob store put (body read, one-pass check, write, fsync)")
    writer = importlib.import_module("bidding.submission.writer")
    wrap(writer, "store_group", "5 writer: store_group")
    wrap(writer._Writer, "_commit", "6 writer: store_group + commit")
    sub_api = importlib.import_module("bidding.submission.api")
    wrap(sub_api, "require", "3a view: permission check")
    wrap(sub_api, "jsonify", "3b view: jsonify")
    wrap(sub_api._BID, "dump", "3c view: the bid dumped")
    wrap(writer, "store", "3d services: writer.store (handing over, waiting: no CPU while asleep)")
    wrap(services, "receipt_private_key", "3e services: receipt_private_key")
    wrap(services, "key_fingerprint", "3f services: key_fingerprint")
'''

#: one cProfile per request thread, timed by the thread's CPU (time.thread_time), merged at the end:
#: where the CPU goes under the burst, GIL hand-overs included (their cost lands in the calls that
#: gave the interpreter lock back and took it again)
CPU_HOOKS = '''
import cProfile, os, threading, time
exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())
_mine = threading.local()
_done, _lock = [], threading.Lock()

def pre_request(worker, req):
    _mine.prof = cProfile.Profile(time.thread_time)
    _mine.prof.enable()

def post_request(worker, req, environ, resp):
    prof = getattr(_mine, "prof", None)
    if prof is None:
        return
    prof.disable()
    _mine.prof = None
    with _lock:
        if os.path.exists({out!r} + ".reset"):  # the load starts: what came before was set-up
            _done.clear()
            os.remove({out!r} + ".reset")
        _done.append(prof)
        if environ.get("REQUEST_METHOD") == "POST":
            prof.dump_stats({out!r} + f".cpu.{{len(_done)}}")
'''

HOOKS = '''
import cProfile, os, threading
exec(open(os.path.join({root!r}, "gunicorn.conf.py")).read())
_prof = cProfile.Profile()
_lock = threading.Lock()
_count = [0]

def pre_request(worker, req):
    _lock.acquire()
    _prof.enable()

def post_request(worker, req, environ, resp):
    global _prof
    _prof.disable()
    _count[0] += 1
    if _count[0] == 10:  # the first requests configure mappers, compile statements: not steady state
        _prof = cProfile.Profile()
    else:
        _prof.dump_stats({out!r})
    _lock.release()
'''


def start_py_spy(server, out: str):
    """py-spy recording the server's workers (not the master) from now until stop_py_spy."""
    import signal
    import subprocess
    workers = [pid for pid in cpu_by_process(server) if pid != server.proc.pid]
    spies = [subprocess.Popen(["py-spy", "record", "--gil", "--nonblocking", "--rate", "1000", "--format", "raw",
                               "-o", f"{out}.{pid}" if len(workers) > 1 else out, "--pid", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in workers]
    time.sleep(1.0)  # py-spy attaches
    return spies, signal.SIGINT


def stop_py_spy(spy) -> None:
    spies, sig = spy
    for proc in spies:
        proc.send_signal(sig)
    for proc in spies:
        proc.wait(30)


def cpu_seconds(server) -> float:
    """User + system CPU time of a gunicorn server's processes (master and workers)."""
    return sum(u + s for u, s in cpu_by_process(server).values())


def cpu_by_process(server) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds of each process of a gunicorn server."""
    import os
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == server.proc.pid or int(pid) == server.proc.pid:  # the master's group
            found[int(pid)] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return found


def timed_runs(server, path, envelopes, tokens, concurrent: bool) -> str:
    import threading
    if concurrent:
        start = cpu_by_process(server)
        run = bench.run_load("c", server.port, path, envelopes, tokens, 60)
        end = cpu_by_process(server)
        per = {pid: (end[pid][0] - start.get(pid, (0, 0))[0], end[pid][1] - start.get(pid, (0, 0))[1]) for pid in end}
        used = sum(u + s for u, s in per.values())
        bad = [r for r in run.results if r.status != 201]
        split = ", ".join(f"{u:.2f}+{s:.2f}" for u, s in per.values() if u + s > 0.01)
        return (f"{len(run.ok)} concurrent in {run.wall:.2f} s ({run.uploads_per_s:.0f}/s), "
                f"{1000 * used / len(envelopes):.2f} ms CPU per upload (user+sys s per process: {split}), "
                f"{len(bad)} failed")
    go = threading.Event()
    go.set()
    times = []
    before = cpu_seconds(server)
    for i, (data, token) in enumerate(zip(envelopes, tokens)):
        r = bench.upload(server.port, path, data, token, 30, go, i)
        if r.status != 201:
            raise RuntimeError("upload failed: " + bench.describe_failure(r))
        times.append(r.latency * 1000)
    used = cpu_seconds(server) - before
    return (f"{len(times)} sequential: median {statistics.median(times):.2f} ms, min {min(times):.2f}, "
            f"{1000 * used / len(envelopes):.2f} ms CPU per upload")


def print_by_package(stats: pstats.Stats) -> None:
    """Own time summed per package (site-packages name, the project's top-level package, or builtins)."""
    from collections import Counter
    own, calls = Counter(), Counter()
    for (filename, _line, name), (_cc, nc, tt, _ct, _callers) in stats.stats.items():
        if "site-packages/" in filename:
            key = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(ROOT)):
            key = filename[len(str(ROOT)) + 1:]
        elif filename == "~":
            key = "builtin " + name
        else:
            key = "stdlib " + Path(filename).name
        own[key] += tt
        calls[key] += nc
    total = sum(own.values())
    print(f"own time by package ({total:.3f} s in all):")
    for key, tt in own.most_common(40):
        print(f"  {1000 * tt:9.1f} ms  {100 * tt / total:5.1f}%  {calls[key]:8d} calls  {key}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--uploads", type=int, default=60)
    p.add_argument("--size", type=bench.parse_size, default=256 * 1024)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--bare", action="store_true")
    p.add_argument("--top", type=int, default=0, help="with --profile or --gate: the N top functions")
    p.add_argument("--gate", action="store_true", help="time the SQLite write gate's waits and holds")
    p.add_argument("--workers", type=int, default=0, help="override gunicorn.conf.py's workers")
    p.add_argument("--cold", action="store_true", help="with --concurrent: no warm-up burst before the measured one")
    p.add_argument("--concurrent", action="store_true", help="all uploads at once, as bench/submission.py")
    p.add_argument("--cpu-profile", action="store_true",
                   help="cProfile of every request thread by its own CPU time (best with --concurrent), merged")
    p.add_argument("--py-spy", metavar="FILE", default="",
                   help="sample the worker(s) with py-spy (--gil: the thread holding the interpreter lock) during "
                        "the load only, as collapsed stacks in FILE (py-spy must be installed)")
    p.add_argument("--parts", action="store_true",
                   help="thread CPU per call of each part of an upload (token, service, blob store, writer)")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="prtp-prof-"))
    servers = []
    try:
        env = bench.instance_env(tmp)
        app = bench.make_app()
        setup = bench.build_data(app, args.uploads)
        out = tmp / "profile.out"
        gargs = argparse.Namespace(workers=args.workers, threads=0)
        if args.profile or args.gate or args.parts or args.cpu_profile:
            conf = tmp / "gunicorn-profile.conf.py"
            hooks = (HOOKS if args.profile else GATE_HOOKS if args.gate else PARTS_HOOKS if args.parts
                     else CPU_HOOKS)
            conf.write_text(hooks.format(root=str(ROOT), out=str(out)))
            env = {**env, "GUNICORN_CMD_ARGS": f"-c {conf}"}
        platform = bench.start_gunicorn("platform", "wsgi:app", env, gargs, tmp / "platform.log")
        servers.append(platform)
        bench.wait_ready(platform, f"/api/v1/trades/{setup.measured.trade_id}/opening-key")
        envelopes = bench.seal_envelopes(bench.opening_key(platform.port, setup.measured), setup.measured,
                                         setup.bidders, args.size)
        bench.get(platform.port, "/api/v1/receipt-key")
        path = f"/api/v1/trades/{setup.measured.trade_id}/bids"
        tokens = [b.token for b in setup.bidders]
        if args.concurrent and not args.cold:  # as bench/submission.py: one unmeasured burst first, to a second tender
            warm = bench.seal_envelopes(bench.opening_key(platform.port, setup.warm_up), setup.warm_up, setup.bidders,
                                        args.size)
            bench.run_load("warm-up", platform.port, f"/api/v1/trades/{setup.warm_up.trade_id}/bids", warm, tokens, 60)
        if args.parts or args.cpu_profile:  # the set-up requests above (first statements compiled, mappers) are not counted
            (tmp / "profile.out.reset").touch()
            while args.parts and (tmp / "profile.out.reset").exists():
                time.sleep(0.05)
        spy = start_py_spy(platform, args.py_spy) if args.py_spy else None
        print("platform:", timed_runs(platform, path, envelopes, tokens, args.concurrent))
        if spy is not None:
            stop_py_spy(spy)
        if args.bare:
            bare = bench.start_gunicorn("bare", "bench.bare_upload:app", {"BARE_UPLOAD_DIR": str(tmp)},
                                        gargs, tmp / "bare.log")
            servers.append(bare)
            bench.wait_ready(bare, "/")
            print("bare:    ", timed_runs(bare, "/upload", envelopes, tokens, args.concurrent))
        if args.gate:
            import json
            for f in sorted(tmp.glob("profile.out.groups.*")):
                groups = json.loads(f.read_text())
                sizes = sorted(n for n, _t, _c in groups)
                wall, cpu = sum(t for _n, t, _c in groups), sum(c for _n, _t, c in groups)
                print(f"writer groups: {len(groups)}, sizes p50 {sizes[len(sizes) // 2]} max {sizes[-1]}; "
                      f"time in groups {wall:.2f} s, per bid {1000 * wall / max(1, sum(sizes)):.2f} ms, "
                      f"of which the writer's own CPU {1000 * cpu / max(1, sum(sizes)):.2f} ms")
            if args.top and os.environ.get("PROFILE_WRITER"):
                for f in sorted(tmp.glob("profile.out.writer.*")):
                    print("the writer thread, cProfile (GIL waits show as time in the calls that waited):")
                    stats = pstats.Stats(str(f))
                    print_by_package(stats)
                    stats.sort_stats("cumulative").print_stats(args.top)
                    stats.print_callers("acquire")
            for f in sorted(tmp.glob("profile.out.[0-9]*")):
                data = json.loads(f.read_text())
                for name in ("waits", "holds"):
                    v = sorted(data[name])
                    print(f"gate {name} ({f.suffix[1:]}): n={len(v)} p50 {1000 * v[len(v) // 2]:.2f} ms "
                          f"p90 {1000 * v[int(len(v) * 0.9)]:.2f} max {1000 * v[-1]:.2f} sum {sum(v):.2f} s")
        if args.parts:
            import json
            time.sleep(0.5)
            for f in sorted(tmp.glob("profile.out.parts.*")):
                print(f"thread CPU, process {f.suffix[1:]}: per upload (all calls / uploads), calls")
                for label, (n, total) in sorted(json.loads(f.read_text()).items()):
                    print(f"  {1000 * total / len(envelopes):7.2f} ms  {n:4d}  {label[2:]}")
        if args.cpu_profile:
            time.sleep(0.5)
            files = sorted(tmp.glob("profile.out.cpu.*"))
            stats = pstats.Stats(str(files[0]))
            for f in files[1:]:
                stats.add(str(f))
            print(f"{len(files)} upload requests, CPU of their threads:")
            print_by_package(stats)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
        if args.profile:
            time.sleep(0.3)
            stats = pstats.Stats(str(out))
            print_by_package(stats)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
        return 0
    finally:
        for s in servers:
            bench.stop(s)
        if os.environ.get("PROFILE_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
