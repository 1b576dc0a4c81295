"""The serving process sets its start-up heap aside from the garbage collector (trading/heap.py), and
only the serving process does: the app factory, which the tests call hundreds of times, must not."""
from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from trading import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_wsgi_freezes_the_start_up_heap(tmp_path):
    # a process of its own: a frozen heap is never collected, and this one's must stay collectable
    probe = ("import gc, wsgi\n"
             "from trading.extensions import db\n"
             "print(gc.get_freeze_count(), len(gc.get_objects()),\n"
             "      all(mapper.configured for mapper in db.Model.registry.mappers))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout.split()
    frozen, tracked, configured = int(out[0]), int(out[1]), out[2]
    assert frozen > 100_000  # the modules, mappers, routes, translations...
    assert tracked < frozen / 10  # ... and the collector is left with little to walk
    assert configured == "True"  # the mappers were built before the freeze, not by the first request


def test_the_app_factory_freezes_nothing():
    before = gc.get_freeze_count()
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert gc.get_freeze_count() == before
