"""`python -m monitor.verify` replays every draw of social supervisors in an export: an honest log passes;
a log the platform signed with a steered draw - a seed or pick that does not replay, a beacon that existed
when the round was fixed, a contribution left out, a replacement that skips ahead - is refused, even though
every signature and root is consistent (the forger here holds the signing key)."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from monitor.audit import log as audit
from monitor.audit import merkle
from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import rounds
from monitor.verify import draw as drawing
from tests.monitor.supervisors.supervisor_helpers import registry  # noqa: F401  (fixture)
from tests.monitor.supervisors.test_draw_rounds import A, fixed_trade

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Export:
    dir: Path
    lines: list[bytes]
    rows: list[dict]  # checkpoints.jsonl


def exported_log(runner, out: Path) -> Export:
    """`flask audit export OUT`, as a supervisor runs it, read back: the entries' lines and the checkpoints."""
    result = runner.invoke(args=["audit", "export", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "entries.jsonl").read_bytes().split(b"\n")
    assert lines.pop() == b""
    rows = [json.loads(x) for x in (out / "checkpoints.jsonl").read_text().splitlines()]
    return Export(out, lines, rows)


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify_cli(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.verify", str(directory), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def exported(db, runner, users, make_trade, registry, clock, tmp_path):  # noqa: F811
    """A checkpoint, then a trade whose round takes a contribution (committed, revealed), is drawn, and
    one of its supervisors steps aside and is replaced; exported."""
    audit.sign_checkpoint("manual")  # a checkpoint that existed before the round was fixed
    db.session.commit()
    trade = fixed_trade(db, make_trade, users)
    rounds.commit(users["supervisor"], trade, 1, hashlib.sha256(A).hexdigest())
    db.session.commit()
    clock.freeze(supervisor_draws.pending(trade).commit_until)
    rounds.run_due()
    rounds.reveal(users["supervisor"], trade, 1, A.hex())
    db.session.commit()
    first = supervisor_draws.serving(trade)[0]
    supervisor_draws.recuse(users["decider"], trade, first.id, "利害关系")
    db.session.commit()
    return exported_log(runner, tmp_path / "export")


def find(export: Export, action: str) -> int:
    (index,) = [i for i, line in enumerate(export.lines) if json.loads(line)["action"] == action]
    return index


def forge(export: Export, where: Path, edit) -> tuple[Path, str]:
    """The export with entries changed by `edit(bodies)`, every root rebuilt and every checkpoint re-signed
    with a key of our own (a platform signing its own lie): returns the directory and that key."""
    bodies = [json.loads(x) for x in export.lines]
    edit(bodies)
    lines = [canonical(b) for b in bodies]
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(raw).digest()[:16].hex()
    leaves = [merkle.leaf_hash(x) for x in lines]
    subtree = merkle.subtree_from_leaves(leaves)
    rows, previous = json.loads(json.dumps(export.rows)), 0
    for row in rows:
        body = json.loads(row["body"])
        body.update(root=merkle.root_from_leaf_hashes(leaves[:body["size"]]).hex(), key_id=key_id)
        row.update(body=canonical(body).decode(), root=body["root"], key_id=key_id, countersignatures=[],
                   signature=base64.b64encode(key.sign(canonical(body))).decode(),
                   consistency=[h.hex() for h in merkle.consistency_proof(previous, body["size"], subtree)]
                   if 0 < previous < body["size"] else [])
        previous = body["size"] or previous
    shutil.copytree(export.dir, where)
    (where / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (where / "checkpoints.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    pub = base64.b64encode(raw).decode()
    (where / "platform-key.json").write_text(json.dumps({"alg": "Ed25519", "public_key": pub, "key_id": key_id}))
    return where, pub


def redraw(after: dict) -> None:
    """Recompute seed, order and selection from the entry's own (forged) inputs, so that it replays."""
    revealed = [(c["commitment"], c["reveal"]) for c in after["contributions"] if c["reveal"]]
    material = drawing.seed_material(trade_ref=after["trade"], round_no=after["round"], fixed=after["fixed"],
                                     candidates=after["candidates"], count=after["count"],
                                     beacon_size=after["beacon"]["size"], beacon_root=after["beacon"]["root"],
                                     contributions=revealed)
    after["seed"] = drawing.seed_of(material).hex()
    after["order"] = drawing.order(material, after["candidates"])
    after["selected"] = after["order"][:after["count"]]


def test_an_honest_log_replays_every_draw_and_replacement(exported, client):
    key = client.get("/api/v1/audit/key").get_json()["public_key"]
    done = verify_cli(exported.dir, "--key", key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Draws: 1 draw(s) and 1 replacement(s) replayed from the log" in done.stdout
    # the forging machinery alone changes nothing the draw check sees
    where, pub = forge(exported, exported.dir.parent / "same", lambda bodies: None)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 0, done.stdout


def test_a_seed_that_does_not_replay_is_refused(exported, tmp_path):
    def edit(bodies):
        bodies[find(exported, "supervisors.draw")]["after"]["seed"] = "11" * 32

    where, pub = forge(exported, tmp_path / "seed", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not replay: its logged seed" in done.stdout, done.stdout


def test_a_pick_that_does_not_replay_is_refused(exported, tmp_path):
    def edit(bodies):
        after = bodies[find(exported, "supervisors.draw")]["after"]
        after["selected"] = after["order"][1:1 + after["count"]]

    where, pub = forge(exported, tmp_path / "pick", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not replay: its logged selected" in done.stdout, done.stdout


def test_a_beacon_that_existed_when_the_round_was_fixed_is_refused(exported, tmp_path):
    """The platform draws on a checkpoint it already knew when it fixed the round: the draw replays (seed,
    order and picks are consistent), but its seed was not committed in advance."""
    early = next(r for r in exported.rows if r["reason"] == "manual")

    def edit(bodies):
        beacon = {"id": early["id"], "size": early["size"], "root": early["root"]}
        bodies[find(exported, "supervisors.draw_sealed")]["after"]["beacon"].update(beacon)
        after = bodies[find(exported, "supervisors.draw")]["after"]
        after["beacon"] = beacon
        redraw(after)

    where, pub = forge(exported, tmp_path / "early", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not cover the entry that fixed it" in done.stdout, done.stdout
    assert "does not replay" not in done.stdout


def test_a_contribution_left_out_is_refused(exported, tmp_path):
    def edit(bodies):
        after = bodies[find(exported, "supervisors.draw")]["after"]
        after["contributions"] = []
        redraw(after)

    where, pub = forge(exported, tmp_path / "dropped", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not use exactly the contributions" in done.stdout, done.stdout


def test_a_tampered_commitment_is_refused(exported, tmp_path):
    def edit(bodies):
        bodies[find(exported, "supervisors.draw_commit")]["after"]["commitment"] = "22" * 32

    where, pub = forge(exported, tmp_path / "commitment", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "does not open a commitment made to it" in done.stdout, done.stdout


def test_a_replacement_that_skips_ahead_is_refused(exported, tmp_path):
    def edit(bodies):
        order = bodies[find(exported, "supervisors.draw")]["after"]["order"]
        after = bodies[find(exported, "supervisors.replacement")]["after"]
        after["position"] += 1
        after["supervisor"] = order[after["position"]]

    where, pub = forge(exported, tmp_path / "skip", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "the replacement in round 1" in done.stdout, done.stdout


def test_a_draw_of_the_first_format_is_refused(exported, tmp_path):
    """The old way: a seed from a checkpoint signed in the draw's own transaction, nothing fixed before."""
    def edit(bodies):
        after = bodies[find(exported, "supervisors.draw")]["after"]
        after["v"] = 1
        after["checkpoint"] = after.pop("beacon")
        del after["fixed"]

    where, pub = forge(exported, tmp_path / "v1", edit)
    done = verify_cli(where, "--key", pub)
    assert done.returncode == 1 and "ran on a seed not committed in advance" in done.stdout, done.stdout
