"""Offline verification of an audit-log export: `python -m monitor.verify EXPORT_DIR [--key KEY]`.

Needs only the standard library, `monitor.audit.merkle` and `cryptography` (importing `monitor` imports
no Flask), so a supervisor can run it on their own machine against a copy of the export.

What it checks (docs/audit-log.md):
  * every checkpoint's Ed25519 signature over its exact body bytes, with the pinned key (--key)
    or, with a warning, the key the export carries;
  * every consistency proof between consecutive checkpoints (RFC 9162 §2.1.4.2);
  * every leaf hash, recomputed from the exact bytes of each line of entries.jsonl, and the tree
    root at every checkpoint size, compared with the signed root;
  * that each countersignature is recorded by an entry naming the checkpoint's size and root;
  * every draw of social supervisors and every replacement, replayed from the log (draws.py,
    docs/draws.md): fixed before its beacon, the beacon a signed checkpoint, reveals after it;
  * every person's signature (opening records, sign-offs, countersignatures) against their published
    key and the log (signatures.py, docs/signatures.md): forged, altered or missing ones fail.

The fast path hashes lines and tree levels without parsing any JSON. Only when a signed root does
not match does it parse entries, to say which entry is the first bad one and what happened to it
(edited, deleted, inserted, reordered): each entry carries its `index` and the leaf hash of the one
before it (`prev`), which point at a suspect; the suspect is then confirmed against the signed roots
by rebuilding the log as it must have been, so the verdict rests on the signatures, not on fields an
attacker could rewrite.

Exit status: 0 intact, 1 tampered (or not verifiable as signed), 2 unusable input.
With monitor/audit/merkle.py, the monitor/verify package is all a supervisor copies to verify offline:
tree.py recomputes the tree, checkpoints.py reads the key and checks the checkpoints, localise.py
names the first bad entry, draws.py replays the draws, report.py holds the findings; this module runs them in order.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
from pathlib import Path

from monitor.verify.checkpoints import (Checkpoint, Key, _check_consistency, _check_countersignatures,
                                        _check_signatures, _json_file, _load_checkpoints, _raw_key, key_id,
                                        pinned_key)
from monitor.verify import draws
from monitor.verify.localise import Localiser
from monitor.verify.report import KINDS, Finding, Report, Unusable
from monitor.verify.signatures import check as check_signatures
from monitor.verify.tree import (Tree, build_tree, decomposition, fold, hash_entries, hash_lines, lines_at,
                                 read_lines, root_from_levels, roots_at, tree_levels)

__all__ = ["FORMAT", "Checkpoint", "Finding", "KINDS", "Key", "Localiser", "Report", "Tree", "Unusable",
           "build_tree", "decomposition", "fold", "hash_lines", "key_id", "lines_at", "main", "pinned_key",
           "read_lines", "root_from_levels", "roots_at", "tree_levels", "verify"]

FORMAT = "trading-audit-export/1"


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def pinned_checkpoint(value: str) -> tuple[int, bytes, dict | None]:
    """--checkpoint: SIZE:ROOT (hex), or a file with the JSON of GET /api/v1/audit/checkpoints/latest."""
    path = Path(value)
    if len(value) < 4096 and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return int(data["size"]), bytes.fromhex(data["root"]), data
        except (ValueError, KeyError, TypeError) as exc:
            raise Unusable(f"--checkpoint {value}: not a checkpoint ({type(exc).__name__}: {exc})") from None
    size, _, root = value.partition(":")
    try:
        raw = bytes.fromhex(root)
        if len(raw) != 32 or int(size) < 1:
            raise ValueError
        return int(size), raw, None
    except ValueError:
        raise Unusable("--checkpoint: give SIZE:ROOT (64 hex digits) or a file from "
                       "GET /api/v1/audit/checkpoints/latest") from None


def verify(directory: str | Path, key: str | None = None, jobs: int = 1, checkpoint: str | None = None,
           signers: list[str] | None = None) -> Report:
    """Verify the export in `directory`; the report's lines say what was checked and what failed.

    `jobs` > 1 hashes a large log in that many processes (where the platform can fork); `checkpoint`
    pins a checkpoint seen before (SIZE:ROOT or a file), which the export must contain; `signers` pins
    signing-key fingerprints that are all of their owner's keys."""
    report = Report()
    try:
        _verify(Path(directory), key, report, jobs, checkpoint, signers)
    except Unusable as exc:
        report.unusable = str(exc)
        report.say(f"UNUSABLE: {exc}")
    return report


