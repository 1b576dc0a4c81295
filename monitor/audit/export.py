"""Writes the audit log for offline verification: entries, signed checkpoints, the platform key.

Format `trading-audit-export/1` (docs/audit-log.md): a directory with
  entries.jsonl      line i is exactly the bytes of entry i that were hashed (leaf = SHA-256(0x00 || line))
  checkpoints.jsonl  one signed checkpoint per line, oldest first, each with the consistency proof
                     from the one before it and the supervisors' countersignatures
  platform-key.json  the Ed25519 key that signs checkpoints
  signing-keys.json  the people's published signing keys (GET /api/v1/signing/keys)
  signatures.jsonl   every act a person signed (opening records, sign-offs, countersignatures): the row,
                     its statement and signature, for `verify` to check against signing-keys.json
  manifest.json      counts and the export time
"""
from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.audit import merkle
from monitor.audit import services
from monitor.audit.models import AuditEntry, Checkpoint
from trading.clock import now
from trading.extensions import db
from trading.signing.models import SignedAct
from trading.signing.services import key_json, published_keys

FORMAT = "trading-audit-export/1"


def files() -> dict[str, bytes | list]:
    """Sign a checkpoint covering the whole log if the latest does not, then gather the export's files."""
    size, _root = audit.head()
    last = audit.latest_checkpoint()
    if last is None or last.size != size:
        audit.sign_checkpoint("export")
        db.session.commit()
    checkpoints = db.session.scalars(sa.select(Checkpoint).order_by(Checkpoint.size, Checkpoint.id)).all()
    signed_by = services.countersignatures([cp.id for cp in checkpoints])
    subtree = audit.subtree_reader()
    lines, previous = [], 0
    for cp in checkpoints:
        proof = merkle.consistency_proof(previous, cp.size, subtree) if 0 < previous < cp.size else []
        row = audit.checkpoint_json(cp)
        row.update(consistency=[h.hex() for h in proof], countersignatures=signed_by.get(cp.id, []))
        lines.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
        previous = cp.size or previous
    manifest = {"format": FORMAT, "origin": audit.log_origin(), "entries": checkpoints[-1].size,
                "checkpoints": len(checkpoints), "exported_at": audit.iso(now())}
    signed = signed_acts()
    manifest["signatures"] = len(signed)
    return {"manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n",
            "platform-key.json": json.dumps(audit.public_key_info(), indent=2).encode() + b"\n",
            "signing-keys.json": json.dumps([key_json(k) for k in published_keys()], indent=2,
                                            ensure_ascii=False).encode() + b"\n",
            "signatures.jsonl": "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n"
                                        for r in signed).encode("utf-8"),
            "checkpoints.jsonl": ("\n".join(lines) + "\n").encode("utf-8"),
            "_entries_upto": checkpoints[-1].size}


def signed_acts() -> list[dict]:
    """Every row of every table that holds people's signatures (the models with trading.signing's SignedAct
    columns), as stored: an empty signature stays empty, for `verify` to report."""
    out = []
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.local_table.name):
        cls = mapper.class_
        if not issubclass(cls, SignedAct):
            continue
        for row in db.session.scalars(sa.select(cls).order_by(*mapper.primary_key)):
            out.append({"table": mapper.local_table.name, "id": row.id, "user_id": row.user_id,
                        "statement": row.statement, "key": row.key_fingerprint,
                        "signature": base64.b64encode(bytes(row.signature)).decode() if row.signature else None})
    return out


def entry_lines(upto: int, batch: int = 5000):
    """The entries' exact bytes, in order, one per line."""
    last = -1
    while last + 1 < upto:
        rows = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.body).where(AuditEntry.seq > last,
                                                                                    AuditEntry.seq < upto)
                                  .order_by(AuditEntry.seq).limit(batch)).all()
        if not rows:
            break
        for seq, body in rows:
            yield body.encode("utf-8") + b"\n"
        last = rows[-1].seq


def export(directory: str | Path) -> dict:
    """Write the export into `directory` (created if needed); returns the manifest."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    parts = files()
    upto = parts.pop("_entries_upto")
    with (out / "entries.jsonl").open("wb") as fh:
        for line in entry_lines(upto):
            fh.write(line)
    for name, data in parts.items():
        (out / name).write_bytes(data)
    return json.loads(parts["manifest.json"])


def export_zip_file():
    """The same export as one zip (what the supervisors' page hands out), in a temporary file rewound
    to its start: a large log is written to disk, not held in memory. The caller closes it."""
    import tempfile

    parts = files()
    upto = parts.pop("_entries_upto")
    fh = tempfile.TemporaryFile()
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("audit-export/entries.jsonl", "w", force_zip64=True) as out:
            for line in entry_lines(upto):
                out.write(line)
        for name, data in parts.items():
            zf.writestr(f"audit-export/{name}", data)
    fh.seek(0)
    return fh


def export_zip() -> bytes:
    with export_zip_file() as fh:
        return fh.read()
