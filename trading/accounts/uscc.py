"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check character."""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
REGISTRATION_AUTHORITIES = set("123456789ABCDEFGNY")


class USCCError(ValueError):
    """Why a code is not a valid unified social credit code; `rule` names the failed rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def check_character(first17: str) -> str:
    """The 18th character for the first 17 (weights 3^i mod 31, GB 32100-2015 §5)."""
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the normalised code, or raise USCCError naming the broken rule."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        raise USCCError("length", "must be exactly 18 characters")
    bad = [ch for ch in code if ch not in CHARSET]
    if bad:
        raise USCCError("charset", f"contains characters not allowed in a credit code: {''.join(sorted(set(bad)))}")
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise USCCError("authority", "first character is not a registration authority code")
    if not code[2:8].isdigit():
        raise USCCError("division", "characters 3-8 must be an administrative division code (digits)")
    if check_character(code[:17]) != code[17]:
        raise USCCError("check", "check character does not match (GB 32100-2015)")
    return code


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (demo data, tests)."""
    return first17 + check_character(first17)
