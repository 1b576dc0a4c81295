"""`flask audit export` of a real trade's log, then `python -m monitor.verify` as a subprocess: the intact export
passes; any one entry edited, deleted, inserted or reordered is detected and named (seeded random trials);
tampered checkpoints, proofs, keys, countersignatures and manifests are refused; unusable input exits 2."""
from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from monitor.audit import merkle
from tests.monitor.audit.audit_helpers import add_bidders, keyholding, run_trade  # noqa: F401  (fixture)
from monitor.verify.signatures import logged

ROOT = Path(__file__).resolve().parents[3]
FIRST = re.compile(r"^FIRST BAD ENTRY: (\d+) \((\w+)\)", re.M)
TRIALS_PER_KIND = 50  # x 4 kinds = 200 tampered exports, each verified by a real subprocess


@dataclass
class Export:
    dir: Path
    key: str  # base64 raw public key, as GET /api/v1/audit/key gives it
    key_file: Path  # that endpoint's JSON, saved
    lines: list[bytes]


def verify_cli(directory: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.verify", str(directory), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def exported(db, client, runner, keyholding, make_user, make_org, clock, tmp_path):  # noqa: F811
    add_bidders(keyholding, make_user, make_org)
    run_trade(db, client, runner, keyholding, clock)
    out = tmp_path / "export"
    result = runner.invoke(args=["audit", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "python -m monitor.verify" in result.output
    key = client.get("/api/v1/audit/key").get_json()
    key_file = tmp_path / "audit-key.json"
    key_file.write_text(json.dumps(key))
    lines = (out / "entries.jsonl").read_bytes().split(b"\n")
    assert lines.pop() == b""
    return Export(out, key["public_key"], key_file, lines)


def copy_with(export: Export, where: Path, lines: list[bytes] | None = None, **files: bytes) -> Path:
    shutil.copytree(export.dir, where)
    if lines is not None:
        (where / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    for name, data in files.items():
        (where / name.replace("_", "-").replace("-jsonl", ".jsonl").replace("-json", ".json")).write_bytes(data)
    return where


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# ---- the intact export ---------------------------------------------------------------------------------------

def test_verifier_needs_neither_flask_nor_the_database():
    code = ("import sys, monitor.verify.verifier, monitor.verify.draw; "
            "bad = {'flask', 'sqlalchemy', 'trading', 'flask_sqlalchemy'} & "
            "set(m.split('.')[0] for m in sys.modules); assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


#: what the audit page and docs/audit-log.md tell a supervisor to copy to verify offline
STANDALONE = ("monitor/__init__.py", "monitor/audit/__init__.py", "monitor/audit/merkle.py", "monitor/verify")


def test_the_copied_files_alone_verify_an_export(exported, tmp_path):
    where = tmp_path / "standalone"
    for name in STANDALONE:
        source, target = ROOT / name, where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    # the copy comes first on the path (the current directory), before the project's installed package
    found = subprocess.run([sys.executable, "-c", "import monitor.verify.verifier as v, monitor.audit.merkle as m; "
                            "print(v.__file__); print(m.__file__)"], cwd=where, capture_output=True, text=True)
    assert [Path(x).parent.parent.parent for x in found.stdout.split()] == [where, where], found.stderr
    done = subprocess.run([sys.executable, "-m", "monitor.verify", str(exported.dir), "--key", exported.key],
                          cwd=where, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_intact_export_verifies(exported):
    manifest = json.loads((exported.dir / "manifest.json").read_text())
    checkpoints = [json.loads(x) for x in (exported.dir / "checkpoints.jsonl").read_text().splitlines()]
    assert manifest["format"] == "trading-audit-export/1" and manifest["entries"] == len(exported.lines)
    # checkpoints at the deadline, at the opening, the countersigned one, the scheduled tick (and the export's own)
    reasons = [c["reason"] for c in checkpoints]
    assert {"move:close", "move:start_opening", "move:finish_opening", "schedule"} <= set(reasons), reasons
    assert any(c["countersignatures"] for c in checkpoints)

    for key_arg in (exported.key, str(exported.key_file)):
        done = verify_cli(exported.dir, "--key", key_arg)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"OK: {len(exported.lines)} entries intact" in done.stdout
        assert "pinned with --key" in done.stdout and "WARNING" not in done.stdout
        assert "Countersignatures: 1, each checked" in done.stdout
        assert f"{len(checkpoints)} with a valid signature, {len(checkpoints) - 1} consistency proofs verified" \
            in done.stdout
    # a PEM public key works too; without any key the export's own is trusted, with a warning
    pem = serialization.load_der_public_key(
        b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00" + base64.b64decode(exported.key))
    pem_file = exported.dir.parent / "key.pem"
    pem_file.write_bytes(pem.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert verify_cli(exported.dir, "--key", str(pem_file)).returncode == 0
    done = verify_cli(exported.dir)
    assert done.returncode == 0 and "WARNING: no --key given" in done.stdout


def test_every_entry_chains_to_the_one_before(exported):
    prev = "0" * 64
    for i, line in enumerate(exported.lines):
        entry = json.loads(line)
        assert (entry["index"], entry["prev"]) == (i, prev)
        assert line == canonical(entry)  # the exported bytes are the canonical form that was hashed
        prev = merkle.leaf_hash(line).hex()


# ---- one entry tampered: detected and named ----------------------------------------------------------------

def _edit(rng: random.Random, lines: list[bytes], k: int) -> tuple[list[bytes], int]:
    line = lines[k]
    entry = json.loads(line)
    how = rng.choice(["byte", "time", "actor", "index", "prev"])
    if how == "byte":  # any printable byte, anywhere (the result need not even be JSON)
        pos = rng.randrange(len(line))
        new = rng.choice([c for c in b"abcdefXYZ0123456789{}" if c != line[pos]])
        lines[k] = line[:pos] + bytes([new]) + line[pos + 1:]
    else:
        if how == "time":
            entry["at"] = "2026-01-01T00:00:00.000Z"
        elif how == "actor":
            entry["actor"] = {"id": 999, "username": "someone_else"}
        elif how == "index":
            entry["index"] += rng.choice([-1, 1, 5])
        else:
            entry["prev"] = rng.randbytes(32).hex()
        lines[k] = canonical(entry)
    assert lines[k] != line
    return lines, k


def _delete(rng, lines, k):
    del lines[k]
    return lines, k


def _insert(rng, lines, k):
    """A copy of another entry, or a forged one that claims the right index and prev."""
    forged = json.loads(lines[rng.randrange(len(lines))])
    if rng.random() < 0.5:
        forged.update(index=k, prev=merkle.leaf_hash(lines[k - 1]).hex() if k else "0" * 64,
                      action="trades.update", after={"title": "forged"})
    lines.insert(k, canonical(forged))
    return lines, k


def _reorder(rng, lines, k):
    j = k + 1 if rng.random() < 0.5 else rng.randrange(k + 1, len(lines))
    lines[k], lines[j] = lines[j], lines[k]
    return lines, k


TAMPER = {"edited": _edit, "deleted": _delete, "inserted": _insert, "reordered": _reorder}


def test_randomised_tampering_is_detected_and_named(exported, tmp_path):
    rng = random.Random(20260302)
    n = len(exported.lines)
    trials = []
    for t in range(TRIALS_PER_KIND * len(TAMPER)):
        kind = list(TAMPER)[t % len(TAMPER)]
        # every position may be hit: the first and last entries, and an insertion after the last
        k = rng.randrange(n + 1 if kind == "inserted" else n - 1 if kind == "reordered" else n)
        if t < 4 * len(TAMPER):  # the edges, deterministically
            k = {"edited": [0, n - 1], "deleted": [0, n - 1], "inserted": [0, n], "reordered": [0, n - 2]}[kind][t // 4 % 2]
        lines, k = TAMPER[kind](rng, list(exported.lines), k)
        trials.append((t, kind, k, copy_with(exported, tmp_path / f"t{t}", lines), lines))

    def check(trial):
        t, kind, k, where, lines = trial
        return trial, verify_cli(where, "--key", exported.key)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, trials))
    missed = []
    for (t, kind, k, _where, lines), done in results:
        match = FIRST.search(done.stdout)
        named = (int(match.group(1)), match.group(2)) if match else None
        ok = done.returncode == 1 and named == (k, kind)
        # a copy of the entry just before the insertion point: removing either copy restores the log
        if kind == "inserted" and named == (k - 1, "inserted") and lines[k] == lines[k - 1]:
            ok = done.returncode == 1
        if not ok:
            missed.append((t, kind, k, done.returncode, named, done.stdout[-600:]))
    assert len(results) >= 200
    assert not missed, missed[:5]


def test_each_kind_is_explained_in_plain_english(exported, tmp_path):
    lines = list(exported.lines)
    lines[10] = lines[10].replace(b'"v":1', b'"v":2')
    done = verify_cli(copy_with(exported, tmp_path / "edited", lines), "--key", exported.key)
    assert done.returncode == 1
    assert "FIRST BAD ENTRY: 10 (edited): entry 10 was edited" in done.stdout
    assert "TAMPERED:" in done.stdout.splitlines()[-1]

    lines = list(exported.lines)
    del lines[20]
    done = verify_cli(copy_with(exported, tmp_path / "deleted", lines), "--key", exported.key)
    assert "entry 20 was deleted: line 20 holds entry 21" in done.stdout

    lines = list(exported.lines)
    lines[30], lines[40] = lines[40], lines[30]
    done = verify_cli(copy_with(exported, tmp_path / "reordered", lines), "--key", exported.key)
    assert "entry 30 was reordered: line 30 holds entry 40 and entry 30 is at line 40" in done.stdout


def test_two_changes_still_fail_and_name_the_first_suspect(exported, tmp_path):
    lines = list(exported.lines)
    lines[15] = lines[15].replace(b'"v":1', b'"v":3')
    del lines[50]
    done = verify_cli(copy_with(exported, tmp_path / "two", lines), "--key", exported.key)
    assert done.returncode == 1
    match = FIRST.search(done.stdout)
    assert match and int(match.group(1)) in (15, 16)


def test_a_rewritten_tail_cannot_pass(exported, tmp_path):
    """Editing an entry and rewriting every later entry's prev and index keeps the chain intact: only the
    signed roots catch it, and the verifier says so."""
    lines = list(exported.lines)
    k = len(lines) - 6
    entry = json.loads(lines[k])
    entry["after"] = {"title": "what it never was"}
    lines[k] = canonical(entry)
    assert lines[k] != exported.lines[k]
    for i in range(k + 1, len(lines)):
        e = json.loads(lines[i])
        e["prev"] = merkle.leaf_hash(lines[i - 1]).hex()
        lines[i] = canonical(e)
    done = verify_cli(copy_with(exported, tmp_path / "tail", lines), "--key", exported.key)
    assert done.returncode == 1 and "does not give the signed root" in done.stdout


# ---- checkpoints, proofs, the key, countersignatures, the manifest --------------------------------------------

def _checkpoints(export: Export) -> list[dict]:
    return [json.loads(x) for x in (export.dir / "checkpoints.jsonl").read_text().splitlines()]


def _jsonl(rows: list[dict]) -> bytes:
    return ("\n".join(json.dumps(r, sort_keys=True) for r in rows) + "\n").encode()


def test_a_flipped_signature_bit_is_refused(exported, tmp_path):
    rows = _checkpoints(exported)
    sig = bytearray(base64.b64decode(rows[1]["signature"]))
    sig[5] ^= 1
    rows[1]["signature"] = base64.b64encode(bytes(sig)).decode()
    done = verify_cli(copy_with(exported, tmp_path / "sig", checkpoints_jsonl=_jsonl(rows)), "--key", exported.key)
    assert done.returncode == 1
    assert f"checkpoint {rows[1]['id']} (line 2 of checkpoints.jsonl, size {rows[1]['size']}): the Ed25519 " \
           "signature does not verify" in done.stdout
    assert "FIRST BAD ENTRY" not in done.stdout  # the entries themselves are intact


def test_a_changed_signed_root_is_refused(exported, tmp_path):
    rows = _checkpoints(exported)
    body = json.loads(rows[-1]["body"])
    body["root"] = hashlib.sha256(b"another log").hexdigest()
    rows[-1]["body"] = canonical(body).decode()
    rows[-1]["root"] = body["root"]
    done = verify_cli(copy_with(exported, tmp_path / "root", checkpoints_jsonl=_jsonl(rows)), "--key", exported.key)
    assert done.returncode == 1 and "signature does not verify" in done.stdout


def test_a_tampered_consistency_proof_is_refused(exported, tmp_path):
    rows = _checkpoints(exported)
    i = next(i for i, r in enumerate(rows) if r["consistency"])
    proof = rows[i]["consistency"]
    proof[0] = (bytes([bytes.fromhex(proof[0])[0] ^ 16]) + bytes.fromhex(proof[0])[1:]).hex()
    done = verify_cli(copy_with(exported, tmp_path / "proof", checkpoints_jsonl=_jsonl(rows)), "--key", exported.key)
    assert done.returncode == 1
    assert f"the consistency proof from size {rows[i - 1]['size']} does not verify" in done.stdout


def test_a_deleted_checkpoint_line_still_verifies_what_remains(exported, tmp_path):
    """Checkpoints are witnesses, not the data: dropping one leaves the others' proofs to check (the
    next checkpoint's proof then starts from a size it was not made for)."""
    rows = _checkpoints(exported)
    del rows[1]
    done = verify_cli(copy_with(exported, tmp_path / "dropped", checkpoints_jsonl=_jsonl(rows)), "--key", exported.key)
    assert done.returncode == 1 and "consistency proof from size" in done.stdout


def test_a_replaced_key_is_refused(exported, tmp_path):
    other = Ed25519PrivateKey.generate()
    raw = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    fake = json.dumps({"alg": "Ed25519", "public_key": base64.b64encode(raw).decode(),
                       "key_id": hashlib.sha256(raw).digest()[:16].hex()}).encode()
    # the key swapped alone: every signature fails, pinned or not
    where = copy_with(exported, tmp_path / "swapped", platform_key_json=fake)
    done = verify_cli(where)
    assert done.returncode == 1 and "signature does not verify" in done.stdout
    done = verify_cli(where, "--key", exported.key)
    assert done.returncode == 1 and "not the pinned key" in done.stdout

    # a forger with their own key rewrites an entry, rebuilds every root and re-signs every checkpoint
    lines = list(exported.lines)
    lines[-1] = lines[-1].replace(b'"v":1', b'"v":9')
    leaves = [merkle.leaf_hash(x) for x in lines]
    rows = _checkpoints(exported)
    subtree = merkle.subtree_from_leaves(leaves)
    previous = 0
    for row in rows:
        body = json.loads(row["body"])
        body["root"] = merkle.root_from_leaf_hashes(leaves[:body["size"]]).hex()
        body["key_id"] = hashlib.sha256(raw).digest()[:16].hex()
        row.update(body=canonical(body).decode(), root=body["root"],
                   signature=base64.b64encode(other.sign(canonical(body))).decode(),
                   consistency=[h.hex() for h in merkle.consistency_proof(previous, body["size"], subtree)]
                   if 0 < previous < body["size"] else [])
        previous = body["size"] or previous
    forged = copy_with(exported, tmp_path / "forged", lines, platform_key_json=fake, checkpoints_jsonl=_jsonl(rows))
    done = verify_cli(forged, "--key", exported.key)  # pinned: caught
    assert done.returncode == 1 and "not the pinned key" in done.stdout and "signature does not verify" in done.stdout
    done = verify_cli(forged)  # not pinned: the forgery is self-consistent; the warning is the only defence
    assert done.returncode == 0 and "WARNING: no --key given" in done.stdout


def test_a_countersignature_citing_the_wrong_entry_is_refused(exported, tmp_path):
    rows = _checkpoints(exported)
    row = next(r for r in rows if r["countersignatures"])
    row["countersignatures"][0]["entry"] = 3
    done = verify_cli(copy_with(exported, tmp_path / "cs", checkpoints_jsonl=_jsonl(rows)), "--key", exported.key)
    assert done.returncode == 1 and "entry 3, cited for the countersignature by supervisor" in done.stdout


def test_a_doctored_manifest_is_noticed(exported, tmp_path):
    manifest = json.loads((exported.dir / "manifest.json").read_text())
    manifest["entries"] -= 1
    done = verify_cli(copy_with(exported, tmp_path / "manifest", manifest_json=json.dumps(manifest).encode()),
                      "--key", exported.key)
    assert done.returncode == 1 and "manifest.json says" in done.stdout


def test_a_truncated_export_is_caught_by_a_pinned_checkpoint(exported, tmp_path, client):
    """Dropping the last entries and the checkpoints that cover them leaves a smaller, consistent log; a
    checkpoint the supervisor kept (e.g. the one they countersigned) exposes it."""
    rows = _checkpoints(exported)
    kept = rows[-1]
    short = [dict(r, countersignatures=[]) for r in rows if r["size"] < kept["size"]]
    lines = exported.lines[:short[-1]["size"]]
    manifest = json.loads((exported.dir / "manifest.json").read_text())
    manifest.update(entries=len(lines), checkpoints=len(short))
    # the people's signatures and keys the short log no longer records go too
    (tmp_path / "short.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    acts, keys = logged(tmp_path / "short.jsonl")
    signed = [json.loads(x) for x in (exported.dir / "signatures.jsonl").read_text().splitlines()]
    signed = [r for r in signed if (hashlib.sha256(r["statement"].encode()).hexdigest(),
                                    base64.b64decode(r["signature"]).hex()) in acts]
    published = [k for k in json.loads((exported.dir / "signing-keys.json").read_text()) if k["fingerprint"] in keys]
    where = copy_with(exported, tmp_path / "short", lines, checkpoints_jsonl=_jsonl(short),
                      manifest_json=json.dumps(manifest).encode(), signatures_jsonl=_jsonl(signed),
                      signing_keys_json=json.dumps(published).encode())
    done = verify_cli(where, "--key", exported.key)
    assert done.returncode == 0, done.stdout  # nothing inside says it was longer
    pinned = tmp_path / "checkpoint.json"
    pinned.write_text(json.dumps(client.get("/api/v1/audit/checkpoints/latest").get_json()))
    done = verify_cli(where, "--key", exported.key, "--checkpoint", str(pinned))
    assert done.returncode == 1 and "the export does not reach the pinned checkpoint" in done.stdout
    done = verify_cli(exported.dir, "--key", exported.key, "--checkpoint", str(pinned))
    assert done.returncode == 0 and "Pinned checkpoint: the export contains it" in done.stdout


# ---- unusable input -----------------------------------------------------------------------------------------

def test_unusable_input_exits_2(exported, tmp_path):
    assert verify_cli(tmp_path / "nowhere").returncode == 2
    where = copy_with(exported, tmp_path / "noentries")
    (where / "entries.jsonl").unlink()
    done = verify_cli(where)
    assert done.returncode == 2 and "entries.jsonl is missing" in done.stdout
    where = copy_with(exported, tmp_path / "badmanifest", manifest_json=b"{not json")
    assert verify_cli(where).returncode == 2
    done = verify_cli(exported.dir, "--key", "not-a-key")
    assert done.returncode == 2 and "--key" in done.stdout
    done = verify_cli(exported.dir, "--key", base64.b64encode(b"short").decode())
    assert done.returncode == 2 and "32 bytes" in done.stdout
