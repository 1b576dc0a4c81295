"""The two blueprints every bidding sub-package's pages and API attach their routes to.

One web blueprint ("bidding", /bidding) and one API blueprint ("bidding_api", /api/v1) keep the
endpoint names (`bidding.bid_page`, `bidding_api.submit_bid`, ...) that templates, clients and the
route matrices use, whichever sub-package a route lives in. Only the app factory registers them,
after importing each sub-package's views and api modules (trading/__init__.py).
"""
from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user

from trading.api import bearer_only, no_store
from trading.permissions import NotAuthenticated

bp = Blueprint("bidding", __name__, url_prefix="/bidding")

api_bp = Blueprint("bidding_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)


def authenticated() -> None:
    """401 for an anonymous API caller (a route open to any signed-in user checks no permission)."""
    if not current_user.is_authenticated:
        raise NotAuthenticated(_("Please log in to continue."))
