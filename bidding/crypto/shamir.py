"""Shamir secret sharing of a byte string over GF(2^8), one polynomial per byte.

Why GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 (0x11B): every byte value is a field element,
so shares are exactly as long as the secret and nothing needs padding or a prime. A share carries
its x (1..255) and the threshold k it was cut for, so `combine` can refuse too few shares instead
of silently returning garbage (with fewer than k shares every secret is equally likely).
Only the standard library is imported; coefficients come from `secrets`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

_POLY = 0x11B
_EXP = [0] * 510
_LOG = [0] * 256


def _init_tables() -> None:
    value = 1
    for power in range(255):
        _EXP[power] = value
        _LOG[value] = power
        # multiply by the generator 0x03: value*2 xor value, reduced by the AES polynomial
        doubled = value << 1
        if doubled & 0x100:
            doubled ^= _POLY
        value = doubled ^ value
    for power in range(255, 510):
        _EXP[power] = _EXP[power - 255]


_init_tables()


def gf_mul(a: int, b: int) -> int:
    """Product in GF(2^8) mod 0x11B (table based; the tables are public, the data is not
    secret-dependent in a way that matters for shares kept by separate people)."""
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def gf_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(2^8)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] + 255 - _LOG[b]]


class ShamirError(ValueError):
    """Refused parameters or an unusable set of shares."""


@dataclass(frozen=True)
class Share:
    """One share: the point x (1..255), the value bytes y (one per secret byte), threshold k."""
    x: int
    y: bytes
    k: int

    def to_bytes(self) -> bytes:
        """k ‖ x ‖ y: compact and self-describing enough to recombine."""
        return bytes([self.k, self.x]) + self.y

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        if len(data) < 3:
            raise ShamirError("a share needs at least k, x and one byte of value")
        share = cls(x=data[1], y=bytes(data[2:]), k=data[0])
        _check_point(share)
        return share


def _check_point(share: Share) -> None:
    if not 1 <= share.x <= 255:
        raise ShamirError(f"share x must be from 1 to 255, not {share.x}")
    if not 1 <= share.k <= 255:
        raise ShamirError(f"share threshold must be from 1 to 255, not {share.k}")


def split(secret: bytes, k: int, n: int) -> list[Share]:
    """Cut `secret` into n shares, any k of which rebuild it; x = 1..n."""
    if not secret:
        raise ShamirError("nothing to share: the secret is empty")
    if isinstance(k, bool) or isinstance(n, bool) or not isinstance(k, int) or not isinstance(n, int):
        raise ShamirError("k and n must be integers")
    if k < 1:
        raise ShamirError("the threshold k must be at least 1")
    if k > n:
        raise ShamirError(f"the threshold k={k} cannot exceed the number of shares n={n}")
    if n > 255:
        raise ShamirError("GF(2^8) allows at most 255 shares")
    # coefficients[j][i]: coefficient of x^j for secret byte i; the constant term is the secret
    coefficients = [bytes(secret)] + [secrets.token_bytes(len(secret)) for _ in range(k - 1)]
    shares = []
    for x in range(1, n + 1):
        y = bytearray(len(secret))
        for i in range(len(secret)):
            acc = 0
            for j in range(k - 1, -1, -1):  # Horner
                acc = gf_mul(acc, x) ^ coefficients[j][i]
            y[i] = acc
        shares.append(Share(x=x, y=bytes(y), k=k))
    return shares


def combine(shares: list[Share]) -> bytes:
    """Rebuild the secret by Lagrange interpolation at 0; refuses fewer than k or mixed shares."""
    if not shares:
        raise ShamirError("no shares given")
    k, length = shares[0].k, len(shares[0].y)
    xs = set()
    for share in shares:
        _check_point(share)
        if share.k != k:
            raise ShamirError("the shares were cut with different thresholds")
        if len(share.y) != length:
            raise ShamirError("the shares have different lengths")
        if share.x in xs:
            raise ShamirError(f"share x={share.x} is given twice")
        xs.add(share.x)
    if len(shares) < k:
        raise ShamirError(f"{len(shares)} share(s) given, {k} needed")
    use = shares[:k]
    weights = []
    for j, sj in enumerate(use):
        num, den = 1, 1
        for m, sm in enumerate(use):
            if m != j:
                num = gf_mul(num, sm.x)            # (0 - x_m) = x_m in characteristic 2
                den = gf_mul(den, sj.x ^ sm.x)
        weights.append(gf_div(num, den))
    out = bytearray(length)
    for weight, share in zip(weights, use):
        for i, byte in enumerate(share.y):
            out[i] ^= gf_mul(weight, byte)
    return bytes(out)
