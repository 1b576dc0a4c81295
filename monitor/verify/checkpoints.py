"""The export's files read into checks: the platform key (pinned or carried), checkpoints.jsonl, and the
checks on the checkpoints themselves (signatures, consistency proofs, countersignature entries)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path

from monitor.audit import merkle
from monitor.verify.report import Finding, Report, Unusable
from monitor.verify.tree import lines_at


class Key:
    def __init__(self, raw: bytes, key_id: str, source: str) -> None:
        self.raw, self.key_id, self.source = raw, key_id, source

    def verifier(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return Ed25519PublicKey.from_public_bytes(self.raw)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).digest()[:16].hex()


def _raw_key(text: str, where: str) -> bytes:
    """A raw 32-byte Ed25519 key from base64 text, the JSON of GET /api/v1/audit/key, or a PEM."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise Unusable(f"{where}: not valid JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("public_key"), str):
            raise Unusable(f"{where}: expected a JSON object with \"public_key\" (GET /api/v1/audit/key)")
        if data.get("alg", "Ed25519") != "Ed25519":
            raise Unusable(f"{where}: the key is {data.get('alg')!r}, not Ed25519")
        text = data["public_key"].strip()
    elif text.startswith("-----BEGIN"):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise Unusable(f"{where}: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise Unusable(f"{where}: the PEM key is not Ed25519")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Unusable(f"{where}: not base64") from None
    if len(raw) != 32:
        raise Unusable(f"{where}: an Ed25519 public key is 32 bytes, this is {len(raw)}")
    return raw


def pinned_key(value: str) -> Key:
    """--key: base64 text, or a file holding base64, the JSON of GET /api/v1/audit/key, or a PEM."""
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        raw = _raw_key(path.read_text(encoding="utf-8", errors="replace"), f"--key {value}")
        return Key(raw, key_id(raw), f"pinned with --key (file {value})")
    raw = _raw_key(value, "--key")
    return Key(raw, key_id(raw), "pinned with --key")


def _json_file(path: Path) -> object:
    if not path.is_file():
        raise Unusable(f"{path.name} is missing from the export")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unusable(f"{path.name} is not valid JSON ({exc})") from None


class Checkpoint:
    """One line of checkpoints.jsonl; `line` is 1-based, `signed` says the signature verified."""

    def __init__(self, *, line: int, id: object, size: int, root: bytes, at: str, body: bytes, signature: bytes,
                 consistency: list[bytes], countersignatures: list) -> None:
        self.line, self.id, self.size, self.root, self.at = line, id, size, root, at
        self.body, self.signature, self.consistency, self.countersignatures = body, signature, consistency, \
            countersignatures
        self.signed = False

    def name(self) -> str:
        return f"checkpoint {self.id} (line {self.line} of checkpoints.jsonl, size {self.size})"



def _load_checkpoints(path: Path, report: Report) -> list[Checkpoint]:
    if not path.is_file():
        raise Unusable("checkpoints.jsonl is missing from the export")
    out = []
    for n, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            body = row["body"].encode("utf-8")
            signed = json.loads(body)
            cp = Checkpoint(line=n, id=row.get("id"), size=int(signed["size"]), root=bytes.fromhex(signed["root"]),
                            at=str(signed.get("at")), body=body, signature=base64.b64decode(row["signature"]),
                            consistency=[bytes.fromhex(h) for h in row.get("consistency") or []],
                            countersignatures=list(row.get("countersignatures") or []))
            if cp.size < 0 or len(cp.root) != 32:
                raise ValueError("size or root out of range")
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            report.findings.append(Finding("checkpoint", f"line {n} of checkpoints.jsonl is not a readable checkpoint "
                                                         f"({type(exc).__name__}: {exc}); the file was altered"))
            continue
        # the unsigned copies beside the body must say what the body says
        if row.get("size") is not None and row.get("size") != cp.size or \
                row.get("root") is not None and row.get("root") != cp.root.hex():
            report.findings.append(Finding("checkpoint", f"{cp.name()}: its size or root beside the body differs "
                                                         "from the signed body; the file was altered"))
        out.append(cp)
    return out


def _check_signatures(cps: list[Checkpoint], key: Key, origin: str | None, report: Report) -> None:
    from cryptography.exceptions import InvalidSignature

    verifier = key.verifier()
    for cp in cps:
        try:
            verifier.verify(cp.signature, cp.body)
        except InvalidSignature:
            whose = "the pinned" if key.source.startswith("pinned") else "the export's"
            report.findings.append(Finding("checkpoint", f"{cp.name()}: the Ed25519 signature does not verify with "
                                                         f"{whose} key {key.key_id}"))
            continue
        signed = json.loads(cp.body)
        cp.signed = True
        if signed.get("key_id") != key.key_id:
            report.findings.append(Finding("checkpoint", f"{cp.name()}: signed, but its body names key "
                                                         f"{signed.get('key_id')}, not {key.key_id}"))
        if origin is not None and signed.get("origin") != origin:
            report.findings.append(Finding("checkpoint", f"{cp.name()}: signed for log {signed.get('origin')!r}, "
                                                         f"not {origin!r}"))


def _check_consistency(cps: list[Checkpoint], report: Report) -> int:
    """Each checkpoint extends the one before it: sizes never shrink, and each proof verifies."""
    checked, previous = 0, None
    for cp in cps:
        if previous is not None and previous.size > 0:
            if cp.size < previous.size:
                report.findings.append(Finding("consistency", f"{cp.name()}: smaller than the checkpoint before it "
                                                              f"(size {previous.size}): the log cannot shrink"))
            elif cp.size == previous.size:
                if cp.root != previous.root:
                    report.findings.append(Finding("consistency", f"{cp.name()}: same size as the checkpoint before "
                                                                  "it but a different root: the log was rewritten"))
            elif not merkle.verify_consistency(previous.size, cp.size, previous.root, cp.root, cp.consistency):
                report.findings.append(Finding("consistency", f"{cp.name()}: the consistency proof from size "
                                                              f"{previous.size} does not verify"))
            else:
                checked += 1
        if cp.size > 0:
            previous = cp
    return checked


def _check_countersignatures(cps: list[Checkpoint], path: Path, n: int, report: Report, entries_bad: bool) -> None:
    wanted = {}
    for cp in cps:
        for cs in cp.countersignatures:
            index = cs.get("entry") if isinstance(cs, dict) else None
            if not isinstance(index, int) or not 0 <= index < n:
                report.findings.append(Finding("countersignature", f"{cp.name()}: a countersignature by "
                                                                   f"{cs.get('user') if isinstance(cs, dict) else cs!r} "
                                                                   "cites no entry of the log"))
                continue
            wanted.setdefault(index, []).append((cp, cs))
    if not wanted:
        report.say("Countersignatures: none")
        return
    found = lines_at(path, set(wanted))
    count = 0
    for index, pairs in sorted(wanted.items()):
        try:
            entry = json.loads(found[index])
        except (KeyError, ValueError):
            entry = None
        for cp, cs in pairs:
            count += 1
            ok = isinstance(entry, dict) and entry.get("action") == "audit.countersign" \
                and entry.get("object") == {"type": "checkpoint", "id": cp.id} \
                and isinstance(entry.get("after"), dict) and entry["after"].get("size") == cp.size \
                and entry["after"].get("root") == cp.root.hex() \
                and (cs.get("user_id") is None or (entry.get("actor") or {}).get("id") == cs.get("user_id"))
            if not ok and not entries_bad:
                report.findings.append(Finding("countersignature", f"{cp.name()}: entry {index}, cited for the "
                                                                   f"countersignature by {cs.get('user')}, does not "
                                                                   "record that supervisor countersigning this size "
                                                                   "and root"))
    report.say(f"Countersignatures: {count}, each checked against the entry that records it")
