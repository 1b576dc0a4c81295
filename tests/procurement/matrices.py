"""Every procurement sub-package's route table, found by name: `tests/procurement/<pkg>/matrix_<pkg>.py`, each
with `COVERED` (routes whose caller matrix its own tests walk) and `PUBLIC` (routes anyone may call).

A new sub-package adds its table beside its tests; tests/trading/test_route_matrix.py and the check below read
the union, so nobody edits a shared list to add a route."""
from __future__ import annotations

import importlib
from pathlib import Path

MODULES = [importlib.import_module(f"tests.procurement.{path.parent.name}.{path.stem}")
           for path in sorted(Path(__file__).parent.glob("*/matrix_*.py"))]
COVERED: set[tuple[str, str]] = set().union(*(module.COVERED for module in MODULES))
PUBLIC: set[tuple[str, str]] = set().union(*(module.PUBLIC for module in MODULES))
