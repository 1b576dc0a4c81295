"""Offline key tool for keyholders: python -m bidding.keyholders.cli enrol | open-share | fingerprint | rewrap

It never talks to the platform: it reads and writes files, and prints the JSON body to send
(with the API token, e.g. curl), so the cautious keyholder can run it on a machine that is not
even online and carry the bodies across. Same formats as the browser (docs/key-custody.md).

  enrol --out my.key [--iterations N] [--keep-offline]
      make a key pair here; my.key holds {public_key, wrapped_key, fingerprint}; prints the body
      for POST /api/v1/me/personal-key (without the wrapped key if --keep-offline).
  open-share --material share.json [--key my.key]
      share.json is GET /api/v1/trades/<id>/ceremony/share; prints the body for
      POST /api/v1/trades/<id>/ceremony/shares: {"share": "<hex>"}.
  fingerprint --key my.key      the SHA-256 fingerprint the notice publishes for this key
  rewrap --key old.key --out new.key   the same key under a new passphrase (and as version 2)

The passphrase is asked on the terminal, or read from the first line of --passphrase-file.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from bidding.keyholders import client, keys


class UsageError(ValueError):
    """A bad command line value or input file, reported as `error: ...` with exit status 1."""


def _passphrase(args, *, twice: bool = False, prompt: str = "Passphrase: ") -> str:
    if args.passphrase_file:
        try:
            return Path(args.passphrase_file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            raise UsageError(f"--passphrase-file: cannot read a first line: {exc}") from None
    phrase = getpass.getpass(prompt)
    if twice and getpass.getpass("Passphrase again: ") != phrase:
        raise UsageError("the two passphrases differ")
    return phrase


def _read_key(path: str) -> dict:
    """A key file from `enrol` ({public_key, wrapped_key, ...}), or a wrapped key in hex."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"--key: {exc}") from None
    try:
        data = json.loads(text) if text.startswith("{") else {"wrapped_key": text}
        blob = bytes.fromhex(data["wrapped_key"])
        keys.parse_key_blob(blob)
    except (ValueError, KeyError, TypeError, keys.KeyCustodyError) as exc:
        raise UsageError(f"--key: not a personal key file or wrapped key in hex ({exc})") from None
    return {"wrapped_key": blob, "public_key": keys.personal_public_key(blob)}


def _write_key(path: str, public: bytes, blob: bytes) -> None:
    target = Path(path)
    if target.exists():
        raise UsageError(f"--out: {path} exists; choose another name (a key file is never overwritten)")
    body = {"format": "PRPK personal key (docs/key-custody.md)", "public_key": public.hex(),
            "wrapped_key": blob.hex(), "fingerprint": keys.personal_fingerprint(public)}
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=2)
        out.write("\n")


def cmd_enrol(args, out) -> None:
    phrase = _passphrase(args, twice=True)
    try:
        made = client.enrol(phrase, args.iterations)
    except keys.WeakPassphrase as exc:
        raise UsageError(str(exc)) from None
    _write_key(args.out, made.public_key, made.wrapped_key)
    body = {"public_key": made.public_key.hex()}
    if not args.keep_offline:
        body["wrapped_key"] = made.wrapped_key.hex()
    print(f"fingerprint {made.fingerprint}  (check it on every notice that names you as keyholder)",
          file=sys.stderr)
    print(json.dumps(body), file=out)


def cmd_open_share(args, out) -> None:
    try:
        material = json.loads(Path(args.material).read_text(encoding="utf-8"))
        sealed = bytes.fromhex(material["sealed_share"])
        context = material["context"].encode()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"--material: not the JSON of GET .../ceremony/share ({exc})") from None
    if args.key:
        blob = _read_key(args.key)["wrapped_key"]
    elif material.get("wrapped_key"):
        blob = bytes.fromhex(material["wrapped_key"])
    else:
        raise UsageError("--key is needed: the platform keeps no wrapped key of yours")
    if keys.personal_fingerprint(keys.personal_public_key(blob)) != material.get("holder_fingerprint"):
        raise UsageError("this key is not the one your share was sealed to (its fingerprint differs from the "
                         "published one): do not release; tell the supervisors")
    try:
        share = client.release(blob, _passphrase(args), sealed, context)
    except client.WrongPassphrase:
        raise UsageError("this passphrase does not unlock the personal key") from None
    except keys.KeyCustodyError as exc:
        raise UsageError(exc.message) from None
    parsed = keys.KeyShare.from_bytes(share)
    if parsed.side != material.get("side") or parsed.key_fingerprint.hex() != material.get("opening_key_fingerprint"):
        raise UsageError("the opened share is not a share of this trade's key for your side")
    print(json.dumps({"share": share.hex()}), file=out)


def cmd_fingerprint(args, out) -> None:
    print(keys.personal_fingerprint(_read_key(args.key)["public_key"]), file=out)


def cmd_rewrap(args, out) -> None:
    blob = _read_key(args.key)["wrapped_key"]
    old = _passphrase(args, prompt="Current passphrase: ")
    if args.new_passphrase_file:
        new = Path(args.new_passphrase_file).read_text(encoding="utf-8").splitlines()[0]
    else:
        new = getpass.getpass("New passphrase: ")
        if getpass.getpass("New passphrase again: ") != new:
            raise UsageError("the two new passphrases differ")
    try:
        fresh = client.change_passphrase(blob, old, new, args.iterations)
    except client.WrongPassphrase:
        raise UsageError("the current passphrase does not unlock this key") from None
    except keys.WeakPassphrase as exc:
        raise UsageError(str(exc)) from None
    _write_key(args.out, keys.personal_public_key(fresh), fresh)
    print(json.dumps({"public_key": keys.personal_public_key(fresh).hex(), "wrapped_key": fresh.hex()}), file=out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bidding.keyholders.cli",
                                     description="A keyholder's personal key, on your own machine.")
    parser.add_argument("--passphrase-file", help="read the passphrase from this file's first line")
    sub = parser.add_subparsers(dest="command", required=True)
    enrol = sub.add_parser("enrol", help="make a new personal key")
    enrol.add_argument("--out", required=True, help="key file to create (mode 600)")
    enrol.add_argument("--iterations", type=int, default=client.DEFAULT_ITERATIONS)
    enrol.add_argument("--keep-offline", action="store_true",
                       help="print only the public key to send; keep the wrapped key to yourself")
    enrol.set_defaults(run=cmd_enrol)
    opener = sub.add_parser("open-share", help="open your sealed share at the ceremony")
    opener.add_argument("--material", required=True, help="JSON of GET /api/v1/trades/<id>/ceremony/share")
    opener.add_argument("--key", help="your key file (default: the wrapped key in the material)")
    opener.set_defaults(run=cmd_open_share)
    fp = sub.add_parser("fingerprint", help="print the key's published fingerprint")
    fp.add_argument("--key", required=True)
    fp.set_defaults(run=cmd_fingerprint)
    rewrap = sub.add_parser("rewrap", help="the same key under a new passphrase")
    rewrap.add_argument("--key", required=True)
    rewrap.add_argument("--out", required=True)
    rewrap.add_argument("--new-passphrase-file")
    rewrap.add_argument("--iterations", type=int, default=client.DEFAULT_ITERATIONS)
    rewrap.set_defaults(run=cmd_rewrap)
    return parser


def main(argv: list[str] | None = None, out=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args, out or sys.stdout)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
