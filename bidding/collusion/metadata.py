"""Reading who made a document: the author, last editor, creating tool and creation time of a PDF (its
Info dictionary or XMP packet) or an office file (OOXML docProps/core.xml and app.xml). pypdf is used
when installed; otherwise a small parser reads the uncompressed Info dictionary and the XMP packet,
which is where office suites and PDF printers write them."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

#: documents larger than this are not read for metadata (their hash still counts)
MAX_BYTES = 32 * 1024 * 1024
_FIELD = 256


@dataclass(frozen=True)
class Metadata:
    kind: str  # pdf | office | other
    author: str | None = None
    last_modified_by: str | None = None
    creator_tool: str | None = None
    created: str | None = None


def read(data: bytes) -> Metadata:
    """The metadata of a document's bytes (kind "other" when it is neither a PDF nor an office file)."""
    try:
        if data[:5] == b"%PDF-":
            return _pdf(data)
        if data[:4] == b"PK\x03\x04":
            return _office(data)
    except Exception:  # a damaged document says nothing; the screens go on with the others
        return Metadata("other")
    return Metadata("other")


def _clip(value: str | None) -> str | None:
    text = " ".join((value or "").replace("\x00", "").split())
    return text[:_FIELD] or None


# ---- PDF ----------------------------------------------------------------------------------------

def _pdf(data: bytes) -> Metadata:
    try:
        import pypdf  # optional: reads compressed object streams too
    except ImportError:
        pypdf = None
    info: dict[str, str | None] = {}
    if pypdf is not None:
        try:
            meta = pypdf.PdfReader(io.BytesIO(data)).metadata or {}
            info = {k: (str(meta.get(f"/{k}")) if meta.get(f"/{k}") is not None else None)
                    for k in ("Author", "Creator", "Producer", "CreationDate")}
        except Exception:
            info = {}
    if not any(info.values()):
        info = _pdf_info(data)
    xmp = _xmp(data)
    return Metadata("pdf", author=_clip(info.get("Author") or xmp.get("creator")),
                    creator_tool=_clip(info.get("Creator") or xmp.get("CreatorTool") or info.get("Producer")),
                    created=_pdf_date(info.get("CreationDate")) or _iso(xmp.get("CreateDate")))


_INFO_KEYS = re.compile(rb"/(Author|Creator|Producer|CreationDate)\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)")


def _pdf_info(data: bytes) -> dict[str, str | None]:
    """The last value of each key in uncompressed dictionaries (an incremental update wins)."""
    out: dict[str, str | None] = {}
    for match in _INFO_KEYS.finditer(data):
        out[match.group(1).decode()] = _pdf_string(match.group(2))
    return out


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _pdf_string(token: bytes) -> str:
    if token.startswith(b"<"):
        raw = bytes.fromhex(re.sub(rb"\s", b"", token[1:-1]).decode() + ("0" if len(re.sub(rb"\s", b"", token[1:-1])) % 2 else ""))
    else:
        raw, body, i = bytearray(), token[1:-1], 0
        while i < len(body):
            ch = body[i:i + 1]
            if ch == b"\\" and i + 1 < len(body):
                nxt = body[i + 1:i + 2]
                if nxt in _ESCAPES:
                    raw += _ESCAPES[nxt]
                    i += 2
                    continue
                octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
                if octal:
                    raw.append(int(octal.group(0), 8) & 0xFF)
                    i += 1 + len(octal.group(0))
                    continue
                i += 1
                continue
            raw += ch
            i += 1
        raw = bytes(raw)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?")


def _pdf_date(value: str | None) -> str | None:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601 in UTC when it has a zone."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return None
    y, mo, d, h, mi, s, sign, oh, om = match.groups()
    try:
        at = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    if sign in ("+", "-"):
        offset = timedelta(hours=int(oh or 0), minutes=int(om or 0))
        at = (at - offset if sign == "+" else at + offset).replace(tzinfo=timezone.utc)
    elif sign in ("Z", "z"):
        at = at.replace(tzinfo=timezone.utc)
    return at.isoformat()


def _iso(value: str | None) -> str | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return _clip(value)
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc)
    return at.replace(microsecond=0).isoformat()


_XMP = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>", re.S)
_TAG = {"creator": re.compile(r"<dc:creator>.*?<rdf:li[^>]*>(.*?)</rdf:li>", re.S),
        "CreatorTool": re.compile(r"<xmp:CreatorTool>(.*?)</xmp:CreatorTool>|xmp:CreatorTool=\"([^\"]*)\"", re.S),
        "CreateDate": re.compile(r"<xmp:CreateDate>(.*?)</xmp:CreateDate>|xmp:CreateDate=\"([^\"]*)\"", re.S)}


def _xmp(data: bytes) -> dict[str, str]:
    match = _XMP.search(data)
    if not match:
        return {}
    text = match.group(0).decode("utf-8", "replace")
    out = {}
    for key, pattern in _TAG.items():
        found = pattern.search(text)
        if found:
            out[key] = next(g for g in found.groups() if g is not None).strip()
    return out


# ---- OOXML (docx, xlsx, pptx) -------------------------------------------------------------------

_NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
       "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
       "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"}


def _office(data: bytes) -> Metadata:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if "docProps/core.xml" not in names:
            return Metadata("other")
        core = _xml(archive.read("docProps/core.xml"))
        app = _xml(archive.read("docProps/app.xml")) if "docProps/app.xml" in names else None

    def text(root, path: str) -> str | None:
        node = root.find(path, _NS) if root is not None else None
        return node.text if node is not None else None

    tool = text(app, "ep:Application")
    version = text(app, "ep:AppVersion")
    return Metadata("office", author=_clip(text(core, "dc:creator")),
                    last_modified_by=_clip(text(core, "cp:lastModifiedBy")),
                    creator_tool=_clip(f"{tool} {version}" if tool and version else tool),
                    created=_iso(text(core, "dcterms:created")))


def _xml(raw: bytes):
    if len(raw) > 1024 * 1024 or b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:  # no entity expansion
        return None
    return ElementTree.fromstring(raw)
