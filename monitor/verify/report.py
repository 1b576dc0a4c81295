"""What the offline verifier found: findings, the report a supervisor reads, and unusable input."""
from __future__ import annotations


class Unusable(Exception):
    """The input cannot be verified at all (missing files, not an export, a bad --key)."""



KINDS = ("edited", "deleted", "inserted", "reordered")


class Finding:
    """`what`: an entry kind (KINDS), or checkpoint, consistency, key, countersignature, manifest, coverage,
    signature, signing-key, draw;
    `index`: the entry concerned, for entry findings."""

    def __init__(self, what: str, message: str, index: int | None = None) -> None:
        self.what, self.message, self.index = what, message, index

    def __repr__(self) -> str:
        return f"Finding({self.what!r}, {self.index!r}, {self.message!r})"


class Report:
    """What was checked (lines, in plain English) and what failed (findings)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.findings: list[Finding] = []
        self.unusable: str | None = None
        self.entries = self.bytes = 0

    @property
    def first_bad_entry(self) -> Finding | None:
        found = [f for f in self.findings if f.what in KINDS]
        return min(found, key=lambda f: f.index) if found else None

    @property
    def status(self) -> int:
        if self.unusable is not None:
            return 2
        return 1 if self.findings else 0

    def say(self, text: str) -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

