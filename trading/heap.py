"""The long-lived part of a server process's heap, set aside from the garbage collector.

A server process holds some 230,000 objects that live as long as it does: modules, the models'
mappers, the routes, the translations, the rule sets. Python's cyclic garbage collector walks all of
them in each full collection, about 90 ms with the interpreter lock held on these machines, and a
burst of uploads sets off one every second or so (bench/README.md). `settle()` builds what the first
request would otherwise build (the mappers), collects once, then freezes what is left
(`gc.freeze`): later collections walk only what was made after it. Nothing frozen is ever freed by
the collector (reference counting still frees what it can), so only a process that serves until it
ends calls it: wsgi.py, never the app factory (tests build hundreds of apps in one process).
"""
from __future__ import annotations

import gc

from sqlalchemy.orm import configure_mappers


def settle() -> None:
    """Configure the mappers, collect, freeze the survivors."""
    configure_mappers()
    gc.collect()
    gc.freeze()
