"""The five centres of CONTEXT.md and the methods each offers; loaded by `flask demo` and `flask centres`."""
from __future__ import annotations

import sqlalchemy as sa

from trading.centres.models import Centre, CentreMethod
from trading.extensions import db

CENTRES = (
    ("WORKS", "建设工程交易中心", "Construction Works Trading Centre", "GC",
     ("works_open_tender", "works_invited_tender")),
    ("PROC", "政府采购中心", "Government Procurement Centre", "ZC",
     ("gp_open_tender", "gp_invited_tender", "gp_competitive_consultation", "gp_competitive_negotiation",
      "gp_inquiry", "gp_single_source")),
    ("PROP", "产权交易中心", "Property Rights Exchange", "CQ", ("property_listing",)),
    ("LAND", "土地交易中心", "Commercial Land Trading Centre", "TD", ("land_listing", "land_auction", "land_tender")),
    ("HR", "人力资源服务中心", "Human Resources Service Centre", "RL",
     ("gp_competitive_consultation", "gp_inquiry")),
)


def ensure_centres() -> list[Centre]:
    """Create the five centres if missing (idempotent)."""
    out = []
    for code, zh, en, prefix, methods in CENTRES:
        centre = db.session.scalar(sa.select(Centre).where(Centre.code == code))
        if centre is None:
            centre = Centre(code=code, name_zh=zh, name_en=en, ref_prefix=prefix)
            centre.offerings = [CentreMethod(method=m, position=i) for i, m in enumerate(methods)]
            db.session.add(centre)
        out.append(centre)
    db.session.flush()
    return out
