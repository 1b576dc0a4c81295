"""`python -m monitor.verify` replays the expert draws of an export as it replays the supervisors': an honest
log passes; a log the platform re-signed after steering an expert draw - a pick that does not replay, a
replacement that skips ahead in the order, a seed made under another purpose - is refused."""
from __future__ import annotations

import hashlib

import pytest

from bidding.experts import services as experts
from bidding.experts.models import PURPOSE
from monitor.audit import log as audit
from tests.bidding.experts.helpers import plan, pool  # noqa: F401  (pool: fixture)
from tests.monitor.verify.test_verify_draws import exported_log, find, forge, verify_cli
from trading.draws import services as draws

A = bytes(range(32))


@pytest.fixture
def exported(db, runner, users, published_trade, pool, clock, tmp_path):  # noqa: F811
    """An expert round with a contribution (committed, revealed), drawn; one expert declines and is replaced."""
    audit.sign_checkpoint("manual")
    db.session.commit()
    trade = published_trade
    plan(db, users, trade)
    (row,) = experts.draw(users["staff"], trade)
    db.session.commit()
    draws.commit(users["supervisor"], trade, PURPOSE, 1, hashlib.sha256(A).hexdigest())
    db.session.commit()
    clock.freeze(row.commit_until)
    draws.run_due()
    draws.reveal(users["supervisor"], trade, PURPOSE, 1, A.hex())
    db.session.commit()
    first = experts.seats(trade)[0]
    experts.decline(first.expert.user, trade, first.id, "出差")
    db.session.commit()
    return exported_log(runner, tmp_path / "export")


def test_an_honest_log_replays_the_expert_draw_and_its_replacement(exported, client):
    key = client.get("/api/v1/audit/key").get_json()["public_key"]
    done = verify_cli(exported.dir, "--key", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Draws: 1 draw(s) and 1 replacement(s) replayed from the log" in done.stdout


def test_a_steered_pick_is_refused(exported, tmp_path):
    def edit(bodies):
        after = bodies[find(exported, "experts.draw")]["after"]
        after["selected"] = after["order"][1:1 + after["count"]]

    where, pub = forge(exported, tmp_path / "pick", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not replay: its logged selected" in done.stdout, done.stdout


def test_a_replacement_that_skips_ahead_is_refused(exported, tmp_path):
    def edit(bodies):
        order = bodies[find(exported, "experts.draw")]["after"]["order"]
        after = bodies[find(exported, "experts.replacement")]["after"]
        after["position"] += 1
        after["expert"] = order[after["position"]]

    where, pub = forge(exported, tmp_path / "skip", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "the replacement in round 1" in done.stdout, done.stdout


def test_a_seed_of_another_purpose_is_refused(exported, tmp_path):
    """The entry claims a supervisors' purpose and is recomputed under it: the kind of entry fixes the purpose."""
    from monitor.verify import draw as offline

    def edit(bodies):
        after = bodies[find(exported, "experts.draw")]["after"]
        after["purpose"] = offline.PURPOSE
        revealed = [(c["commitment"], c["reveal"]) for c in after["contributions"] if c["reveal"]]
        material = offline.seed_material(trade_ref=after["trade"], round_no=after["round"], fixed=after["fixed"],
                                         candidates=after["candidates"], count=after["count"],
                                         beacon_size=after["beacon"]["size"], beacon_root=after["beacon"]["root"],
                                         contributions=revealed)
        after["seed"] = offline.seed_of(material).hex()
        after["order"] = offline.order(material, after["candidates"])
        after["selected"] = after["order"][:after["count"]]

    where, pub = forge(exported, tmp_path / "purpose", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not replay" in done.stdout, done.stdout
