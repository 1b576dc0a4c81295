"""The plaintext inside an envelope: the bid's record stream (the form, then attached files).

Kept apart from the envelope so the opening side can parse bids without the crypto, and the
sealer can stream files of any size: sizes are written first, data follows in 1 MiB pieces.
Only the standard library is imported, and trading.canonical (the platform's one canonical JSON).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO, Union

from trading.canonical import canonical_json

MAX_FORM_BYTES = 1024 * 1024
_IO_BLOCK = 1024 * 1024

Source = Union[bytes, BinaryIO, str, os.PathLike]


class BidFormatError(ValueError):
    """A plaintext that is not a well-formed bid (record stream, form JSON or price)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message



def read_exact(stream: BinaryIO, n: int) -> bytes:
    """Read n bytes unless the stream ends first (raw streams may return short reads)."""
    data = stream.read(n)
    if data is None:
        data = b""
    if len(data) == n or not data:
        return bytes(data)
    parts = [data]
    got = len(data)
    while got < n:
        more = stream.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)



# --- the plaintext: bid records ---------------------------------------------------------------

_PRICE = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?")


def validate_price(price: str) -> Decimal:
    """Parse a price in yuan: a plain decimal string, > 0, at most two decimals (never a float)."""
    if not isinstance(price, str) or not _PRICE.fullmatch(price):
        raise BidFormatError("bad_price", f"price {price!r} must be a decimal number of yuan with "
                             "at most two decimals, digits only, e.g. 4815000.00")
    value = Decimal(price)
    if value <= 0:
        raise BidFormatError("bad_price", "price must be greater than zero")
    return value


def canonical_form(form: dict[str, str]) -> bytes:
    """The form as the spec writes it: UTF-8 JSON, sorted keys, no insignificant white space."""
    if not isinstance(form, dict) or "price" not in form:
        raise BidFormatError("bad_form", "the form must be an object with at least a price")
    for key, value in form.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise BidFormatError("bad_form", f"form field {key!r}: names and values must be strings")
    validate_price(form["price"])
    try:
        return canonical_json(form)
    except UnicodeEncodeError:
        raise BidFormatError("bad_form", "the form is not valid Unicode text") from None


def _record_head(kind: int, name: str, size: int) -> bytes:
    raw = name.encode("utf-8")
    if not raw or len(raw) > 0xFFFF:
        raise BidFormatError("bad_name", f"record name {name!r} must be 1 to 65535 UTF-8 bytes")
    return bytes([kind]) + struct.pack(">H", len(raw)) + raw + struct.pack(">Q", size)


def _file_name(name: str) -> str:
    if not name or any(c in name for c in "/\\\x00") or name in (".", ".."):
        raise BidFormatError("bad_name", f"file name {name!r} must be a plain name, no folders")
    return name


def encode_bid(form: dict[str, str], files: Iterable[tuple[str, Source]] = ()) -> Iterator[bytes]:
    """Yield the plaintext record stream: the form, then each file (bytes, open file or path).

    Sizes are written before data, so open files must be seekable; files are read in 1 MiB
    pieces, so a bid of any size streams straight into `seal`.
    """
    data = canonical_form(form)
    yield _record_head(0x01, "form", len(data)) + data
    seen: set[str] = set()
    for name, source in files:
        name = _unique(_file_name(name), seen)
        if isinstance(source, (bytes, bytearray, memoryview)):
            yield _record_head(0x02, name, len(source)) + bytes(source)
            continue
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as fh:
                yield from _stream_file(name, fh)
        else:
            yield from _stream_file(name, source)


def bid_size(form: dict[str, str], files: Iterable[tuple[str, str | os.PathLike]] = ()) -> int:
    """The length of encode_bid(form, files) for files given by path, without reading them: what
    a version 2 envelope header declares before the body is written."""
    total = len(_record_head(0x01, "form", 0)) + len(canonical_form(form))
    seen: set[str] = set()
    for name, path in files:
        total += len(_record_head(0x02, _unique(_file_name(name), seen), 0)) + os.path.getsize(path)
    return total


def _unique(name: str, seen: set[str]) -> str:
    """File names are unique within a bid: custody keeps each file under its name, and a bid that
    repeated one would be ambiguous (which "报价.pdf" did the committee read?)."""
    if name in seen:
        raise BidFormatError("bad_name", f"the bid repeats the file name {name!r}: each attached file needs "
                                         "its own name")
    seen.add(name)
    return name


