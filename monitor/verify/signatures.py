"""People's signatures in an export, checked offline: every signed act in signatures.jsonl against the
published keys in signing-keys.json, and both against the log (docs/signatures.md).

For each signed row (an opening-record signature, a sign-off, a countersignature):
  * it must carry a statement and a signature (a row without one is reported: missing);
  * the statement must be canonical JSON naming the row's signer and the key, and that key must be
    theirs in signing-keys.json and valid at the statement's time (not yet revoked or replaced);
  * the ECDSA P-256 signature must verify over the statement's exact bytes with that key;
  * the log must have recorded that very statement (its SHA-256) and signature when the act was made,
    so a signature changed in the database afterwards is reported, and so is a signed act the log
    recorded but the export no longer holds (deleted).
Each published key must have been logged when it was registered, for the person it names.

Standard library and `cryptography` only (like the rest of monitor.verify); the canonical form is a
deliberate copy of trading.canonical.canonical_json (tests/trading/test_canonical.py compares them).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from monitor.verify.report import Finding, Report, Unusable

FORMAT = "trading-signature/1"


def canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_p256(der: bytes, message: bytes, signature: bytes) -> bool:
    """ECDSA P-256 / SHA-256, the signature as r || s (64 bytes)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if len(signature) != 64:
        return False
    try:
        key = serialization.load_der_public_key(der)
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            return False
        der_sig = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der_sig, message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def _time(text) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def read_keys(path: Path, report: Report) -> dict[str, dict]:
    """signing-keys.json: fingerprint -> key; a key whose fingerprint is not its DER's SHA-256 is refused."""
    if not path.is_file():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise Unusable(f"{path.name}: not valid JSON") from None
    keys = {}
    for row in rows if isinstance(rows, list) else []:
        try:
            der = base64.b64decode(row["public_key"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error):
            report.findings.append(Finding("signing-key", f"{path.name}: an entry without a readable public key"))
            continue
        fp = hashlib.sha256(der).hexdigest()
        if row.get("fingerprint") != fp:
            report.findings.append(Finding("signing-key", f"{path.name}: key {row.get('fingerprint')} is not the "
                                                          f"fingerprint of its public key ({fp}): altered"))
            continue
        keys[fp] = dict(row, der=der)
    return keys


def _statement_sha(value) -> str | None:
    if isinstance(value, str):
        return hashlib.sha256(value.encode("utf-8")).hexdigest()
    if isinstance(value, dict) and isinstance(value.get("sha256"), str):
        return value["sha256"]  # a long statement is logged as its digest
    return None


def logged(entries: Path) -> tuple[dict[tuple[str, str], int], dict[str, tuple[int, int]]]:
    """From the log: (statement SHA-256, signature hex) -> entry index of each signed act, and
    fingerprint -> (user id, entry index) of each registered key."""
    acts: dict[tuple[str, str], int] = {}
    keys: dict[str, tuple[int, int]] = {}
    with entries.open("rb") as fh:
        for index, line in enumerate(fh):
            if b'"statement' not in line and b'"signing_keys.insert"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            after = entry.get("after") if isinstance(entry, dict) else None
            if not isinstance(after, dict):
                continue
            action = entry.get("action")
            if action == "signing_keys.insert" and isinstance(after.get("fingerprint"), str):
                keys[after["fingerprint"]] = (after.get("user_id"), index)
                continue
            found = []
            if isinstance(after.get("statement_sha256"), str):  # signoff.<stage>
                found.append((after["statement_sha256"], after.get("signature")))
            if isinstance(after.get("countersignature"), dict):  # audit.countersign
                cs = after["countersignature"]
                found.append((cs.get("statement_sha256"), cs.get("signature")))
            if "statement" in after and "signature" in after and str(action).endswith(".insert"):  # the row itself
                found.append((_statement_sha(after["statement"]), after["signature"]))
            for sha, sig in found:
                if isinstance(sha, str) and isinstance(sig, str):
                    acts.setdefault((sha, sig), index)
    return acts, keys


def check(root: Path, entries: Path, report: Report, entries_bad: bool, pinned: list[str] | None = None) -> None:
    """Check every signed act of the export; append findings to `report`. `pinned`: fingerprints a signer
    knows to be all of their own keys (--signer)."""
    keys = read_keys(root / "signing-keys.json", report)
    if pinned:
        _check_pinned(keys, [p.strip().lower() for p in pinned], report)
    path = root / "signatures.jsonl"
    rows = []
    if path.is_file():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                report.findings.append(Finding("signature", f"signatures.jsonl line {number}: not valid JSON"))
    acts, logged_keys = logged(entries)
    seen: set[tuple[str, str]] = set()
    good = 0
    for row in rows:
        ok, pair = _check_row(row, keys, acts, report, entries_bad)
        good += ok
        if pair is not None:
            seen.add(pair)
    if not entries_bad:
        for pair, index in sorted(acts.items(), key=lambda item: item[1]):
            if pair not in seen:
                report.findings.append(Finding("signature", f"entry {index} records a signed act (statement "
                                                            f"{pair[0][:16]}…) that signatures.jsonl does not hold: "
                                                            "the signed row was deleted or its signature replaced"))
        for fp, key in keys.items():
            if logged_keys.get(fp, (None,))[0] != key.get("user_id"):
                report.findings.append(Finding("signing-key", f"signing-keys.json: key {fp[:16]}… of user "
                                                              f"{key.get('user_id')} was never registered in the log"))
    report.say(f"Signatures: {len(rows)} signed acts, {good} verified against {len(keys)} published keys and the log")


def _check_row(row, keys: dict, acts: dict, report: Report, entries_bad: bool) -> tuple[bool, tuple | None]:
    if not isinstance(row, dict):
        report.findings.append(Finding("signature", "signatures.jsonl: a line that is not an object"))
        return False, None
    label = f"{row.get('table')} row {row.get('id')} (user {row.get('user_id')})"
    statement, signature = row.get("statement"), row.get("signature")
    if not statement or not signature:
        report.findings.append(Finding("signature", f"{label}: no signature: the act was stored without the "
                                                    "signer's own signature (missing)"))
        return False, None
    try:
        sig = base64.b64decode(signature, validate=True)
        obj = json.loads(statement)
    except (ValueError, TypeError, binascii.Error):
        report.findings.append(Finding("signature", f"{label}: the statement or signature cannot be read"))
        return False, None
    pair = (hashlib.sha256(statement.encode("utf-8")).hexdigest(), sig.hex())
    signer = obj.get("signer") if isinstance(obj, dict) else None
    problem = None
    if not isinstance(obj, dict) or canonical(obj) != statement.encode("utf-8") or obj.get("format") != FORMAT:
        problem = "the statement is not a canonical trading-signature/1 statement"
    elif not isinstance(signer, dict) or signer.get("user_id") != row.get("user_id") or signer.get("key") != row.get("key"):
        problem = "the statement names another signer or key than the row"
    elif signer.get("key") not in keys or keys[signer["key"]].get("user_id") != row.get("user_id"):
        problem = f"key {str(signer.get('key'))[:16]}… is not a published key of this user"
    else:
        key, at = keys[signer["key"]], _time(obj.get("at"))
        ends = [t for t in (_time(key.get("valid_until")), _time(key.get("revoked_at"))) if t is not None]
        if at is None or at < (_time(key.get("valid_from")) or at) or any(at >= t for t in ends):
            problem = f"the key was not valid at {obj.get('at')} (from {key.get('valid_from')}, until " \
                      f"{key.get('valid_until')}, revoked {key.get('revoked_at')})"
        elif not verify_p256(key["der"], statement.encode("utf-8"), sig):
            problem = f"the signature does not verify with key {signer['key'][:16]}…: forged or altered"
    if problem is None and not entries_bad and pair not in acts:
        problem = "the log did not record this statement and signature when the act was made: altered since"
    if problem is not None:
        report.findings.append(Finding("signature", f"{label}: {problem}"))
        return False, pair
    return True, pair


def _check_pinned(keys: dict, pinned: list[str], report: Report) -> None:
    """A supervisor pins their own keys: each must be published, and no other key may be listed in their name
    (a key the platform registered for them would let it sign as them)."""
    owners = set()
    for fp in pinned:
        if fp not in keys:
            report.findings.append(Finding("signing-key", f"the pinned key {fp[:16]}… is not in signing-keys.json"))
        else:
            owners.add(keys[fp].get("user_id"))
    for fp, key in keys.items():
        if key.get("user_id") in owners and fp not in pinned:
            report.findings.append(Finding("signing-key", f"signing-keys.json lists key {fp[:16]}… under user "
                                                          f"{key.get('user_id')}, which was not pinned with --signer: "
                                                          "a key that person did not make was published in their name"))
    report.say(f"Pinned signing keys: {len(pinned)} given, of user(s) {sorted(o for o in owners if o is not None)}")