def _verify(root: Path, key_arg: str | None, report: Report, jobs: int, checkpoint_arg: str | None = None,
            signers: list[str] | None = None) -> None:
    if not root.is_dir():
        raise Unusable(f"{root} is not a directory (unzip the export first)")
    manifest = _json_file(root / "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Unusable(f"manifest.json does not describe a {FORMAT} export")
    origin = manifest.get("origin")
    report.say(f"Export {root} ({FORMAT}), log {origin!r}, exported {manifest.get('exported_at')}")

    pinned = pinned_key(key_arg) if key_arg is not None else None
    pinned_cp = pinned_checkpoint(checkpoint_arg) if checkpoint_arg is not None else None
    try:
        data = _json_file(root / "platform-key.json")
        exported = Key(_raw_key(json.dumps(data), "platform-key.json"), "", "carried by the export")
        exported.key_id = key_id(exported.raw)
        if isinstance(data, dict) and data.get("key_id") not in (None, exported.key_id):
            report.findings.append(Finding("key", f"platform-key.json: its key_id {data.get('key_id')} is not the "
                                                  f"key's ({exported.key_id}); the file was altered"))
    except Unusable as exc:
        if pinned is None:
            raise
        exported = None
        report.findings.append(Finding("key", f"{exc}; the export's key file was altered"))
    if pinned is not None:
        trusted = pinned
        report.say(f"Key: Ed25519 {trusted.key_id}, {trusted.source}")
        if exported is not None and exported.raw != pinned.raw:
            report.findings.append(Finding("key", f"platform-key.json holds key {exported.key_id}, not the pinned key "
                                                  f"{pinned.key_id}: the export's key was replaced"))
    else:
        trusted = exported
        report.say(f"Key: Ed25519 {trusted.key_id}, {trusted.source}")
        report.say("WARNING: no --key given, so the key inside the export is trusted; anyone able to rewrite the "
                   "export could re-sign it. Pin the platform's key: --key <public_key from GET /api/v1/audit/key>")

    cps = _load_checkpoints(root / "checkpoints.jsonl", report)
    _check_signatures(cps, trusted, origin if isinstance(origin, str) else None, report)
    signed = [cp for cp in cps if cp.signed]
    proofs = _check_consistency(signed, report)
    report.say(f"Checkpoints: {len(cps)} read, {len(signed)} with a valid signature, {proofs} consistency "
               "proofs verified")
    if not signed:
        report.findings.append(Finding("checkpoint", "no checkpoint carries a valid signature: nothing in the "
                                                     "export is vouched for by the platform"))

    entries_path = root / "entries.jsonl"
    if not entries_path.is_file():
        raise Unusable("entries.jsonl is missing from the export")
    anchors = {cp.size: cp.root for cp in signed}
    if pinned_cp is not None and pinned_cp[2] is not None and "signature" in pinned_cp[2]:
        from cryptography.exceptions import InvalidSignature

        try:
            trusted.verifier().verify(base64.b64decode(pinned_cp[2]["signature"]), pinned_cp[2]["body"].encode())
        except (InvalidSignature, KeyError, ValueError, TypeError, binascii.Error):
            raise Unusable("--checkpoint: its signature does not verify with the trusted key") from None
    tree = build_tree(entries_path, [*anchors, *([pinned_cp[0]] if pinned_cp else [])], jobs)
    count = report.entries = tree.count
    report.bytes = tree.nbytes
    report.say(f"Entries: {count} lines, {tree.nbytes} bytes; every leaf hash recomputed")

    expected = max((cp.size for cp in cps), default=0)  # what the last checkpoint claims, even unsigned
    mismatched = sorted(s for s in anchors if tree.root(s) != anchors[s])
    if isinstance(manifest.get("entries"), int) and manifest["entries"] != count and not mismatched \
            and count == expected:
        report.findings.append(Finding("manifest", f"manifest.json says {manifest['entries']} entries, the export "
                                                   f"has {count}: the manifest was altered"))
    if mismatched or count != expected:
        leaves, _nbytes = hash_entries(entries_path)
        finding = Localiser(entries_path, leaves, anchors, expected).locate()
        report.findings.append(finding)
        if mismatched:
            report.say(f"Roots: the tree does not give the signed root at {len(mismatched)} of {len(anchors)} "
                       f"checkpoint sizes (first: size {mismatched[0]})")
        else:
            report.say(f"Roots: the export has {count} entries, the last checkpoint covers {expected}")
    elif anchors:
        last = max(anchors)
        report.say(f"Roots: the tree gives the signed root at all {len(anchors)} checkpoint sizes "
                   f"(latest size {last}, root {anchors[last].hex()})")

    if pinned_cp is not None:
        size, pinned_root = pinned_cp[0], pinned_cp[1]
        if tree.root(size) == pinned_root:
            report.say(f"Pinned checkpoint: the export contains it (size {size}, root {pinned_root.hex()})")
        elif size > count:
            report.findings.append(Finding("coverage", f"the export does not reach the pinned checkpoint (size {size}, "
                                                       f"root {pinned_root.hex()}): it holds {count} entries, so "
                                                       "entries were cut off the end"))
        else:
            report.findings.append(Finding("coverage", f"the export does not contain the pinned checkpoint (size "
                                                       f"{size}, root {pinned_root.hex()}): its first {size} entries "
                                                       "are not the ones that were signed"))

    _check_countersignatures(cps, entries_path, count, report, bool(mismatched))
    check_signatures(root, entries_path, report, bool(mismatched) or count != expected, signers)
    if not mismatched and count == expected:  # entries as signed: replay every draw of social supervisors
        draws.check(entries_path, signed, report)

    if report.findings:
        first = report.first_bad_entry
        if first is not None:
            report.say(f"FIRST BAD ENTRY: {first.index} ({first.what}): {first.message}")
        for f in report.findings:
            if f is not first:
                report.say(f"PROBLEM ({f.what}): {f.message}")
        report.say(f"TAMPERED: {len(report.findings)} problem(s); the export does not match what the platform signed")
    else:
        last = signed[-1]
        report.say(f"OK: {count} entries intact, as signed at checkpoint {last.id} (size {last.size}, "
                   f"at {last.at})")


# ---- command line ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the export directory (flask --app wsgi audit export DIR, or the unzipped "
                                       "download from /monitor/audit)")
    parser.add_argument("--key", help="the platform's Ed25519 public key: base64, or a file holding base64, the "
                                      "JSON of GET /api/v1/audit/key, or a PEM (without it the export's own key is "
                                      "trusted, with a warning)")
    parser.add_argument("--checkpoint", help="a checkpoint seen before, which the export must contain: SIZE:ROOT, "
                                             "or a file with the JSON of GET /api/v1/audit/checkpoints/latest "
                                             "(catches an export cut short together with its last checkpoints)")
    parser.add_argument("--signer", action="append", metavar="FINGERPRINT",
                        help="a signing key of yours (repeat for each): the export must list it and no other key in "
                             "your name (see /signing/keys)")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help=f"processes that hash a large log in parallel (default: the CPUs, here {default_jobs()})")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    report = verify(args.export, args.key, args.jobs, args.checkpoint, args.signer)
    sys.stdout.write(report.text())
    sys.stdout.flush()
    return report.status


if __name__ == "__main__":
    sys.exit(main())
