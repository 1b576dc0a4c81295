"""A trading centre and the trade methods it offers."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db


class Centre(db.Model):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(150))
    ref_prefix: Mapped[str] = mapped_column(sa.String(8))
    keyholders_execute: Mapped[int] = mapped_column(default=2)  # k of n executing keyholders (issue 3)
    keyholders_supervise: Mapped[int] = mapped_column(default=1)  # m of p supervising keyholders

    offerings: Mapped[list[CentreMethod]] = relationship(
        back_populates="centre", cascade="all, delete-orphan", lazy="selectin", order_by="CentreMethod.position"
    )

    @property
    def name(self) -> str:
        locale = str(get_locale() or "zh_CN")
        return self.name_zh if locale.startswith("zh") else self.name_en

    @property
    def methods(self) -> list[str]:
        return [o.method for o in self.offerings]


class CentreMethod(db.Model):
    """A trade method (rule set key) a centre offers."""

    __tablename__ = "centre_methods"
    __table_args__ = (sa.UniqueConstraint("centre_id", "method", name="uq_centre_methods_centre_method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)

    centre: Mapped[Centre] = relationship(back_populates="offerings")