def _stream_file(name: str, fh: BinaryIO) -> Iterator[bytes]:
    try:
        start = fh.tell()
        size = fh.seek(0, os.SEEK_END) - start
        fh.seek(start)
    except (OSError, AttributeError):
        raise BidFormatError("bad_file", f"{name}: the file must be seekable (its size comes first)")
    yield _record_head(0x02, name, size)
    left = size
    while left:
        piece = fh.read(min(left, _IO_BLOCK))
        if not piece:
            raise BidFormatError("bad_file", f"{name}: the file shrank while it was being sealed")
        left -= len(piece)
        yield piece


@dataclass(frozen=True)
class FileEntry:
    """One attached file as decoded: its name as written, its size and SHA-256."""
    name: str
    size: int
    sha256: bytes


def _need(stream: BinaryIO, n: int, what: str) -> bytes:
    data = read_exact(stream, n)
    if len(data) != n:
        raise BidFormatError("truncated", f"the bid ends inside {what}")
    return data


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise BidFormatError("bad_form", "the form repeats a field name")
    return dict(pairs)


def decode_bid_to(stream: BinaryIO, sink: Callable[[str, int], BinaryIO] | None,
                  hash_files: bool = True) -> tuple[dict[str, str], list[FileEntry]]:
    """Parse a record stream, writing each file to `sink(name, size)` in pieces.

    `hash_files=False` skips each file's SHA-256 (FileEntry.sha256 is then empty) for callers that
    already hash the whole plaintext, such as the opening ceremony. With no `sink` (and no hashes)
    the files' bytes are skipped, not read: the stream must then be seekable; a file that would
    end past the end of the stream is still refused as truncated.

    The names are the bidder's: whoever writes them to disk must not trust them as paths.
    """
    kind = read_exact(stream, 1)
    if kind != b"\x01":
        raise BidFormatError("bad_record", "the bid must start with the form record")
    name = _need(stream, struct.unpack(">H", _need(stream, 2, "the form name length"))[0], "a name")
    if name != b"form":
        raise BidFormatError("bad_record", "the first record must be named 'form'")
    size = struct.unpack(">Q", _need(stream, 8, "the form length"))[0]
    if size > MAX_FORM_BYTES:
        raise BidFormatError("form_too_large", f"the form is {size} bytes (limit {MAX_FORM_BYTES})")
    try:
        form = json.loads(_need(stream, size, "the form").decode("utf-8"),
                          object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BidFormatError("bad_form", "the form is not UTF-8 JSON of strings") from None
    canonical_form(form)  # same rules as when sealing: object of strings with a valid price
    files: list[FileEntry] = []
    skip = sink is None
    if skip and hash_files:
        raise TypeError("files can be skipped only unhashed (hash_files=False)")
    if skip:
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    seen: set[str] = set()
    while kind := read_exact(stream, 1):
        if kind != b"\x02":
            raise BidFormatError("bad_record", f"unknown record type 0x{kind.hex()}")
        raw = _need(stream, struct.unpack(">H", _need(stream, 2, "a name length"))[0], "a name")
        try:
            fname = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BidFormatError("bad_name", "a file name is not UTF-8") from None
        if not fname:
            raise BidFormatError("bad_name", "a file has an empty name")
        _unique(fname, seen)
        left = size = struct.unpack(">Q", _need(stream, 8, "a file length"))[0]
        if skip:
            if stream.tell() + size > end:
                raise BidFormatError("truncated", f"the bid ends inside file {fname!r}")
            stream.seek(size, io.SEEK_CUR)
            files.append(FileEntry(fname, size, b""))
            continue
        out, digest = sink(fname, size), hashlib.sha256()
        while left:
            piece = _need(stream, min(left, _IO_BLOCK), f"file {fname!r}")
            if hash_files:
                digest.update(piece)
            out.write(piece)
            left -= len(piece)
        files.append(FileEntry(fname, size, digest.digest() if hash_files else b""))
    return form, files


def decode_bid(stream: BinaryIO) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """Parse a record stream into the form and in-memory files (small bids; else decode_bid_to)."""
    buffers: list[tuple[str, io.BytesIO]] = []

    def sink(name: str, size: int) -> BinaryIO:
        buffers.append((name, io.BytesIO()))
        return buffers[-1][1]

    form, _ = decode_bid_to(stream, sink)
    return form, [(name, buf.getvalue()) for name, buf in buffers]


