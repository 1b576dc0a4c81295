"""Where a person lands after signing in, and the panels of their workspace: each role on its work.

The packages above trading fill two registries the composition root keeps in `app.extensions`:

* ``landing_pages``: ``(role, endpoint)`` pairs, tried in order before trading's own defaults: the
  first role the person holds picks the page (the administrative supervisor's dashboard...);
* ``workspace_panels``: callables ``(user) -> Markup | None`` the workspace shows above the trade
  list (a bidder's bids and receipts, a keyholder's openings...).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, url_for
from markupsafe import Markup

from trading.accounts.roles import Role

#: trading's own defaults, after the registered pages: whoever may enter the workspace works there;
#: a member of the public, who has no workspace, reads the notices
DEFAULT_LANDING = "workspace.index"
PUBLIC_LANDING = "portal.index"


def register_landing(app, role: Role, endpoint: str) -> None:
    app.extensions.setdefault("landing_pages", []).append((role, endpoint))


def register_panel(app, panel: Callable[..., Markup | None]) -> None:
    app.extensions.setdefault("workspace_panels", []).append(panel)


def landing_endpoint(user) -> str:
    """The endpoint of the page `user` should see first after signing in (never one they may not open)."""
    from trading.permissions import can

    for role, endpoint in current_app.extensions.get("landing_pages", ()):
        if user.has_role(role):
            return endpoint
    return DEFAULT_LANDING if can(user, "workspace.enter") else PUBLIC_LANDING


def landing_url(user) -> str:
    return url_for(landing_endpoint(user))


def workspace_panels(user) -> list[Markup]:
    """The registered panels that have something for `user`, in registration order."""
    out = []
    for panel in current_app.extensions.get("workspace_panels", ()):
        html = panel(user)
        if html:
            out.append(Markup(html))
    return out
