"""Sealed-bid pages: the bid page (sealing in the browser), keyholder pages, the opening ceremony."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bidding", __name__, url_prefix="/bidding")
