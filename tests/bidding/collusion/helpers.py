"""Building bids that leave collusion signs, sent over real HTTP as the sealers send them."""
from __future__ import annotations

import io
import zipfile

from bidding.crypto import envelope
from bidding.crypto.envelope_check import content_digest
from bidding.crypto.records import encode_bid
from tests.conftest import api_headers


def pdf(author_hex: str = "FEFF90D15DE5", creator: str = "WPS Office", created: str = "D:20260320100000+08'00'",
        body: str = "") -> bytes:
    """A small PDF whose Info dictionary names its author (UTF-16BE hex: FEFF90D15DE5 is 郑工)."""
    return (f"%PDF-1.4\n1 0 obj\n<< /Author <{author_hex}> /Creator ({creator}) /CreationDate ({created}) >>\n"
            f"endobj\n2 0 obj\n<< /Length 0 >>\nstream\n{body}\nendstream\nendobj\ntrailer\n<< /Info 1 0 R >>\n%%EOF\n"
            ).encode("latin-1")


def docx(creator: str, modified_by: str, created: str, app: str = "Microsoft Office Word") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("docProps/core.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>{creator}</dc:creator><cp:lastModifiedBy>{modified_by}</cp:lastModifiedBy>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created></cp:coreProperties>'))
        archive.writestr("docProps/app.xml", (
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            f'<Application>{app}</Application><AppVersion>16.0000</AppVersion></Properties>'))
    return out.getvalue()


def submit(client, trade, user, price: str, files: list[tuple[str, bytes]], *, address: str,
           device: str | None, agent: str = "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"):
    """Seal a bid to the trade's published key and upload it with the headers the browser sealer sends."""
    key = envelope.load_public_key(client.get(f"/api/v1/trades/{trade.id}/opening-key").get_json()["public_key"])
    out = io.BytesIO()
    envelope.seal(list(encode_bid({"price": price, "duration_days": "360", "note": ""}, files)), public_key=key,
                  trade_ref=trade.ref, bidder_id=user.organisation.credit_code, version=1, chunk_size=4096, out=out)
    data = out.getvalue()
    headers = {**api_headers(client, user.username), "Content-Digest": content_digest(data), "User-Agent": agent}
    if device:
        headers["X-Sealer-Device"] = device
    response = client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                           headers=headers, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 201, response.get_json()
    return response.get_json()
