"""The verifiable draw: a pure function of public data, replayed identically from its audit entry (by
`replay` and by `python -m monitor.verify.draw`), different when the seed changes, and the count by rule."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from monitor.verify import draw as drawing
from monitor.supervisors import norms
from monitor.supervisors.models import SupervisorDraw
from tests.conftest import api_headers
from tests.monitor.supervisors.supervisor_helpers import entries, publish, registry  # noqa: F401  (fixture)

ROOT = "9f" * 32
REPO = Path(__file__).resolve().parents[3]


def material(root: str = ROOT, size: int = 120, ref: str = "GC-2026-0001", round_no: int = 1, fixed: int = 100,
             candidates=(1, 2, 3), count: int = 1, contributions=()) -> bytes:
    return drawing.seed_material(trade_ref=ref, round_no=round_no, fixed=fixed, candidates=candidates, count=count,
                                 beacon_size=size, beacon_root=root, contributions=contributions)


# ---- an independent re-derivation: hashlib and the documented steps, nothing of monitor.verify.draw ----

def independent_order(material_bytes: bytes, candidates) -> list[int]:
    seed = hashlib.sha256(material_bytes).digest()
    words, counter = [], 0

    def word() -> int:
        nonlocal counter
        if not words:
            block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
            words.extend(int.from_bytes(block[i:i + 8], "big") for i in (24, 16, 8, 0))
            counter += 1
        return words.pop()

    pool = sorted(set(candidates))
    for i in range(len(pool)):
        n = len(pool) - i
        while True:
            x = word()
            if x < 2 ** 64 - 2 ** 64 % n:
                break
        j = i + x % n
        pool[i], pool[j] = pool[j], pool[i]
    return pool


#: (material fields, the seed, the whole order): computed once and pinned, so that any change of the seed
#: material, the hashing or the shuffle fails here (offline verifiers depend on all three)
PINNED = [
    (dict(ref="GC-2026-0001", round_no=1, fixed=7, candidates=[11, 3, 5, 7, 2], count=2, size=12, root="ab" * 32,
          contributions=[("cd" * 32, "ef" * 32)]),
     "aff94f7ffe9f3600f5dc887f891592516015f8bad9fccbfab2bc04714e6d4122", [3, 5, 2, 11, 7]),
    (dict(ref="GC-2026-0001", round_no=1, fixed=7, candidates=list(range(1, 11)), count=3, size=12, root="00" * 32),
     "804aaab066632838a894533d6c8acadd1aa778035cba95f41a8b330cce6102fc", [9, 5, 10, 6, 8, 4, 2, 7, 1, 3]),
]


@pytest.mark.parametrize("fields, seed, order", PINNED)
def test_pinned_draws(fields, seed, order):
    m = material(**fields)
    assert drawing.seed_of(m).hex() == seed == hashlib.sha256(m).hexdigest()
    assert drawing.order(m, fields["candidates"]) == order == independent_order(m, fields["candidates"])
    assert drawing.draw(m, fields["candidates"], fields["count"]) == order[:fields["count"]]


def test_seed_material_is_canonical_json_of_the_documented_fields():
    m = material(**PINNED[0][0])
    assert m == (b'{"beacon":{"root":"' + b"ab" * 32 + b'","size":12},"candidates":[2,3,5,7,11],'
                 b'"contributions":[["' + b"cd" * 32 + b'","' + b"ef" * 32 + b'"]],"count":2,"fixed":7,'
                 b'"purpose":"social-supervisor-draw","round":1,"trade":"GC-2026-0001","v":2}')
    assert m == drawing.canonical(json.loads(m))
    upper = material(**{**PINNED[0][0], "root": "AB" * 32, "contributions": [("CD" * 32, "EF" * 32)]})
    assert upper == m  # hex case does not matter


# ---- the pure function --------------------------------------------------------------------------

def test_same_input_same_result_and_order_of_candidates_does_not_matter():
    a = drawing.draw(material(), [7, 3, 11, 5, 2], 2)
    b = drawing.draw(material(), [2, 3, 5, 7, 11], 2)
    assert a == b and len(a) == 2 and len(set(a)) == 2 and set(a) <= {2, 3, 5, 7, 11}


def test_result_changes_with_every_part_of_the_seed():
    candidates = list(range(1, 41))
    base = drawing.draw(material(), candidates, 3)
    variants = [material(root="a0" * 32), material(size=121), material(ref="GC-2026-0002"), material(round_no=2),
                material(fixed=101), material(candidates=(1, 2, 4)), material(count=2),
                material(contributions=[("cd" * 32, "ef" * 32)])]
    results = [drawing.draw(m, candidates, 3) for m in variants]
    assert all(r != base for r in results)  # 40*39*38 outcomes: a collision would be a bug, not luck


def test_fewer_candidates_than_places_and_none():
    assert sorted(drawing.draw(material(), [4, 9], 5)) == [4, 9]
    assert drawing.draw(material(), [], 2) == []
    assert drawing.draw(material(), [1, 2, 3], 0) == []
    assert drawing.order(material(), []) == []


def test_selection_is_roughly_uniform():
    """Every candidate is about equally likely (rejection sampling, no modulo bias): 3000 seeds, 6 candidates."""
    counts = Counter()
    for i in range(3000):
        counts.update(drawing.draw(material(ref=f"T-{i}"), [1, 2, 3, 4, 5, 6], 1))
    assert set(counts) == {1, 2, 3, 4, 5, 6}
    assert all(400 <= n <= 600 for n in counts.values()), counts


def test_replacement_is_the_next_position_not_skipped():
    order = [9, 5, 10, 6, 8]
    assert drawing.replacement_for(order, [0, 1], set()) == (2, 10)
    assert drawing.replacement_for(order, [0, 1, 2], {3}) == (4, 8)
    assert drawing.replacement_for(order, [0, 1, 2, 4], set()) is None


# ---- count by rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("price, count", [
    ("0.00", 1), ("4999999.99", 1), ("5000000.00", 1), ("5000000.01", 2), ("80000000.00", 2),
])
def test_count_by_rule_at_the_5m_boundary(price, count):
    rule = norms.count_for(Decimal(price))
    assert rule.count == count
    assert rule.source is norms.LOCAL_PRACTICE and "local practice" in rule.source.en
    assert (rule.above == Decimal("5000000")) is (count == 2)


def test_count_rule_is_configurable(make_app):
    app = make_app(SOCIAL_SUPERVISOR_COUNTS=[["1000000", 2], ["10000000", 3]], SOCIAL_SUPERVISOR_DEFAULT_COUNT=0)
    with app.app_context():
        assert norms.count_for(Decimal("20000000")).count == 3
        assert norms.count_for(Decimal("2000000")).count == 2
        assert norms.count_for(Decimal("999999")).count == 0


def test_count_at_the_boundary_through_publication(db, users, make_trade, registry):  # noqa: F811
    at = publish(db, make_trade, users, "5000000.00")
    above = publish(db, make_trade, users, "5000000.01")
    (d1,) = db.session.query(SupervisorDraw).filter_by(trade_id=at.id).all()
    (d2,) = db.session.query(SupervisorDraw).filter_by(trade_id=above.id).all()
    assert (d1.count, len(d1.selected)) == (1, 1)
    assert (d2.count, len(d2.selected)) == (2, 2)


# ---- replay from the log ------------------------------------------------------------------------

def test_logged_draw_replays_identically(db, users, make_trade, registry):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    (entry,) = entries(db, "supervisors.draw", trade)
    data = entry["after"]
    row = db.session.query(SupervisorDraw).filter_by(trade_id=trade.id).one()
    assert data["selected"] == row.selected == row.order[:2] and len(row.selected) == 2
    assert data["candidates"] == sorted(s.id for name, s in registry.items() if name != "social_proc")
    (fixed,) = entries(db, "supervisors.draw_fixed", trade)
    assert fixed["_seq"] == data["fixed"] < data["beacon"]["size"] <= entry["_seq"]  # fixed, then beacon, then drawn
    result = drawing.replay(entry)
    assert result["matches"] and result["selected"] == row.selected and result["seed"] == row.seed
    assert result["order"] == row.order
    # tampering with the logged seed source, the order or the result is detected
    for path, value in ((("beacon", "root"), "00" * 32), (("fixed",), data["fixed"] - 1), (("seed",), "11" * 32),
                        (("selected",), list(reversed(data["selected"]))), (("order",), sorted(data["order"]))):
        forged = json.loads(json.dumps(entry))
        target = forged["after"]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        assert not drawing.replay(forged)["matches"], path


def test_a_draw_without_a_committed_seed_is_not_replayed_as_good():
    """The first format took its seed from a checkpoint signed in the draw's own transaction: refused."""
    old = {"action": "supervisors.draw", "after": {"v": 1, "trade": "GC-2026-0001", "round": 1, "count": 1,
                                                   "checkpoint": {"size": 5, "root": "00" * 32},
                                                   "candidates": [1, 2], "selected": [2]}}
    with pytest.raises(ValueError, match="not committed"):
        drawing.replay(old)
    assert _cli(json.dumps(old)).returncode == 2


