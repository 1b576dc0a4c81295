"""Offline sealer: python -m bidding.seal --key KEY --trade REF --bidder CODE --version N
--price 4815000.00 [--field name=value ...] [--file path ...] -o bid.prsb
[--submit https://PLATFORM/api/v1/trades/ID/bids --token-file TOKEN]

With --submit it also uploads the envelope with its Content-Digest (RFC 9530), as the bid page
does, and keeps the signed receipt beside it (bid.prsb.receipt.json).

Why an offline tool: O20 lets bids be prepared offline; with this a bidder seals on their own
machine and uploads only the envelope, exactly as the in-browser sealer does (same format).
The output is written to a temporary file beside the target and renamed at the end, so a
failure never leaves a half-written envelope that looks finished.
"""
from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from bidding.crypto.envelope import (DEFAULT_CHUNK, MAX_CHUNK, MIN_CHUNK, BidFormatError, encode_bid,
                                     fingerprint_hex, load_public_key, seal, validate_price)
from bidding.crypto.records import bid_size


class UsageError(ValueError):
    """A bad command line value, reported as `error: ...` with exit status 1."""


def _key(spec: str):
    path = Path(spec)
    try:
        text = path.read_bytes() if path.is_file() else spec.encode()
        return load_public_key(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--key: not a P-256 opening public key (PEM, or hex of its point): {exc}")


def _form(price: str, fields: list[str]) -> dict[str, str]:
    try:
        validate_price(price)
    except BidFormatError as exc:
        raise UsageError(f"--price: {exc.message}") from None
    form = {"price": price}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--field {item!r}: expected name=value")
        if name in form:
            raise UsageError(f"--field {name!r} is given twice (the price goes in --price)")
        form[name] = value
    return form


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bidding.seal",
                                     description="Seal a bid for upload (docs/sealed-bid-format.md).")
    parser.add_argument("--key", required=True,
                        help="the trade's opening public key: a PEM file, or hex of the SEC1 point")
    parser.add_argument("--trade", required=True, help="trade reference, e.g. GC-2026-0001")
    parser.add_argument("--bidder", required=True, help="your unified social credit code")
    parser.add_argument("--version", required=True, type=int,
                        help="bid version: 1 for the first bid, +1 for each replacement")
    parser.add_argument("--price", required=True, help="price in yuan, e.g. 4815000.00")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                        help="another declared figure, e.g. duration_days=360 (repeatable)")
    parser.add_argument("--file", action="append", default=[], metavar="PATH",
                        help="a file to attach (repeatable)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK, help=argparse.SUPPRESS)
    parser.add_argument("--expect-fingerprint", metavar="HEX",
                        help="refuse to seal unless the key's SHA-256 fingerprint is this one (copy it from "
                             "the published notice, so a swapped key is caught before sealing)")
    parser.add_argument("-o", "--output", required=True, help="the envelope to write (.prsb)")
    parser.add_argument("--submit", metavar="URL",
                        help="then upload it: the trade's bids endpoint, https://.../api/v1/trades/ID/bids")
    parser.add_argument("--token-file", metavar="PATH",
                        help="with --submit: a file holding your API bearer token (POST /api/v1/tokens)")
    return parser


def run(args: argparse.Namespace) -> str:
    """Seal as the arguments say; returns the summary line printed on success."""
    key = _key(args.key)
    expected = (args.expect_fingerprint or "").strip().lower().replace(" ", "").replace(":", "")
    if expected and not hmac.compare_digest(expected, fingerprint_hex(key)):
        raise UsageError(f"the key's fingerprint is {fingerprint_hex(key)}, not the expected {expected}: "
                         "do not seal to this key; compare it with the published notice")
    if args.version < 1:
        raise UsageError("--version must be 1 or more")
    if not MIN_CHUNK <= args.chunk_size <= MAX_CHUNK:
        raise UsageError(f"--chunk-size must be from {MIN_CHUNK} to {MAX_CHUNK}")
    form = _form(args.price, args.field)
    files = []
    names = set()
    for name in args.file:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--file {name}: no such file")
        if path.name in names:
            raise UsageError(f"--file {name}: another attached file has the same name")
        names.add(path.name)
        files.append((path.name, path))
    if args.submit and not args.token_file:
        raise UsageError("--submit needs --token-file")
    out_path = Path(args.output)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent or Path("."), prefix=".sealing-")
    try:
        with os.fdopen(fd, "wb") as out:
            header = seal(encode_bid(form, files), public_key=key, trade_ref=args.trade,
                          bidder_id=args.bidder, version=args.version,
                          chunk_size=args.chunk_size, out=out, plaintext_size=bid_size(form, files))
        os.replace(tmp, out_path)
    except BaseException:
        os.unlink(tmp)
        raise
    digest = f"sha-256=:{base64.b64encode(header.sha256 or b'').decode()}:"
    summary = (f"sealed {out_path} ({header.size} bytes) for trade {args.trade}, bidder "
               f"{args.bidder}, version {args.version}\nopening key fingerprint {fingerprint_hex(key)}"
               f"\nenvelope sha256 {header.sha256.hex() if header.sha256 else '?'}\nContent-Digest: {digest}")
    if args.submit:
        summary += "\n" + submit(out_path, digest, args.submit, Path(args.token_file))
    return summary


def config_dir() -> Path:
    """The user's config directory for the sealer (XDG_CONFIG_HOME, %APPDATA%, else ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or (os.environ.get("APPDATA") if os.name == "nt" else None)
    return Path(base) if base else Path.home() / ".config"


def device_id() -> str | None:
    """The sealer's device id: a random id kept in the user's config dir and sent with each upload
    (X-Sealer-Device), as the browser sealer keeps one in localStorage (docs/collusion.md). None when
    the file can be neither read nor written."""
    import uuid

    path = config_dir() / "prt-sealer" / "device-id"
    try:
        value = path.read_text(encoding="ascii").strip()
        if 8 <= len(value) <= 64 and value.replace("-", "").isalnum():
            return value
    except (OSError, UnicodeDecodeError):
        pass
    value = str(uuid.uuid4())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n", encoding="ascii")
    except OSError:
        return None
    return value


def submit(path: Path, digest: str, url: str, token_file: Path) -> str:
    """POST the envelope with its Content-Digest; keep the receipt beside it. Returns a summary line."""
    try:
        token = token_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"--token-file: {exc}") from None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
               "Content-Length": str(path.stat().st_size), "Content-Digest": digest, "Accept": "application/json"}
    device = device_id()
    if device:
        headers["X-Sealer-Device"] = device
    with path.open("rb") as body:
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                reason = json.loads(exc.read()).get("message", "")
            except ValueError:
                reason = ""
            raise UsageError(f"the platform refused the envelope (HTTP {exc.code}): {reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise UsageError(f"could not upload: {exc}; the envelope is kept in {path}, send it again "
                             "(the platform answers a resent stored envelope with the same receipt)") from None
    receipt_path = path.with_name(path.name + ".receipt.json")
    receipt_path.write_text(json.dumps(answer["receipt"], sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False) + "\n", encoding="utf-8")
    return (f"submitted: version {answer['version']} received {answer['receipt']['received_at']}; "
            f"receipt saved to {receipt_path}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(run(args))
    except (UsageError, BidFormatError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
