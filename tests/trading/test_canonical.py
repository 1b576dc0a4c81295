"""One canonical JSON (trading.canonical): its bytes are pinned, every platform caller uses that very
function, and the offline replay tool's deliberate copy (monitor.draw, standard library only) agrees."""
from __future__ import annotations

import json

import pytest

from trading.canonical import canonical_json

#: inputs where a JSON encoder's choices show: key order, white space, non-ASCII, escapes, numbers
CASES = [
    {"b": 1, "a": [True, False, None], "c": {"z": "", "y": -0.5}},
    {"名称": "开标记录", "金额": "4815000.00", "emoji": "🙂", "nbsp": "\u00a0", "rtl": "\u202e"},
    {"quote": "\"", "backslash": "\\", "newline": "\n", "tab": "\t", "nul": "\u0000", "del": "\u007f"},
    {"big": 2 ** 63, "neg": -(2 ** 63), "float": 1e-7, "zero": 0},
    [],
    {"nested": [{"k": [1, {"j": "x"}]}, "s"], "": "empty key"},
]


def test_pinned_bytes():
    assert canonical_json({"b": [1, "é"], "a": {"y": None, "x": "\n"}}) == \
        '{"a":{"x":"\\n","y":null},"b":[1,"é"]}'.encode("utf-8")
    assert canonical_json({"名": "开标"}) == b'{"\xe5\x90\x8d":"\xe5\xbc\x80\xe6\xa0\x87"}'


@pytest.mark.parametrize("obj", CASES)
def test_offline_draw_copy_gives_identical_bytes(obj):
    from monitor.verify import draw

    assert draw.canonical(obj) == canonical_json(obj)
    assert json.loads(canonical_json(obj)) == obj


@pytest.mark.parametrize("obj", CASES)
def test_offline_signature_checker_copy_gives_identical_bytes(obj):
    from monitor.verify import signatures

    assert signatures.canonical(obj) == canonical_json(obj)


def test_platform_callers_use_the_one_function():
    """The receipt, the opening record, the bid form and the audit log all sign or hash these bytes."""
    from bidding.ceremony import opening as ceremony
    from bidding.crypto import receipt, records
    from monitor.audit import log as audit

    assert receipt.canonical is canonical_json
    assert ceremony.canonical_json is canonical_json
    assert records.canonical_json is canonical_json
    assert audit.canonical is canonical_json
    form = {"price": "4815000.00", "备注": "含税"}
    assert records.canonical_form(form) == canonical_json(form)
