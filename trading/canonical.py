"""The platform's one canonical JSON: the exact bytes that are hashed, signed and exported.

UTF-8, keys sorted, no insignificant white space, non-ASCII characters written as themselves
(ensure_ascii=False): receipts, opening records, bid forms, audit entries, checkpoints and draw
seeds are all this form, and their documents, test vectors and offline verifiers depend on it
byte for byte.

This module imports only the standard library. The offline tools that must run without Flask
(`python -m monitor.draw`, `python -m monitor.verify`: a test forbids them to import `trading`,
because importing `trading.canonical` runs `trading/__init__.py`, the app factory) keep a
deliberate copy of this function; tests/trading/test_canonical.py proves the copies produce
identical bytes.
"""
from __future__ import annotations

import json
from typing import Any


def canonical_json(obj: Any) -> bytes:
    """`obj` as canonical JSON bytes (UTF-8, sorted keys, separators "," and ":", no ASCII escaping)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
