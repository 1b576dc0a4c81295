"""The two blueprints procurement's sub-packages attach their pages and API routes to (as bidding's do)."""
from __future__ import annotations

from flask import Blueprint

from trading.api import bearer_only, no_store

bp = Blueprint("procurement", __name__, url_prefix="/procurement")

api_bp = Blueprint("procurement_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)