def test_the_beacon_is_a_real_checkpoint_signed_after_the_round_was_fixed(db, users, make_trade, registry):  # noqa: F811
    from monitor.audit import log as audit
    from monitor.audit.models import Checkpoint

    trade = publish(db, make_trade, users)
    row = db.session.query(SupervisorDraw).filter_by(trade_id=trade.id).one()
    cp = db.session.get(Checkpoint, row.checkpoint_id)
    assert bytes(cp.root).hex() == row.checkpoint_root and cp.size == row.checkpoint_size
    assert audit.root_at(cp.size).hex() == row.checkpoint_root  # the tree really had that root
    assert cp.reason == "draw" and cp.size > row.fixed_entry_seq and cp.at >= row.commit_until
    body = json.loads(cp.body)
    assert (body["size"], body["root"]) == (row.checkpoint_size, row.checkpoint_root)


def _cli(arg: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The offline tool, run like a supervisor would: a fresh interpreter, no app, no database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK", "DATABASE"))}
    return subprocess.run([sys.executable, "-m", "monitor.verify.draw", arg], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60)


def test_cli_replays_an_entry_from_the_api(db, client, users, make_trade, registry, tmp_path):  # noqa: F811
    trade = publish(db, make_trade, users, "9000000.00")
    response = client.get(f"/api/v1/audit/entries?trade={trade.id}&limit=1000",
                          headers=api_headers(client, "supervisor"))
    assert response.status_code == 200
    (row,) = [r for r in response.get_json() if r["entry"]["action"] == "supervisors.draw"]
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(row), encoding="utf-8")
    done = _cli(str(path))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    logged = db.session.query(SupervisorDraw).filter_by(trade_id=trade.id).one()
    assert out["matches"] is True and out["selected"] == logged.selected and out["seed"] == logged.seed
    # the bare body on standard input gives the same answer
    done = _cli("-", stdin=row["body"])
    assert done.returncode == 0 and json.loads(done.stdout)["selected"] == logged.selected
    # a forged result is refused with exit status 1
    forged = json.loads(row["body"])
    forged["after"]["selected"] = [999]
    done = _cli(json.dumps(forged))
    assert done.returncode == 1 and "MISMATCH" in done.stderr
    # not a draw entry
    done = _cli(json.dumps({"action": "trades.update", "after": {}}))
    assert done.returncode == 2


def test_draw_module_needs_only_the_standard_library():
    code = ("import sys; import monitor.verify.draw; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'trading')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
