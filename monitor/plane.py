"""Plugs the supervision plane into the app: models, capture, listeners, blueprints, commands, ticks.

The app factory calls `register(app)`; nothing else imports monitor. Each part of the plane has a
`register(app)` of its own, called here in order.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

#: periodic work run by the in-process scheduler and by `flask monitor tick` (checkpoints, cards...)
TICKS: list[Callable[[], object]] = []


def on_tick(fn: Callable[[], object]) -> Callable[[], object]:
    if fn not in TICKS:
        TICKS.append(fn)
    return fn


def run_ticks() -> list[object]:
    return [fn() for fn in TICKS]


def register_models() -> None:
    import monitor.models  # noqa: F401
    from monitor import cards, supervisors

    cards.register_models()
    supervisors.register_models()


_CONNECTED = False


def register(app: Flask) -> None:
    global _CONNECTED
    from flask_babel import lazy_gettext as _l

    from monitor import audit, audit_views, cards, cli, live, supervisors, views
    from monitor.api import bp as audit_api_bp
    from trading.extensions import csrf, db

    register_models()
    if not _CONNECTED:  # signals and session events are process-wide
        audit.install()
        audit.connect_listeners()
        on_tick(audit.scheduled_checkpoint)
        _CONNECTED = True
    with app.app_context():  # writes the log would not see never reach this app's database
        for engine in db.engines.values():
            audit.guard_engine(engine)
    app.register_blueprint(audit_api_bp)
    csrf.exempt(audit_api_bp)  # bearer tokens, never cookies
    audit_views.register(app)  # /monitor/audit: checkpoints, countersigning, the export, verifying offline
    app.extensions.setdefault("ticks", []).append(run_ticks)
    for part in (live, cards, supervisors, views):
        part.register(app)
    app.cli.add_command(cli.audit_group)
    app.cli.add_command(cli.monitor_group)

    # the main navigation (beside the dashboard's own link): the cards for whoever may hold one,
    # a social supervisor's own trades
    app.extensions.setdefault("nav_links", []).extend([
        ("cards.card_list", _l("Cards"), "cards.list"),
        ("supervisors.mine", _l("My supervision"), "supervisors.mine"),
    ])
