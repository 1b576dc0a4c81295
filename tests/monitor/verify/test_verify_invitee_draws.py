"""An invitation tender's invitee draw in an export: its entries name the candidates by the trade's pseudonyms
until the opening (Tendering Law Art 22; tests/procurement/methods/test_invitee_privacy.py). `python -m
monitor.verify` still checks the order of its entries (fixed, commitment, beacon, reveal, draw) and says its
seed waits for the candidates published at the opening; `python -m monitor.verify.draw` replays it with them,
and refuses a steered order even though every signature is consistent."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from monitor.audit import log as audit
from procurement.methods import services
from procurement.methods.models import PURPOSE
from tests.monitor.verify.test_verify_draws import ROOT, exported_log, find, forge, verify_cli
from tests.procurement.methods.conftest import invited, suppliers  # noqa: F401  (fixtures)
from tests.procurement.plans.conftest import gp_trade  # noqa: F401  (fixture)
from trading.accounts.roles import Role
from trading.draws import services as draws

A = bytes(range(32))


@pytest.fixture
def exported(db, runner, users, invited, suppliers, make_user, clock, tmp_path):  # noqa: F811
    """An invitee round with a supervisor's contribution (committed, revealed), drawn; exported. Returns the
    export and the round as the trade publishes it at the opening (candidates and secret)."""
    sup = make_user("proc_supervisor", (Role.ADMIN_SUPERVISOR, "PROC"))
    audit.sign_checkpoint("manual")
    db.session.commit()
    row = services.fix_draw(users["staff_proc"], invited, 3)
    db.session.commit()
    draws.commit(sup, invited, PURPOSE, 1, hashlib.sha256(A).hexdigest())
    db.session.commit()
    clock.freeze(row.commit_until)
    draws.run_due()
    draws.reveal(sup, invited, PURPOSE, 1, A.hex())
    db.session.commit()
    assert len(services.invitees(invited)) == 3
    return exported_log(runner, tmp_path / "export"), {"candidates": [o.id for o in services.qualified_suppliers()],
                                      "salt": services.rounds(invited)[0].salt}


def _draw_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.verify.draw", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_an_honest_log_checks_the_invitee_draw_and_withholds_its_seed(exported, client, invited):  # noqa: F811
    export, published = exported
    key = client.get("/api/v1/audit/key").get_json()["public_key"]
    done = verify_cli(export.dir, "--key", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Draws: 1 draw(s) and 0 replacement(s) replayed from the log" in done.stdout
    assert "1 invitee draw(s) name their candidates by pseudonyms" in done.stdout
    entry = export.lines[find(export, "invitees.draw")].decode()
    after = json.loads(entry)["after"]
    assert all(c.startswith("anon:") for c in after["candidates"] + after["order"] + after["selected"])
    withheld = _draw_cli(entry)
    assert withheld.returncode == 0 and "WITHHELD" in withheld.stderr and "opening" in withheld.stderr
    assert published["salt"] not in (export.dir / "entries.jsonl").read_text()  # published at the opening only
    replayed = _draw_cli(entry, json.dumps(published))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    result = json.loads(replayed.stdout)
    assert result["matches"] and result["selected"] == [i.organisation_id for i in services.invitees(invited)]


def test_a_steered_invitee_draw_is_refused_once_its_candidates_are_published(exported, tmp_path):
    export, published = exported

    def edit(bodies):
        after = bodies[find(export, "invitees.draw")]["after"]
        after["order"] = after["order"][1:] + after["order"][:1]
        after["selected"] = after["order"][:after["count"]]

    where, _pub = forge(export, tmp_path / "steered", edit)
    entry = (where / "entries.jsonl").read_bytes().split(b"\n")[find(export, "invitees.draw")].decode()
    done = _draw_cli(entry, json.dumps(published))
    assert done.returncode == 1 and "MISMATCH" in done.stderr, done.stdout + done.stderr


@pytest.mark.parametrize("field,value", [("candidates", None), ("salt_commitment", "00" * 32)])
def test_a_draw_on_other_candidates_or_secret_than_fixed_is_refused_before_the_opening(exported, tmp_path, field,
                                                                                      value):
    """The pseudonyms and the secret's commitment bind the draw to the round as fixed: a candidate or a secret
    swapped in after the fixing shows."""
    export, _published = exported

    def edit(bodies):
        after = bodies[find(export, "invitees.draw")]["after"]
        after[field] = value if value is not None else after["candidates"][:-1] + ["anon:0000000000000000"]

    where, pub = forge(export, tmp_path / field, edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not use the candidates and count (and secret) fixed" in done.stdout, done.stdout
