"""`python -m trading.signing keygen|pubkey|sign|register`: a supervisor's signing key, offline.

The same key and signatures as the browser makes (ECDSA P-256, the 64-byte r || s signature over the
statement's exact bytes), for those who would rather not trust the page's script: make the key on a
machine of your own, register its public half, fetch each statement (POST /api/v1/signing/statements),
sign it here and send the signature. See docs/signatures.md.
"""
from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
import urllib.request
from pathlib import Path

from trading.signing import statements as st


def _passphrase(args, confirm: bool = False) -> str | None:
    if args.passphrase_env:
        return os.environ.get(args.passphrase_env) or None
    if not args.ask:
        return None
    first = getpass.getpass("Passphrase for the key file: ")
    if confirm and getpass.getpass("Again: ") != first:
        sys.exit("the two passphrases differ")
    return first or None


def _load(args):
    return st.load_private(Path(args.key).read_bytes(), _passphrase(args))


def keygen(args) -> int:
    out = Path(args.out)
    if out.exists():
        sys.exit(f"{out} exists: not overwriting a key")
    key = st.generate()
    fd = os.open(out, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(st.private_pem(key, _passphrase(args, confirm=True)))
    der = st.public_of(key)
    print(f"private key written to {out} (keep it; the platform never sees it)")
    print(f"public key (register it): {base64.b64encode(der).decode()}")
    print(f"fingerprint: {st.fingerprint(der)}")
    return 0


def pubkey(args) -> int:
    der = st.public_of(_load(args))
    print(json.dumps({"public_key": base64.b64encode(der).decode(), "fingerprint": st.fingerprint(der)}))
    return 0


def sign(args) -> int:
    raw = sys.stdin.buffer.read() if args.statement == "-" else Path(args.statement).read_bytes()
    text = raw.decode("utf-8")
    try:
        obj = json.loads(text)
    except ValueError:
        sys.exit("the statement is not JSON")
    if isinstance(obj, dict) and "statement" in obj and isinstance(obj["statement"], str):
        text = obj["statement"]  # the whole response of POST /api/v1/signing/statements
        obj = json.loads(text)
    key = _load(args)
    fp = st.fingerprint(st.public_of(key))
    if st.encode(obj) != text.encode("utf-8"):
        sys.exit("the statement is not in canonical form: pass the exact string the platform issued")
    if obj.get("signer", {}).get("key") != fp:
        sys.exit(f"the statement names key {obj.get('signer', {}).get('key')}, this key is {fp}")
    print(f"{obj.get('kind')}: {json.dumps(obj.get('subject'), ensure_ascii=False)}; decision {obj.get('decision')}"
          f"{'; dissent: ' + obj['dissent'] if obj.get('dissent') else ''}", file=sys.stderr)
    print(base64.b64encode(st.sign(key, text.encode("utf-8"))).decode())
    return 0


def register(args) -> int:
    der = st.public_of(_load(args))
    request = urllib.request.Request(args.url.rstrip("/") + "/api/v1/signing/keys", method="POST",
                                     data=json.dumps({"public_key": base64.b64encode(der).decode()}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {args.token}"})
    with urllib.request.urlopen(request) as response:  # noqa: S310 (the platform's own URL, given by the user)
        print(response.read().decode())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trading.signing", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn, help_ in (("keygen", keygen, "make a key pair into a new PEM file"),
                            ("pubkey", pubkey, "print the public key and fingerprint of a key file"),
                            ("sign", sign, "sign a statement (a file, or - for standard input)"),
                            ("register", register, "publish the key's public half (API token needed)")):
        p = sub.add_parser(name, help=help_)
        p.set_defaults(fn=fn)
        if name == "keygen":
            p.add_argument("--out", required=True)
        else:
            p.add_argument("--key", required=True, help="the PEM file keygen wrote (or the browser's backup)")
        p.add_argument("--ask", action="store_true", help="ask for a passphrase protecting the key file")
        p.add_argument("--passphrase-env", help="read that passphrase from this environment variable")
        if name == "sign":
            p.add_argument("statement")
        if name == "register":
            p.add_argument("--url", required=True)
            p.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
