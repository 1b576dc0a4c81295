"""Reading who made a document: PDF Info dictionaries (literal and UTF-16 hex strings, PDF dates with
their zone), XMP packets, OOXML docProps; damaged or unknown files say nothing."""
from __future__ import annotations

import io
import zipfile

from bidding.collusion import metadata
from tests.bidding.collusion.helpers import docx, pdf


def test_pdf_info_dictionary_with_a_chinese_author_and_a_zoned_date():
    found = metadata.read(pdf())
    assert found == metadata.Metadata("pdf", author="郑工", creator_tool="WPS Office",
                                      created="2026-03-20T02:00:00+00:00")  # 10:00 +08'00' in UTC


def test_pdf_literal_strings_escapes_and_the_last_update_wins():
    data = (b"%PDF-1.5\n1 0 obj << /Author (Old \\(draft\\)) /Producer (pdfTeX) >> endobj\n"
            b"9 0 obj << /Author (Li \\351 Gong) /CreationDate (D:20260301) >> endobj\n%%EOF")
    found = metadata.read(data)
    assert found.author == "Li é Gong" and found.creator_tool == "pdfTeX" and found.created == "2026-03-01T00:00:00"


def test_pdf_xmp_packet_when_the_info_dictionary_is_compressed_away():
    data = (b"%PDF-1.7\n<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description>"
            b"<dc:creator><rdf:Seq><rdf:li>\xe7\x8e\x8b\xe5\xb7\xa5</rdf:li></rdf:Seq></dc:creator>"
            b"<xmp:CreatorTool>Microsoft Word 2016</xmp:CreatorTool><xmp:CreateDate>2026-03-05T09:00:00+08:00"
            b"</xmp:CreateDate></rdf:Description></rdf:RDF></x:xmpmeta>\n%%EOF")
    found = metadata.read(data)
    assert (found.author, found.creator_tool, found.created) == ("王工", "Microsoft Word 2016", "2026-03-05T01:00:00+00:00")


def test_office_core_properties():
    found = metadata.read(docx("郑工", "李工", "2026-03-10T08:00:00Z"))
    assert found == metadata.Metadata("office", author="郑工", last_modified_by="李工",
                                      creator_tool="Microsoft Office Word 16.0000", created="2026-03-10T08:00:00+00:00")


def test_unknown_damaged_or_hostile_files_say_nothing():
    assert metadata.read(b"plain text").kind == "other"
    assert metadata.read(b"PK\x03\x04 not really a zip").kind == "other"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("docProps/core.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert metadata.read(out.getvalue()).author is None
