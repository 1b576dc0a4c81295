"""Platform signing keys kept as files under instance/: made once, atomically, readable by the owner only."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def ed25519_key(path: Path) -> Ed25519PrivateKey:
    """Load the Ed25519 key at `path`, making it first if no worker has yet."""
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)  # never readable by others
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(tmp, path)  # atomic, and refuses to replace a key another worker made first
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)
